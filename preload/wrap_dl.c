/* dlopen/dlclose: RTLD_DEEPBIND would let the opened library bind to its own dependencies first
 * and bypass our hooks (pitfall 13), so the flag is dropped; after either call the module map is
 * refreshed (outside any signal handler, pitfall 28). */
#include "pp.h"
#include "internal.h"
#include <dlfcn.h>
#include <link.h>

PP_DECLARE_REAL(void *, dlopen, (const char *, int));
PP_DECLARE_REAL(int, dlclose, (void *));
PP_DECLARE_REAL(int, dl_iterate_phdr, (int (*)(struct dl_phdr_info *, size_t, void *), void *));

void pp_resolve_dl(void) { PP_REAL(dlopen); PP_REAL(dlclose); PP_REAL(dl_iterate_phdr); }

/* Only marks the thread as inside the loader, so the sampling handler does not unwind there. */
PP_EXPORT int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
    PP_REAL(dl_iterate_phdr);
    pp_in_loader++;
    int r = real_dl_iterate_phdr(cb, data);
    pp_in_loader--;
    return r;
}

PP_EXPORT void *dlopen(const char *file, int flags)
{
    PP_REAL(dlopen);
    pp_in_loader++;
    void *h = real_dlopen(file, flags & ~RTLD_DEEPBIND);
    pp_in_loader--;
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
    pp_in_loader++;
    int r = real_dlclose(h);
    pp_in_loader--;
    struct pp_thread *t = pp_enter();
    if (t) {
        int e = errno;
        if (r == 0) pp_maps_refresh();
        errno = e;
        pp_leave(t);
    }
    return r;
}
