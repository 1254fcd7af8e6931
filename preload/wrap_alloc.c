/* The malloc family.  Intercept, never replace: every call goes to the next definition (glibc,
 * or a jemalloc/tcmalloc the program brought), so we stay transparent to other interposers
 * (pitfalls 14, 27).
 *
 * The per-call cost is the point of this file: a call adds a TLS check and a few increments; only
 * 1 call in 64 is timed (two clock reads), which gives an unbiased estimate of allocator time
 * without paying for a clock on every call.  No lock, no allocation of our own.  While dlsym runs
 * (bootstrap) requests are served from real.c's static arena (pitfall 1). */
#include "pp.h"
#include "real.h"
#include <string.h>
#include <malloc.h>

PP_DECLARE_REAL(void *, malloc, (size_t));
PP_DECLARE_REAL(void *, calloc, (size_t, size_t));
PP_DECLARE_REAL(void *, realloc, (void *, size_t));
PP_DECLARE_REAL(void *, reallocarray, (void *, size_t, size_t));
PP_DECLARE_REAL(void, free, (void *));
PP_DECLARE_REAL(int, posix_memalign, (void **, size_t, size_t));
PP_DECLARE_REAL(void *, aligned_alloc, (size_t, size_t));
PP_DECLARE_REAL(void *, memalign, (size_t, size_t));
PP_DECLARE_REAL(void *, valloc, (size_t));
PP_DECLARE_REAL(void *, pvalloc, (size_t));

#define TIMED_EVERY 64

void pp_resolve_alloc(void)
{
    /* calloc/malloc first: dlsym of the others may allocate and must find these resolved. */
    PP_REAL(malloc); PP_REAL(calloc); PP_REAL(free); PP_REAL(realloc);
    PP_REAL(reallocarray); PP_REAL(posix_memalign); PP_REAL(aligned_alloc); PP_REAL(memalign);
    PP_REAL(valloc); PP_REAL(pvalloc);
}

void *pp_real_malloc(size_t n) { PP_REAL(malloc); return real_malloc(n); }
void pp_real_free(void *p) { PP_REAL(free); if (!pp_arena_owns(p)) real_free(p); }

/* Accounting after an allocation call that took [t0, t1] (t0 == 0: not timed). */
static inline void account_alloc(struct pp_thread *t, int fn, void *p, size_t n, uint64_t t0, uint64_t t1)
{
    t->alloc_calls++;
    t->alloc_bytes += n;
    if (t0) { t->alloc_timed++; t->alloc_timed_ns += t1 - t0; }
    if (pp_unlikely(pp_cfg.events_all)) pp_call_event(t, fn, (uint64_t)(uintptr_t)p, (int64_t)n, t0 ? t0 : pp_now(), t1 - t0);
    pp_alloc_sampled(t, p, n);
    if (t0) pp_tick(t, t1);
}

/* The timing decision: true for one call in TIMED_EVERY. */
static inline int timed(struct pp_thread *t)
{
    if (pp_likely(++t->alloc_tick < TIMED_EVERY)) return 0;
    t->alloc_tick = 0;
    return 1;
}

#define ALLOC_CALL(fn, size, expr)                                  \
    do {                                                            \
        struct pp_thread *t = pp_enter();                           \
        if (!t) return expr;                                        \
        void *r_; uint64_t t0_ = 0, t1_ = 0;                        \
        if (pp_unlikely(timed(t))) { t0_ = pp_now(); r_ = expr; t1_ = pp_now(); } \
        else r_ = expr;                                             \
        if (r_) { int e_ = errno; account_alloc(t, PP_FN_##fn, r_, size, t0_, t1_); errno = e_; } \
        pp_leave(t);                                                \
        return r_;                                                  \
    } while (0)

PP_EXPORT void *malloc(size_t n)
{
    if (pp_unlikely(!real_malloc)) {
        if (pp_in_dlsym) return pp_arena_alloc(n, 16);
        PP_REAL(malloc);
        if (!real_malloc) return pp_arena_alloc(n, 16);
    }
    ALLOC_CALL(malloc, n, real_malloc(n));
}

PP_EXPORT void *calloc(size_t k, size_t n)
{
    if (pp_unlikely(!real_calloc)) {
        if (pp_in_dlsym) { size_t b; return __builtin_mul_overflow(k, n, &b) ? 0 : pp_arena_alloc(b, 16); }
        PP_REAL(calloc);
        if (!real_calloc) { size_t b; return __builtin_mul_overflow(k, n, &b) ? 0 : pp_arena_alloc(b, 16); }
    }
    ALLOC_CALL(calloc, k * n, real_calloc(k, n));
}

PP_EXPORT void free(void *p)
{
    if (pp_unlikely(!p)) return;
    if (pp_unlikely(pp_arena_owns(p))) return;     /* bootstrap memory is never reused */
    if (pp_unlikely(!real_free)) { PP_REAL(free); if (!real_free) return; }
    struct pp_thread *t = pp_enter();
    if (!t) { real_free(p); return; }
    int e = errno;   /* free must not change errno (POSIX 2024); our accounting must not either */
    t->free_calls++;
    pp_free_sampled(t, p);
    if (pp_unlikely(pp_cfg.events_all)) pp_call_event(t, PP_FN_free, (uint64_t)(uintptr_t)p, 0, pp_now(), 0);
    errno = e;
    real_free(p);
    pp_leave(t);
}

PP_EXPORT void *realloc(void *p, size_t n)
{
    if (pp_unlikely(p && pp_arena_owns(p))) {
        /* Bootstrap memory moved to the real heap: copy what can be there. */
        PP_REAL(malloc);
        void *q = real_malloc ? real_malloc(n) : pp_arena_alloc(n, 16);
        if (q) {
            size_t avail = (size_t)(pp_arena_end() - (const uint8_t *)p);
            memcpy(q, p, n < avail ? n : avail);
        }
        return q;
    }
    if (pp_unlikely(!real_realloc)) { PP_REAL(realloc); if (!real_realloc) return pp_arena_alloc(n, 16); }
    struct pp_thread *t = pp_enter();
    if (!t) return real_realloc(p, n);
    if (p) { t->free_calls++; pp_free_sampled(t, p); }
    void *r; uint64_t t0 = 0, t1 = 0;
    if (pp_unlikely(timed(t))) { t0 = pp_now(); r = real_realloc(p, n); t1 = pp_now(); }
    else r = real_realloc(p, n);
    if (r) { int e = errno; account_alloc(t, PP_FN_realloc, r, n, t0, t1); errno = e; }
    pp_leave(t);
    return r;
}

PP_EXPORT void *reallocarray(void *p, size_t k, size_t n)
{
    size_t b;
    if (__builtin_mul_overflow(k, n, &b)) { PP_REAL(reallocarray); return real_reallocarray(p, k, n); }
    return realloc(p, b);
}

PP_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    PP_REAL(posix_memalign);
    struct pp_thread *t = pp_enter();
    if (!t) return real_posix_memalign(out, align, n);
    int r = real_posix_memalign(out, align, n);
    if (r == 0) { int e = errno; account_alloc(t, PP_FN_memalign, *out, n, 0, 0); errno = e; }
    pp_leave(t);
    return r;
}

PP_EXPORT void *aligned_alloc(size_t align, size_t n) { PP_REAL(aligned_alloc); ALLOC_CALL(memalign, n, real_aligned_alloc(align, n)); }
PP_EXPORT void *memalign(size_t align, size_t n) { PP_REAL(memalign); ALLOC_CALL(memalign, n, real_memalign(align, n)); }
PP_EXPORT void *valloc(size_t n) { PP_REAL(valloc); ALLOC_CALL(memalign, n, real_valloc(n)); }
PP_EXPORT void *pvalloc(size_t n) { PP_REAL(pvalloc); ALLOC_CALL(memalign, n, real_pvalloc(n)); }
