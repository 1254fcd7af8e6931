/* The malloc family.  Intercept, never replace: every call goes to the next definition (glibc,
 * or a jemalloc/tcmalloc the program brought), so we stay transparent to other interposers
 * (pitfalls 14, 27).
 *
 * The per-call cost is the point of this file.  The fast path (63 calls in 64) is: read this
 * thread's state, call the real function, add to two counters, subtract from the sampling
 * countdown — no clock, no errno traffic, no atomic.  Every 64th call takes the slow path, which
 * times the call (an unbiased estimate of allocator time), ticks the interval sample, and writes
 * CALL records in events=all mode (which sends every call there).  The slow path also serves
 * bootstrap (dlsym's own calloc, from real.c's static arena, pitfall 1) and calls made from
 * inside our own code (pp_guard: passed straight through, never counted). */
#include "pp.h"
#include "real.h"
#include "alloc_sample.h"
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

#define SLOW_EVERY 64

void pp_resolve_alloc(void)
{
    /* calloc/malloc first: dlsym of the others may allocate and must find these resolved. */
    PP_REAL(malloc); PP_REAL(calloc); PP_REAL(free); PP_REAL(realloc);
    PP_REAL(reallocarray); PP_REAL(posix_memalign); PP_REAL(aligned_alloc); PP_REAL(memalign);
    PP_REAL(valloc); PP_REAL(pvalloc);
}

void *pp_real_malloc(size_t n) { PP_REAL(malloc); return real_malloc(n); }
void pp_real_free(void *p) { PP_REAL(free); if (!pp_arena_owns(p)) real_free(p); }

/* This thread's state when the fast path may be taken: attached, not inside our own code, and
 * not the 64th call.  (Tracing turned off later leaves the counters counting harmlessly.) */
static inline struct pp_thread *fast(void)
{
    struct pp_thread *t = pp_self;
    if (pp_likely(t != 0) && pp_likely(!pp_guard) && pp_likely(++t->alloc_tick < SLOW_EVERY)) return t;
    return 0;
}

/* Slow-path bookkeeping after an allocation call that took [t0, t1]. */
static void slow_account(struct pp_thread *t, int fn, void *p, size_t n, uint64_t t0, uint64_t t1)
{
    int e = errno;
    t->alloc_tick = pp_cfg.events_all ? SLOW_EVERY : 0;
    t->alloc_timed++;
    /* A timed call is bracketed by two clock reads; half of each lands inside the interval.
     * Without this, a 15 ns malloc reads as 40 ns and churn looks 2-3x more allocator-bound. */
    uint64_t d = t1 - t0;
    t->alloc_timed_ns += d > pp_clock_cost_ns ? d - pp_clock_cost_ns : 0;
    if (fn != PP_FN_free) {
        t->alloc_calls++;
        t->alloc_bytes += n;
        pp_alloc_sampled_inline(t, p, n);
    } else {
        t->free_calls++;
    }
    if (pp_cfg.events_all) pp_call_event(t, fn, (uint64_t)(uintptr_t)p, (int64_t)n, t0, t1 - t0);
    pp_tick(t, t1);
    errno = e;
}

/* events=all times only 1 call in SLOW_EVERY too: the clock would cost more than malloc. */
#define SLOW_CALL(fn, size, expr)                                               \
    do {                                                                        \
        struct pp_thread *t = pp_enter();                                       \
        if (!t) return expr;                                                    \
        int timed_ = !pp_cfg.events_all || ++t->alloc_timed_tick >= SLOW_EVERY; \
        if (timed_) t->alloc_timed_tick = 0;                                    \
        uint64_t t0_ = pp_now();     /* events=all needs every call's time */   \
        void *r_ = expr;                                                        \
        uint64_t t1_ = timed_ ? pp_now() : t0_;   /* untimed: duration 0 */     \
        if (r_ || (size) == 0) slow_account(t, PP_FN_##fn, r_, size, t0_, t1_); \
        if (!timed_) t->alloc_timed--;                                          \
        pp_leave(t);                                                            \
        return r_;                                                              \
    } while (0)

/* The fast path stays a small function (few registers to save) by sending everything else to
 * an out-of-line slow function. */
#define FAST_CALL(slow, size, expr)                                             \
    do {                                                                        \
        struct pp_thread *t = fast();                                           \
        if (pp_likely(t != 0)) {                                                \
            void *r_ = expr;                                                    \
            t->alloc_calls++;                                                   \
            t->alloc_bytes += (size);                                           \
            pp_alloc_sampled_inline(t, r_, size);                               \
            return r_;                                                          \
        }                                                                       \
        return slow;                                                            \
    } while (0)

__attribute__((noinline)) static void *malloc_slow(size_t n)
{
    if (pp_unlikely(!real_malloc)) {
        if (pp_in_dlsym) return pp_arena_alloc(n, 16);
        PP_REAL(malloc);
        if (!real_malloc) return pp_arena_alloc(n, 16);
    }
    SLOW_CALL(malloc, n, real_malloc(n));
}

PP_EXPORT void *malloc(size_t n)
{
    FAST_CALL(malloc_slow(n), n, real_malloc(n));
}

__attribute__((noinline)) static void *calloc_slow(size_t k, size_t n)
{
    if (pp_unlikely(!real_calloc)) {
        size_t b;
        if (pp_in_dlsym) return __builtin_mul_overflow(k, n, &b) ? 0 : pp_arena_alloc(b, 16);
        PP_REAL(calloc);
        if (!real_calloc) return __builtin_mul_overflow(k, n, &b) ? 0 : pp_arena_alloc(b, 16);
    }
    SLOW_CALL(calloc, k * n, real_calloc(k, n));
}

PP_EXPORT void *calloc(size_t k, size_t n)
{
    FAST_CALL(calloc_slow(k, n), k * n, real_calloc(k, n));
}

__attribute__((noinline)) static void free_slow(void *p);

PP_EXPORT void free(void *p)
{
    if (pp_unlikely(!p) || pp_unlikely(pp_arena_owns(p))) return;  /* arena memory is never reused */
    struct pp_thread *t = fast();
    if (pp_likely(t != 0)) {
        t->free_calls++;
        pp_free_sampled_inline(t, p);
        real_free(p);
        return;
    }
    free_slow(p);
}

static void free_slow(void *p)
{
    if (pp_unlikely(!real_free)) { PP_REAL(free); if (!real_free) return; }
    struct pp_thread *t = pp_enter();
    if (!t) { real_free(p); return; }
    int e = errno;   /* free must not change errno (POSIX 2024); our accounting must not either */
    pp_free_sampled_inline(t, p);
    errno = e;
    uint64_t t0 = pp_now();
    real_free(p);
    slow_account(t, PP_FN_free, p, 0, t0, pp_now());
    pp_leave(t);
}

PP_EXPORT void *realloc(void *p, size_t n)
{
    if (pp_unlikely(p && pp_arena_owns(p))) {
        /* Bootstrap memory moved to the real heap: copy what can be there. */
        PP_REAL(malloc);
        void *q = real_malloc ? real_malloc(n) : pp_arena_alloc(n, 16);
        if (q) {
            size_t avail = (size_t)(pp_arena_end() - (const unsigned char *)p);
            memcpy(q, p, n < avail ? n : avail);
        }
        return q;
    }
    if (pp_unlikely(!real_realloc)) { PP_REAL(realloc); if (!real_realloc) return pp_arena_alloc(n, 16); }
    struct pp_thread *f = fast();
    if (f && p) { f->free_calls++; pp_free_sampled_inline(f, p); }
    if (f) {
        void *r = real_realloc(p, n);
        if (r) { f->alloc_calls++; f->alloc_bytes += n; pp_alloc_sampled_inline(f, r, n); }
        return r;
    }
    struct pp_thread *t = pp_enter();
    if (!t) return real_realloc(p, n);
    if (p) { t->free_calls++; int e = errno; pp_free_sampled_inline(t, p); errno = e; }
    uint64_t t0 = pp_now();
    void *r = real_realloc(p, n);
    uint64_t t1 = pp_now();
    if (r) slow_account(t, PP_FN_realloc, r, n, t0, t1);
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
    uint64_t t0 = pp_now();
    int r = real_posix_memalign(out, align, n);
    uint64_t t1 = pp_now();
    if (r == 0) slow_account(t, PP_FN_memalign, *out, n, t0, t1);
    pp_leave(t);
    return r;
}

PP_EXPORT void *aligned_alloc(size_t align, size_t n) { PP_REAL(aligned_alloc); SLOW_CALL(memalign, n, real_aligned_alloc(align, n)); }
PP_EXPORT void *memalign(size_t align, size_t n) { PP_REAL(memalign); SLOW_CALL(memalign, n, real_memalign(align, n)); }
PP_EXPORT void *valloc(size_t n) { PP_REAL(valloc); SLOW_CALL(memalign, n, real_valloc(n)); }
PP_EXPORT void *pvalloc(size_t n) { PP_REAL(pvalloc); SLOW_CALL(memalign, n, real_pvalloc(n)); }
