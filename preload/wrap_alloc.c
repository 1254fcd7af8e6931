/* The malloc family.  Intercept, never replace: every call goes to the next definition (glibc,
 * or a jemalloc/tcmalloc the program brought), so we stay transparent to other interposers
 * (pitfalls 14, 27).
 *
 * The per-call cost is the point of this file.  The fast path (63 calls in 64) tests the guard
 * and counts two things down in the thread-local block (pp_tls) — calls until the next timed one
 * (a tick per direction) and bytes until the next allocation sample — and tail-calls the real
 * function: no pointer followed, no clock, no errno traffic, no atomic, no register saved; 8
 * instructions for malloc, 10 for free (which also watches one global count: sampled blocks
 * live, or bootstrap memory handed out).  The calls and bytes counted down are folded into the
 * interval's totals when a SAMPLE is written (pp_alloc_fold).  A call whose tick reaches zero
 * takes the slow path, which times it with two TSC reads (an unbiased estimate of allocator
 * time) and ticks the interval sample; one whose countdown does is sampled.  events=all sends
 * every call to the slow path, where 63 in 64 are only staged as CALL records (calls.c).  The
 * count-downs are one instruction each (COUNT_DOWN, TICK_DOWN).  The slow path also serves
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
    pp_tls.alloc_tick = t->alloc_tick_base = pp_tls.free_tick = t->free_tick_base = SLOW_EVERY;
    if (pp_tls.alloc_countdown <= 0) pp_tls.alloc_countdown = t->alloc_cd_base = INT64_MAX / 2;
}

static inline int active(void) { return atomic_load_explicit(&pp_active, memory_order_relaxed); }

/* A tick reached zero: fold what it counted and start the next count (events=all: every call). */
static void rearm(struct pp_thread *t)
{
    uint32_t every = pp_cfg.events_all ? 1 : SLOW_EVERY;
    if (!pp_tls.alloc_tick) {
        t->alloc_calls += t->alloc_tick_base;
        pp_tls.alloc_tick = t->alloc_tick_base = every;
    }
    if (!pp_tls.free_tick) {
        t->free_calls += t->free_tick_base;
        pp_tls.free_tick = t->free_tick_base = every;
    }
}

/* Whether this slow-path call is timed: every one normally; 1 in SLOW_EVERY with events=all,
 * where every call comes here and the clock would cost more than malloc. */
static inline int take_timed(struct pp_thread *t)
{
    int timed = !pp_cfg.events_all || ++t->alloc_timed_tick >= SLOW_EVERY;
    if (timed) t->alloc_timed_tick = 0;
    return timed;
}

/* A timed call took [t0, t1] (duration reads, summed as they are: thread.c makes them ns).
 * Capped at 50 µs: one timed call stands for 64, so a thread preempted inside one would add 64
 * timeslices of allocator time that never were; 50 µs still lets a call that waited for a
 * contended arena or grew the heap count for much of what it took (large blocks come from mmap,
 * whose pages are zeroed when first touched, not here). */
static inline void note_timed(struct pp_thread *t, uint64_t t0, uint64_t t1)
{
    t->alloc_timed++;
    int64_t d = (int64_t)(t1 - t0);
    int64_t cap = 50 * (int64_t)atomic_load_explicit(&pp_us_ticks, memory_order_relaxed);
    if (d > 0) t->alloc_timed_ticks += (uint64_t)(d < cap ? d : cap);
}

/* The recorder's own cost of a timed slow path that began at self0 (selfcost.c): measured on 1
 * in 16 and counted 16 times, as a third duration read on each cost as much as the rest. */
static inline void slow_self(struct pp_thread *t, uint64_t self0, uint64_t t1)
{
    if (++t->alloc_self_tick & 15) return;
    uint64_t before = t->self_ns;
    pp_self_slow(t, self0, t1);
    t->self_ns = before + (t->self_ns - before) * 16;
}

/* A tick call is over (timed: t1 != 0, always so without events=all, which stages every call
 * and times 1 in SLOW_EVERY): the interval may be due. */
static inline void tick_done(struct pp_thread *t, int fn, uint64_t a, int64_t b, uint64_t t0, uint64_t t1)
{
    if (pp_cfg.events_all) pp_call_stage(t, fn, a, b, t1 ? t1 - t0 : 0);
    if (t1) pp_tick_at(t, t1);
}

/* After the real call of a slow-path allocation whose call and bytes were already counted down:
 * a tick call (tick; timed if t1), sampled if its countdown came due.  Guard held. */
static void alloc_after(struct pp_thread *t, int fn, void *r, size_t n, uint64_t t0, uint64_t t1,
                        int tick)
{
    int e = errno;
    uint64_t self0 = t->self_ns;
    if (!pp_tls.alloc_tick || !pp_tls.free_tick) rearm(t);
    if (t1) note_timed(t, t0, t1);
    if (pp_tls.alloc_countdown <= 0 && r) pp_alloc_sample_take(t, r, n);
    if (tick) tick_done(t, fn, (uint64_t)(uintptr_t)r, (int64_t)n, t0, t1);
    if (t1) slow_self(t, self0, t1);
    errno = e;
}

/* The slow path of an allocation call already counted down (tick and countdown): the caller
 * checked that it is due (tick or countdown at zero) or came through pp_enter.  The guard is held
 * on the way through; `expr` is the real call. */
#define DUE_BODY(t, fn, size, expr)                                                 \
    do {                                                                            \
        void *r_;                                                                   \
        if (pp_tls.alloc_tick == 0) {                                               \
            int timed_ = take_timed(t);                                             \
            uint64_t t0_ = timed_ ? pp_ticks() : 0;                                 \
            r_ = expr;                                                              \
            uint64_t t1_ = timed_ ? pp_ticks() : 0;                                 \
            alloc_after(t, PP_FN_##fn, r_, size, t0_, t1_, 1);                      \
        } else {                                                                    \
            r_ = expr;                                                              \
            if (pp_tls.alloc_countdown <= 0) alloc_after(t, PP_FN_##fn, r_, size, 0, 0, 0); \
        }                                                                           \
        pp_guard = 0;                                                               \
        return r_;                                                                  \
    } while (0)

/* events=all sends every call here (tick 1): the 63 in 64 neither timed nor sampled only count
 * and are staged (calls.c), with no clock read. */
static inline int ev_quick(struct pp_thread *t)
{
    if (t->alloc_timed_tick + 1 >= SLOW_EVERY || !active()) return 0;
    t->alloc_timed_tick++;
    return 1;
}

static inline void ev_stage(struct pp_thread *t, int fn, uint64_t a, int64_t b)
{
    pp_guard = 1;              /* a handler's malloc must not stage into the same slot */
    if (!pp_tls.alloc_tick) { t->alloc_calls += t->alloc_tick_base; pp_tls.alloc_tick = t->alloc_tick_base = 1; }
    if (!pp_tls.free_tick) { t->free_calls += t->free_tick_base; pp_tls.free_tick = t->free_tick_base = 1; }
    pp_call_stage(t, fn, a, b, 0);   /* errno: a full batch's write keeps it (buffer.c) */
    pp_guard = 0;
}

/* A thread with no state yet (or tracing off before it had any): the slow path decides; a call
 * that passes straight through leaves the count-downs due again only 1 call in SLOW_EVERY.  Not
 * before the real functions are known: the fast path jumps to them (a library constructor that
 * runs before ours allocates through here). */
static void unattached(void)
{
    if (!pp_self && real_malloc && real_calloc && real_free) {
        pp_tls.alloc_countdown = INT64_MAX / 2;
        pp_tls.alloc_tick = pp_tls.free_tick = SLOW_EVERY;
    }
}

/* Due from the fast path (guard not yet held).  A countdown that came due left the tick alone
 * (COUNT_DOWN): it is taken here.  Unattached: the slow path attaches, which starts the
 * count-downs afresh, and counts the call there. */
#define DUE_CALL(fn, size, expr, slow)                                              \
    do {                                                                            \
        struct pp_thread *t = pp_self;                                              \
        if (pp_unlikely(!t)) return slow;                                           \
        if (pp_tls.alloc_countdown <= 0) pp_tls.alloc_tick--;                       \
        if (pp_unlikely(!active())) { quiet(t); return expr; }                      \
        pp_guard = 1;                                                               \
        DUE_BODY(t, fn, size, expr);                                                \
    } while (0)

/* Not on the fast path (unattached thread, our own code, tracing off): pp_enter decides. */
#define SLOW_CALL(fn, size, expr)                                                   \
    do {                                                                            \
        struct pp_thread *t = pp_enter();                                           \
        if (!t) { if (!pp_guard) unattached(); return expr; }                       \
        pp_tls.alloc_countdown -= (int64_t)(size);                                  \
        pp_tls.alloc_tick--;                                                        \
        DUE_BODY(t, fn, size, expr);                                                \
    } while (0)

/* Test the guard, count down in memory and branch on the flags of each instruction (x86-64):
 * written in C, the compiler loads, tests, subtracts and stores.  The due path reads the
 * counters from memory. */
#if defined(__x86_64__) && defined(__GNUC__)
#define UNGUARDED(label)                                                            \
    asm goto("cmpl $0, %0\n\tjne %l[" #label "]" : : "m"(pp_guard) : "cc" : label)
#define COUNT_DOWN(size, label)                                                     \
    asm goto("subq %1, %0\n\tjle %l[" #label "]\n\tsubl $1, %2\n\tje %l[" #label "]"  \
             : : "m"(pp_tls.alloc_countdown), "r"((int64_t)(size)), "m"(pp_tls.alloc_tick) \
             : "memory", "cc" : label)
#define TICK_DOWN(var, label)                                                       \
    asm goto("subl $1, %0\n\tje %l[" #label "]" : : "m"(var) : "memory", "cc" : label)
#define NONZERO(var, label)                                                         \
    asm goto("cmpl $0, %0\n\tjne %l[" #label "]" : : "m"(var) : "cc" : label)
#else
#define UNGUARDED(label) do { if (pp_unlikely(pp_guard)) goto label; } while (0)
#define COUNT_DOWN(size, label)                                                     \
    do {                                                                            \
        if (pp_unlikely((pp_tls.alloc_countdown -= (int64_t)(size)) <= 0)) goto label; \
        if (pp_unlikely(--pp_tls.alloc_tick == 0)) goto label;                      \
    } while (0)
#define TICK_DOWN(var, label) do { if (pp_unlikely(--(var) == 0)) goto label; } while (0)
#define NONZERO(var, label)                                                         \
    do { if (pp_unlikely(atomic_load_explicit(&(var), memory_order_relaxed))) goto label; } while (0)
#endif

/* The fast path: outside our own code, count down and tail-call the real function; anything
 * due goes out of line (the fast path then saves no register).  No pointer to follow: the
 * count-downs are thread-local, and an unattached thread's are due. */
#define FAST_CALL(due, slow, size, call)                                            \
    do {                                                                            \
        UNGUARDED(slow_);                                                           \
        COUNT_DOWN(size, due_);                                                     \
        return call;                                                                \
    due_:                                                                           \
        return due;                                                                 \
    slow_:                                                                          \
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

__attribute__((noinline)) static void *malloc_due(size_t n)
{
    DUE_CALL(malloc, n, real_malloc(n), malloc_slow(n));
}

/* events=all sends every call out of the fast path: the 63 in 64 that are only staged come here,
 * where little needs saving across the real call. */
__attribute__((noinline)) static void *malloc_ev(size_t n)
{
    struct pp_thread *t = pp_self;
    if (pp_unlikely(!t) || pp_tls.alloc_countdown <= 0 || !ev_quick(t)) return malloc_due(n);
    void *r = real_malloc(n);
    ev_stage(t, PP_FN_malloc, (uint64_t)(uintptr_t)r, (int64_t)n);
    return r;
}

PP_EXPORT void *malloc(size_t n)
{
    FAST_CALL(pp_unlikely(pp_cfg.events_all) ? malloc_ev(n) : malloc_due(n), malloc_slow(n), n,
              real_malloc(n));
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

__attribute__((noinline)) static void *calloc_due(size_t k, size_t n)
{
    DUE_CALL(calloc, k * n, real_calloc(k, n), calloc_slow(k, n));
}

PP_EXPORT void *calloc(size_t k, size_t n)
{
    size_t b;
    if (pp_unlikely(__builtin_mul_overflow(k, n, &b))) return calloc_slow(k, n);
    FAST_CALL(calloc_due(k, n), calloc_slow(k, n), b, real_calloc(k, n));
}

/* A free due for the slow path (tick at zero, or a sampled pointer may be live), counted down
 * already.  Guard held; errno is the program's (free must not change it, POSIX 2024). */
static void free_body(struct pp_thread *t, void *p)
{
    int e = errno;
    pp_free_sampled_take(t, p);          /* before the free: the address may be reused at once */
    if (pp_tls.free_tick == 0) {
        int timed = take_timed(t);
        rearm(t);
        uint64_t self0 = t->self_ns, t0 = timed ? pp_ticks() : 0;
        real_free(p);
        uint64_t t1 = timed ? pp_ticks() : 0;
        if (timed) note_timed(t, t0, t1);
        tick_done(t, PP_FN_free, (uint64_t)(uintptr_t)p, 0, t0, t1);
        if (timed) slow_self(t, self0, t1);
    } else {
        real_free(p);
    }
    errno = e;
    pp_guard = 0;
}

__attribute__((noinline)) static void free_slow(void *p)
{
    if (pp_arena_maybe_owns(p)) return;                 /* arena memory is never reused */
    if (pp_unlikely(!real_free)) { PP_REAL(free); if (!real_free) return; }
    struct pp_thread *t = pp_enter();
    if (!t) { if (!pp_guard) unattached(); real_free(p); return; }
    pp_tls.free_tick--;
    free_body(t, p);
}

/* Due from the fast path: the tick reached zero, or p may be a sampled pointer. */
__attribute__((noinline)) static void free_due(void *p)
{
    struct pp_thread *t = pp_self;
    if (pp_unlikely(!t)) { free_slow(p); return; }
    if (pp_arena_maybe_owns(p)) return;
    if (pp_unlikely(!active())) { quiet(t); real_free(p); return; }
    pp_guard = 1;
    free_body(t, p);
}

/* events=all, as malloc_ev. */
__attribute__((noinline)) static void free_ev(void *p)
{
    struct pp_thread *t = pp_self;
    if (pp_unlikely(!t) || pp_arena_maybe_owns(p) || pp_maybe_sampled(p) || !ev_quick(t)) {
        free_due(p);
        return;
    }
    real_free(p);
    ev_stage(t, PP_FN_free, (uint64_t)(uintptr_t)p, 0);
}

/* The live-sample count doubles as the watch for bootstrap arena memory (real.c adds one while
 * any was handed out): while it is zero, a free is one tick and a load. */
PP_EXPORT void free(void *p)
{
    if (pp_unlikely(!p)) return;
    UNGUARDED(slow);
    TICK_DOWN(pp_tls.free_tick, due);
    NONZERO(pp_live_count, watched);
    real_free(p);
    return;
watched:
    if (!pp_arena_maybe_owns(p) && !pp_maybe_sampled(p)) {
        real_free(p);
        return;
    }
due:
    if (pp_unlikely(pp_cfg.events_all)) free_ev(p);
    else free_due(p);
    return;
slow:
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
        int64_t c = pp_tls.alloc_countdown -= (int64_t)n;
        if (pp_likely(--pp_tls.alloc_tick != 0) && pp_likely(c > 0) &&
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
    pp_tls.alloc_countdown -= (int64_t)n;
    pp_tls.alloc_tick--;
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
    pp_tls.alloc_countdown -= (int64_t)n;
    pp_tls.alloc_tick--;
    int timed = pp_tls.alloc_tick == 0;
    uint64_t t0 = timed ? pp_ticks() : 0;
    int r = real_posix_memalign(out, align, n);
    uint64_t t1 = timed ? pp_ticks() : 0;
    if (timed || pp_tls.alloc_countdown <= 0) alloc_after(t, PP_FN_memalign, r == 0 ? *out : 0, n, t0, t1, timed);
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
