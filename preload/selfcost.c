/* The recorder's own cost, written to the FOOTER as self_ns (and the hooked_calls it covers), so
 * a report can say how much of what it shows the recorder itself added.
 *
 * Nothing here may cost a clock read per call, so the figure is put together from three parts:
 *  - measured directly, with a clock read at each end: the slow allocation path (1 call in 64),
 *    allocation samples with their stacks, stack captures, SAMPLE emission, the sampling signal
 *    handler and chunk writes (each adds to its thread's self_ns; CLOCK_MONOTONIC, each section
 *    capped, see pp_self_add), start-up and the loading of libunwind (thread CPU clock: system
 *    calls, so only for these once-per-process sections);
 *  - the allocation fast path, which has no clock: its calls times its per-call cost, calibrated
 *    once at the end of the process by timing a loop of malloc/free pairs through our fast path
 *    (on a scratch thread state, so nothing is counted or sampled) against the same loop on the
 *    real functions; the minimum of three batches of each, so a preemption does not count;
 *  - the I/O calls that go through pp_io_done: the clock pair each reads plus their bookkeeping,
 *    timed on 1 call in 64 and averaged over the process;
 *  - the remaining hooked calls (stdio served from the FILE buffer, uncontended locks, ...):
 *    fast paths like the allocator's, charged its calibrated per-call cost.
 * Calls are counted from the SAMPLE aggregates (the fast path counts them anyway), so counting
 * costs nothing per call either. */
#include "pp.h"
#include "internal.h"
#include "alloc_sample.h"
#include <string.h>

static atomic_uint_fast64_t retired_ns, retired_alloc, retired_other;
static atomic_uint_fast64_t io_ns_sum, io_n_sum;     /* timed I/O bookkeeping, all threads */

void *pp_hook_malloc(size_t n);   /* our own hooks, bound inside the library (wrap_alloc.c) */
void pp_hook_free(void *p);
void pp_alloc_real_fns(void *(**m)(size_t), void (**f)(void *));

/* Calls of the current interval not yet in hooked_* (read-only: may look at another thread,
 * whose allocation calls since its last fold, at most one tick, are in its TLS: not counted). */
static void pending(const struct pp_thread *t, uint64_t *alloc, uint64_t *other)
{
    *alloc = t->alloc_calls + t->free_calls;
    if (t == pp_self)
        *alloc += (uint64_t)(t->alloc_tick_base - pp_tls.alloc_tick) +
                  (uint64_t)(t->free_tick_base - pp_tls.free_tick);
    uint64_t o = t->mmap_calls + t->munmap_calls;
    for (int i = 0; i < PP_IO_CELLS; i++) o += t->io[i].calls;
    for (int i = 0; i < PP_WAIT_KINDS; i++) o += t->wait[i].calls;
    *other = o;
}

void pp_selfcost_count(struct pp_thread *t)
{
    uint64_t a, o;
    pending(t, &a, &o);
    /* Called right after pp_alloc_fold: the tick terms are zero. */
    t->hooked_alloc += a;
    t->hooked_other += o;
    if (t->io_self_n) {
        atomic_fetch_add_explicit(&io_ns_sum, t->io_self_ns, memory_order_relaxed);
        atomic_fetch_add_explicit(&io_n_sum, t->io_self_n, memory_order_relaxed);
        t->io_self_ns = t->io_self_n = 0;
    }
}

void pp_selfcost_retire(struct pp_thread *t)
{
    /* The thread's final SAMPLE came first: everything is in the cumulative fields. */
    atomic_fetch_add(&retired_ns, t->self_ns);
    atomic_fetch_add(&retired_alloc, t->hooked_alloc);
    atomic_fetch_add(&retired_other, t->hooked_other);
    t->self_ns = t->hooked_alloc = t->hooked_other = 0;
}

struct sums { uint64_t ns, alloc, other, io_ns, io_n; };

static void add_thread(struct pp_thread *t, void *arg)
{
    struct sums *s = arg;
    uint64_t a, o;
    pending(t, &a, &o);
    s->ns += t->self_ns;
    s->alloc += t->hooked_alloc + a;
    s->other += t->hooked_other + o;
    s->io_ns += t->io_self_ns;
    s->io_n += t->io_self_n;
}

/* ns one fast-path allocation call (malloc or free) adds, measured here and now.  pairs: loop
 * length (longer for processes that made many calls). */
static double calibrate_alloc(unsigned pairs)
{
    void *(*rmalloc)(size_t);
    void (*rfree)(void *);
    pp_alloc_real_fns(&rmalloc, &rfree);
    struct pp_thread *scratch = rmalloc && rfree ? rmalloc(sizeof *scratch) : 0;
    if (!scratch) return 0;
    memset(scratch, 0, sizeof *scratch);
    scratch->dead = 1;                                 /* a signal handler leaves it alone */
    atomic_store(&scratch->busy, 1);                   /* and nothing can append to it */
    struct pp_thread *me = pp_self;
    struct pp_tls saved = pp_tls;                      /* our count-downs, put back untouched */
    int g = pp_guard;
    uint64_t best_hook = UINT64_MAX, best_real = UINT64_MAX;
    void *volatile sink;
    for (int b = 0; b < 3; b++) {
        pp_self = scratch;
        pp_tls.alloc_tick = pp_tls.free_tick = UINT32_MAX;   /* never due */
        pp_tls.alloc_countdown = INT64_MAX / 2;
        pp_guard = 0;                                  /* the hooks' fast path, as the program sees it */
        uint64_t t0 = pp_now();
        for (unsigned i = 0; i < pairs; i++) {
            void *p = pp_hook_malloc(24 + (i & 7) * 16);
            sink = p;
            pp_hook_free(p);
        }
        uint64_t t1 = pp_now();
        pp_tls = saved;
        pp_self = me;
        pp_guard = g;
        for (unsigned i = 0; i < pairs; i++) {
            void *p = rmalloc(24 + (i & 7) * 16);
            sink = p;
            rfree(p);
        }
        uint64_t t2 = pp_now();
        if (t1 - t0 < best_hook) best_hook = t1 - t0;
        if (t2 - t1 < best_real) best_real = t2 - t1;
    }
    (void)sink;
    rfree(scratch);
    return best_hook > best_real ? (double)(best_hook - best_real) / (2.0 * pairs) : 0;
}

/* fork child: the parent's cost is the parent's. */
void pp_selfcost_after_fork_child(struct pp_thread *me)
{
    atomic_store(&retired_ns, 0);
    atomic_store(&retired_alloc, 0);
    atomic_store(&retired_other, 0);
    atomic_store(&io_ns_sum, 0);
    atomic_store(&io_n_sum, 0);
    pp_proc->self_ns = 0;
    if (me) me->self_ns = me->hooked_alloc = me->hooked_other = me->io_self_ns = me->io_self_n = 0;
}

void pp_selfcost_totals(uint64_t *self_ns, uint64_t *hooked_calls)
{
    struct sums s = { 0, 0, 0, 0, 0 };
    pp_threads_each(add_thread, &s);
    s.ns += atomic_load(&retired_ns) + pp_proc->self_ns;
    s.alloc += atomic_load(&retired_alloc);
    s.other += atomic_load(&retired_other);
    s.io_ns += atomic_load(&io_ns_sum);
    s.io_n += atomic_load(&io_n_sum);
    /* 12 x pairs calls in all (hooks and real functions, three batches): about 0.3% of the
     * process's own allocation calls, and at most about 25,000 (a few hundred µs). */
    uint64_t pairs = s.alloc / 4096;
    if (pairs < 16) pairs = 16;
    if (pairs > 2048) pairs = 2048;
    double alloc_ns = s.alloc ? calibrate_alloc((unsigned)pairs) : 0;
    /* No I/O call timed (too few): the clock pair every such hook reads is the floor. */
    double other_ns = s.io_n ? (double)s.io_ns / (double)s.io_n : (double)pp_clock_cost_ns;
    /* That average is for the calls that went through pp_io_done (1 in 64 of them timed, so
     * about 64 x io_n of them).  The rest of the "other" calls are fast paths with no clock and
     * no system call of ours (stdio calls served from the FILE buffer, uncontended locks): a
     * stdio-heavy program makes millions, and charging each the I/O average (which includes the
     * occasional slow-call event with its stack) overstated sort in a pipeline 60-fold.  They
     * are charged what the allocation fast path measured, the same kind of hook; the clock
     * pair when no allocation was made. */
    double io_calls = 64.0 * (double)s.io_n;
    double fast_calls = (double)s.other > io_calls ? (double)s.other - io_calls : 0;
    double fast_ns = s.alloc ? alloc_ns : (double)pp_clock_cost_ns;
    *self_ns = s.ns + (uint64_t)(alloc_ns * (double)s.alloc + other_ns * ((double)s.other - fast_calls) +
                                 fast_ns * fast_calls + 0.5);
    *hooked_calls = s.alloc + s.other;
}
