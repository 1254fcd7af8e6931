/* dlopen/dlclose: RTLD_DEEPBIND would let the opened library bind to its own dependencies first
 * and bypass our hooks (pitfall 13), so the flag is dropped; after either call the module map is
 * refreshed (outside any signal handler, pitfall 28). */
#include "pp.h"
#include <dlfcn.h>

PP_DECLARE_REAL(void *, dlopen, (const char *, int));
PP_DECLARE_REAL(int, dlclose, (void *));

void pp_resolve_dl(void) { PP_REAL(dlopen); PP_REAL(dlclose); }

PP_EXPORT void *dlopen(const char *file, int flags)
{
    PP_REAL(dlopen);
    void *h = real_dlopen(file, flags & ~RTLD_DEEPBIND);
    struct pp_thread *t = pp_enter();
    if (t) {
        int e = errno;
        if (h) pp_maps_refresh();
        errno = e;
        pp_leave(t);
    }
    return h;
}

PP_EXPORT int dlclose(void *h)
{
    PP_REAL(dlclose);
    int r = real_dlclose(h);
    struct pp_thread *t = pp_enter();
    if (t) {
        int e = errno;
        if (r == 0) pp_maps_refresh();
        errno = e;
        pp_leave(t);
    }
    return r;
}
