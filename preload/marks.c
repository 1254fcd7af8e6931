/* The marker API's strong definitions (include/phaseprof/phaseprof.h): a program's weak
 * references bind to these when the preload is present.  Each call is one MARK record. */
#include "pp.h"
#include <string.h>

static void mark(int kind, const char *name)
{
    struct pp_thread *t = pp_enter();
    if (!t) return;
    int e = errno;
    uint64_t id = name ? pp_intern(t, name, strnlen(name, 256)) : 0;
    uint8_t *p = pp_rec_begin(t, PP_K_MARK, 40);
    if (p) {
        p = pp_put_ts(t, p, pp_now());
        p = pp_put_u(p, (uint64_t)t->tid);
        p = pp_put_u(p, (uint64_t)kind);
        p = pp_put_u(p, id);
        pp_rec_end(t, p);
    }
    errno = e;
    pp_leave(t);
}

PP_EXPORT void phaseprof_mark(const char *name) { mark(PP_MARK_POINT, name); }
PP_EXPORT void phaseprof_phase_begin(const char *name) { mark(PP_MARK_BEGIN, name); }
PP_EXPORT void phaseprof_phase_end(const char *name) { mark(PP_MARK_END, name); }
