/* Resolving the real functions behind our hooks.
 *
 * dlsym() itself may call calloc/malloc (for its error state) before the real allocator is known,
 * so while a thread is inside pp_dlsym_next its allocation hooks are served from a static bump
 * arena (pitfall 1).  Memory from the arena is never reused; free() of it is ignored.  All symbols
 * are resolved eagerly from the constructor (pitfalls 2, 3); PP_REAL's lazy path only serves
 * calls made before our constructor ran. */
#include "pp.h"
#include "real.h"
#include "alloc_sample.h"
#include <dlfcn.h>

PP_TLS int pp_in_dlsym;

_Alignas(64) uint8_t pp_arena[PP_ARENA_BYTES];
static atomic_size_t arena_used;
int pp_arena_in_use;     /* set before the first arena pointer is handed out */

void *pp_arena_alloc(size_t n, size_t align)
{
    if (align < 16) align = 16;
    size_t old = atomic_load(&arena_used), start;
    do {
        start = (old + align - 1) & ~(align - 1);
        if (start + n > sizeof pp_arena) return 0;
    } while (!atomic_compare_exchange_weak(&arena_used, &old, start + n));
    if (!pp_arena_in_use) {
        pp_arena_in_use = 1;
        atomic_fetch_add(&pp_live_count, 1);   /* free's fast path watches this one count */
    }
    return pp_arena + start;   /* static storage: already zeroed, as calloc needs */
}


void *pp_dlsym_next(const char *name)
{
    /* The constructor's fast path (symtab.c).  Build with -DPP_SYMTAB_CHECK to compare every
     * answer with dlsym's (a "symtab mismatch" line on stderr). */
    void *q = pp_symtab_next(name);
#ifdef PP_SYMTAB_CHECK
    if (q) {
        int s2 = errno; pp_in_dlsym++;
        void *d = dlsym(RTLD_NEXT, name);
        pp_in_dlsym--; errno = s2;
        if (d != q) pp_log("symtab mismatch: %s", name, 0);
    }
#endif
    if (q) return q;
    int saved = errno;
    pp_in_dlsym++;
    void *f = dlsym(RTLD_NEXT, name);
    pp_in_dlsym--;
    errno = saved;
    return f;
}
