/* The malloc family.  Intercept, never replace: every call goes to the next definition (glibc,
 * or a jemalloc/tcmalloc the program brought), so we stay transparent to other interposers
 * (pitfalls 14, 27).
 *
 * The per-call cost is the point of this file.  The fast path (63 calls in 64) reads this
 * thread's state, counts two things down — calls until the next timed one (a tick per direction)
 * and bytes until the next allocation sample — and tail-calls the real function: no clock, no
 * errno traffic, no atomic, no register saved, about ten instructions.  The calls and bytes
 * counted down are folded into the interval's totals when a SAMPLE is written (pp_alloc_fold).
 * A call whose tick reaches zero takes the slow path, which times it (an unbiased estimate of
 * allocator time), ticks the interval sample, and writes CALL records in events=all mode (which
 * sends every call there); one whose countdown does is sampled.  The count-downs are one
 * instruction each (COUNT_DOWN, TICK_DOWN).  The slow path also serves
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

#define SLOW_EVERY PP_ALLOC_SLOW_EVERY

void pp_resolve_alloc(void)
{
    /* calloc/malloc first: dlsym of the others may allocate and must find these resolved. */
    PP_REAL(malloc); PP_REAL(calloc); PP_REAL(free); PP_REAL(realloc);
    PP_REAL(reallocarray); PP_REAL(posix_memalign); PP_REAL(aligned_alloc); PP_REAL(memalign);
    PP_REAL(valloc); PP_REAL(pvalloc);
}

void *pp_real_malloc(size_t n) { PP_REAL(malloc); return real_malloc(n); }
void pp_real_free(void *p) { PP_REAL(free); if (!pp_arena_owns(p)) real_free(p); }

/* This thread's state when the fast path may be taken: attached and not inside our own code.
 * An attached thread implies the constructor resolved every real function.  (Tracing turned off
 * later leaves the counters counting down harmlessly; the slow path then passes through.) */
static inline struct pp_thread *fast(void)
{
    struct pp_thread *t = pp_self;
    return pp_likely(t != 0) && pp_likely(!pp_guard) ? t : 0;
}

/* Tracing is off (after the footer, or for good): keep the fast path fast and quiet. */
static void quiet(struct pp_thread *t)
{
    pp_alloc_fold(t);
    t->alloc_tick = t->alloc_tick_base = t->free_tick = t->free_tick_base = SLOW_EVERY;
    if (t->alloc_countdown <= 0) t->alloc_countdown = t->alloc_cd_base = INT64_MAX / 2;
}

static inline int active(void) { return atomic_load_explicit(&pp_active, memory_order_relaxed); }

/* A tick reached zero: fold what it counted and start the next count (events=all: every call). */
static void rearm(struct pp_thread *t)
{
    pp_alloc_fold(t);
    uint32_t every = pp_cfg.events_all ? 1 : SLOW_EVERY;
    if (!t->alloc_tick) t->alloc_tick = t->alloc_tick_base = every;
    if (!t->free_tick) t->free_tick = t->free_tick_base = every;
}

/* Whether this slow-path call is timed: every one normally; 1 in SLOW_EVERY with events=all,
 * where every call comes here and the clock would cost more than malloc. */
static inline int take_timed(struct pp_thread *t)
{
    int timed = !pp_cfg.events_all || ++t->alloc_timed_tick >= SLOW_EVERY;
    if (timed) t->alloc_timed_tick = 0;
    return timed;
}

/* A timed call took [t0, t1].  It is bracketed by two clock reads, half of each inside the
 * interval: without taking one out, a 15 ns malloc reads as 40 ns and churn looks 2-3x more
 * allocator-bound. */
static inline void note_timed(struct pp_thread *t, uint64_t t0, uint64_t t1)
{
    uint64_t d = t1 - t0;
    t->alloc_timed++;
    t->alloc_timed_ns += d > pp_clock_cost_ns ? d - pp_clock_cost_ns : 0;
}

/* After the real call of a slow-path allocation whose call and bytes were already counted down:
 * timed ([t0, t1], timed > 0), sampled if its countdown came due.  Guard held. */
static void alloc_after(struct pp_thread *t, int fn, void *r, size_t n, uint64_t t0, uint64_t t1,
                        int timed)
{
    int e = errno;
    uint64_t self0 = t->self_ns;
    if (!t->alloc_tick || !t->free_tick) rearm(t);
    if (timed) note_timed(t, t0, t1);
    if (t->alloc_countdown <= 0 && r) pp_alloc_sample_take(t, r, n);
    if (pp_cfg.events_all && t0) pp_call_event(t, fn, (uint64_t)(uintptr_t)r, (int64_t)n, t0, t1 - t0);
    if (t1) pp_tick(t, t1);
    if (timed) pp_self_slow(t, self0, t1);
    errno = e;
}

/* The slow path of an allocation call already counted down (tick and countdown): the caller
 * checked that it is due (tick or countdown at zero) or came through pp_enter.  The guard is held
 * on the way through; `expr` is the real call. */
#define DUE_BODY(t, fn, size, expr)                                                 \
    do {                                                                            \
        void *r_;                                                                   \
        if ((t)->alloc_tick == 0) {                                                 \
            int timed_ = take_timed(t);                                             \
            uint64_t t0_ = pp_now();     /* events=all needs every call's time */   \
            r_ = expr;                                                              \
            uint64_t t1_ = timed_ ? pp_now() : t0_;   /* untimed: duration 0 */     \
            alloc_after(t, PP_FN_##fn, r_, size, t0_, t1_, timed_);                 \
        } else {                                                                    \
            r_ = expr;                                                              \
            if ((t)->alloc_countdown <= 0) alloc_after(t, PP_FN_##fn, r_, size, 0, 0, 0); \
        }                                                                           \
        pp_guard = 0;                                                               \
        return r_;                                                                  \
    } while (0)

/* Due from the fast path (guard not yet held).  A countdown that came due left the tick alone
 * (COUNT_DOWN): it is taken here. */
#define DUE_CALL(t, fn, size, expr)                                                 \
    do {                                                                            \
        if ((t)->alloc_countdown <= 0) (t)->alloc_tick--;                           \
        if (pp_unlikely(!active())) { quiet(t); return expr; }                      \
        pp_guard = 1;                                                               \
        DUE_BODY(t, fn, size, expr);                                                \
    } while (0)

/* Not on the fast path (unattached thread, our own code, tracing off): pp_enter decides. */
#define SLOW_CALL(fn, size, expr)                                                   \
    do {                                                                            \
        struct pp_thread *t = pp_enter();                                           \
        if (!t) return expr;                                                        \
        t->alloc_countdown -= (int64_t)(size);                                      \
        t->alloc_tick--;                                                            \
        DUE_BODY(t, fn, size, expr);                                                \
    } while (0)

/* Count down in memory and branch on the flags of that one instruction (x86-64): written in C,
 * the compiler loads, subtracts, stores and tests.  The due path reads the counters from memory. */
#if defined(__x86_64__) && defined(__GNUC__)
#define COUNT_DOWN(t, size, label)                                                  \
    asm goto("subq %1, %0\n\tjle %l[" #label "]\n\tsubl $1, %2\n\tje %l[" #label "]"  \
             : : "m"((t)->alloc_countdown), "r"((int64_t)(size)), "m"((t)->alloc_tick) \
             : "memory", "cc" : label)
#define TICK_DOWN(var, label)                                                       \
    asm goto("subl $1, %0\n\tje %l[" #label "]" : : "m"(var) : "memory", "cc" : label)
#else
#define COUNT_DOWN(t, size, label)                                                  \
    do {                                                                            \
        if (pp_unlikely(((t)->alloc_countdown -= (int64_t)(size)) <= 0)) goto label; \
        if (pp_unlikely(--(t)->alloc_tick == 0)) goto label;                        \
    } while (0)
#define TICK_DOWN(var, label) do { if (pp_unlikely(--(var) == 0)) goto label; } while (0)
#endif

/* The fast path: count down, tail-call the real function; anything due goes out of line (the
 * fast path then saves no register).  A countdown that comes due skips the tick: the due path
 * takes it (tick_pending). */
#define FAST_CALL(t, due, slow, size, call)                                          \
    do {                                                                            \
        struct pp_thread *t = fast();                                               \
        if (pp_likely(t != 0)) {                                                    \
            COUNT_DOWN(t, size, due_);                                              \
            return call;                                                            \
        due_:                                                                       \
            return due;                                                             \
        }                                                                           \
        return slow;                                                                \
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

__attribute__((noinline)) static void *malloc_due(struct pp_thread *t, size_t n)
{
    DUE_CALL(t, malloc, n, real_malloc(n));
}

PP_EXPORT void *malloc(size_t n)
{
    FAST_CALL(t, malloc_due(t, n), malloc_slow(n), n, real_malloc(n));
}

__attribute__((noinline)) static void *calloc_slow(size_t k, size_t n)
{
    size_t b;
    if (pp_unlikely(!real_calloc)) {
        if (pp_in_dlsym) return __builtin_mul_overflow(k, n, &b) ? 0 : pp_arena_alloc(b, 16);
        PP_REAL(calloc);
        if (!real_calloc) return __builtin_mul_overflow(k, n, &b) ? 0 : pp_arena_alloc(b, 16);
    }
    if (__builtin_mul_overflow(k, n, &b)) return real_calloc(k, n);   /* fails: not counted */
    SLOW_CALL(calloc, b, real_calloc(k, n));
}

__attribute__((noinline)) static void *calloc_due(struct pp_thread *t, size_t k, size_t n)
{
    DUE_CALL(t, calloc, k * n, real_calloc(k, n));
}

PP_EXPORT void *calloc(size_t k, size_t n)
{
    size_t b;
    if (pp_unlikely(__builtin_mul_overflow(k, n, &b))) return calloc_slow(k, n);
    FAST_CALL(t, calloc_due(t, k, n), calloc_slow(k, n), b, real_calloc(k, n));
}

/* A free due for the slow path (tick at zero, or a sampled pointer may be live), counted down
 * already.  Guard held; errno is the program's (free must not change it, POSIX 2024). */
static void free_body(struct pp_thread *t, void *p)
{
    int e = errno;
    pp_free_sampled_take(t, p);          /* before the free: the address may be reused at once */
    if (t->free_tick == 0) {
        int timed = take_timed(t);
        rearm(t);
        uint64_t self0 = t->self_ns, t0 = pp_now();
        real_free(p);
        uint64_t t1 = timed ? pp_now() : t0;
        if (timed) note_timed(t, t0, t1);
        if (pp_cfg.events_all) pp_call_event(t, PP_FN_free, (uint64_t)(uintptr_t)p, 0, t0, t1 - t0);
        pp_tick(t, t1);
        if (timed) pp_self_slow(t, self0, t1);
    } else {
        real_free(p);
    }
    errno = e;
    pp_guard = 0;
}

__attribute__((noinline)) static void free_due(struct pp_thread *t, void *p)
{
    if (pp_unlikely(!active())) { quiet(t); real_free(p); return; }
    pp_guard = 1;
    free_body(t, p);
}

__attribute__((noinline)) static void free_slow(void *p)
{
    if (pp_unlikely(!real_free)) { PP_REAL(free); if (!real_free) return; }
    struct pp_thread *t = pp_enter();
    if (!t) { real_free(p); return; }
    t->free_tick--;
    free_body(t, p);
}

PP_EXPORT void free(void *p)
{
    if (pp_unlikely(!p) || pp_arena_maybe_owns(p)) return;  /* arena memory is never reused */
    struct pp_thread *t = fast();
    if (pp_likely(t != 0)) {
        TICK_DOWN(t->free_tick, due);
        if (pp_likely(!pp_maybe_sampled(p))) {
            real_free(p);
            return;
        }
    due:
        free_due(t, p);
        return;
    }
    free_slow(p);
}

/* realloc: a free (if p) and an allocation, counted on the allocation tick. */
__attribute__((noinline)) static void *realloc_body(struct pp_thread *t, void *p, size_t n)
{
    if (p) {
        t->free_calls++;
        int e = errno;
        pp_free_sampled_take(t, p);
        errno = e;
    }
    DUE_BODY(t, realloc, n, real_realloc(p, n));
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
    struct pp_thread *t = fast();
    if (t) {
        int64_t c = t->alloc_countdown -= (int64_t)n;
        if (pp_likely(--t->alloc_tick != 0) && pp_likely(c > 0) &&
            (!p || pp_likely(!pp_maybe_sampled(p)))) {
            if (p) t->free_calls++;
            return real_realloc(p, n);
        }
        if (pp_unlikely(!active())) { quiet(t); if (p) t->free_calls++; return real_realloc(p, n); }
        pp_guard = 1;
        return realloc_body(t, p, n);
    }
    t = pp_enter();
    if (!t) return real_realloc(p, n);
    t->alloc_countdown -= (int64_t)n;
    t->alloc_tick--;
    return realloc_body(t, p, n);
}

PP_EXPORT void *reallocarray(void *p, size_t k, size_t n)
{
    size_t b;
    if (__builtin_mul_overflow(k, n, &b)) { PP_REAL(reallocarray); return real_reallocarray(p, k, n); }
    return realloc(p, b);
}

/* The rarer entry points always take the slow path. */
__attribute__((noinline)) static void *memalign_call(int kind, size_t align, size_t n)
{
    switch (kind) {
    case 0: return real_aligned_alloc(align, n);
    case 1: return real_memalign(align, n);
    case 2: return real_valloc(n);
    default: return real_pvalloc(n);
    }
}

static void *memalign_slow(int kind, size_t align, size_t n)
{
    SLOW_CALL(memalign, n, memalign_call(kind, align, n));
}

PP_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    PP_REAL(posix_memalign);
    struct pp_thread *t = pp_enter();
    if (!t) return real_posix_memalign(out, align, n);
    t->alloc_countdown -= (int64_t)n;
    t->alloc_tick--;
    int timed = t->alloc_tick == 0;
    uint64_t t0 = timed ? pp_now() : 0;
    int r = real_posix_memalign(out, align, n);
    uint64_t t1 = timed ? pp_now() : 0;
    if (timed || t->alloc_countdown <= 0) alloc_after(t, PP_FN_memalign, r == 0 ? *out : 0, n, t0, t1, timed);
    pp_leave(t);
    return r;
}

PP_EXPORT void *aligned_alloc(size_t align, size_t n) { PP_REAL(aligned_alloc); return memalign_slow(0, align, n); }
PP_EXPORT void *memalign(size_t align, size_t n) { PP_REAL(memalign); return memalign_slow(1, align, n); }
PP_EXPORT void *valloc(size_t n) { PP_REAL(valloc); return memalign_slow(2, 0, n); }
PP_EXPORT void *pvalloc(size_t n) { PP_REAL(pvalloc); return memalign_slow(3, 0, n); }

/* The fast path as the program reaches it, and the functions behind it, for the self-cost
 * calibration (selfcost.c). */
void pp_alloc_real_fns(void *(**m)(size_t), void (**f)(void *)) { *m = real_malloc; *f = real_free; }
void *pp_hook_malloc(size_t n) __attribute__((alias("malloc"), copy(malloc), visibility("hidden")));
void pp_hook_free(void *p) __attribute__((alias("free"), copy(free), visibility("hidden")));
