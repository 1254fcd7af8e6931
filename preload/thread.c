/* Per-thread state: created on a thread's first intercepted call, kept in a fixed registry so the
 * exit path can flush threads that never exit, and recycled when a thread ends (a program that
 * creates and joins threads in a loop reuses the same few slots).
 *
 * Memory for a slot (state + chunk buffer) comes from mmap once and is kept for reuse; nothing
 * here calls malloc.  Samples (SAMPLE records) are emitted by pp_tick when the interval is over:
 * from intercepted calls, and from the sampling timer (sampler.c). */
#include "pp.h"
#include "internal.h"
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

PP_TLS int pp_thread_gone;        /* this thread already ran its exit path: never re-attach */

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE };
static struct pp_thread *slots[PP_MAX_THREADS];
static atomic_int slot_state[PP_MAX_THREADS];
/* 1 + the highest slot ever claimed: the scans at exit, exec and fork stop there instead of
 * reading all PP_MAX_THREADS states (most processes have one thread). */
static atomic_int slot_hiwater;

static void note_slot(int i)
{
    int h = atomic_load(&slot_hiwater);
    while (h < i + 1 && !atomic_compare_exchange_weak(&slot_hiwater, &h, i + 1)) {}
}
static pthread_key_t exit_key;
static atomic_uint_fast64_t retired_records, retired_dropped;  /* from threads that ended */
static int key_ok;

static void on_thread_exit(void *arg)
{
    struct pp_thread *t = arg;
    int g = pp_guard;
    pp_guard = 1;
    if (t && t == pp_self) pp_thread_detach(t);
    pp_guard = g;
}

int pp_threads_init(void)
{
    if (!key_ok && pthread_key_create(&exit_key, on_thread_exit) == 0) key_ok = 1;
    return key_ok ? 0 : -1;
}

static struct pp_thread *slot_memory(int i)
{
    if (!slots[i]) {
        size_t sz = sizeof(struct pp_thread) + pp_cfg.chunk_bytes;
        void *m = (void *)syscall(SYS_mmap, 0, sz, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return 0;
        slots[i] = m;
        slots[i]->buf = (uint8_t *)m + sizeof(struct pp_thread);
    }
    return slots[i];
}

/* Zeroes the aggregates of the interval that starts at `now`. */
static void clear_interval(struct pp_thread *t, uint64_t now)
{
    memset(t->io, 0, sizeof t->io);
    memset(t->wait, 0, sizeof t->wait);
    t->alloc_calls = t->free_calls = t->alloc_bytes = t->free_bytes = 0;
    t->alloc_timed = t->alloc_timed_ticks = 0;
    t->mmap_calls = t->mmap_bytes = t->munmap_calls = t->munmap_bytes = 0;
    t->cpu_samples = t->skipped_samples = 0;
    t->sample_start_ns = now;
    t->sample_start_ticks = pp_ticks();
}

static void sample_reset(struct pp_thread *t, uint64_t now)
{
    clear_interval(t, now);
    t->sample_cpu_ns = pp_thread_cpu_ns();
    pp_counters_read(t, t->counters_prev);
}

/* Fills a fresh state for the calling thread in slot i. */
static struct pp_thread *setup(int i, uint64_t parent_tid)
{
    struct pp_thread *t = slot_memory(i);
    if (!t) return 0;
    uint8_t *buf = t->buf;
    memset(t, 0, sizeof *t);
    t->buf = buf;
    t->cap = pp_cfg.chunk_bytes;
    t->slot = i;
    t->tid = (pid_t)syscall(SYS_gettid);
    pp_buffer_init(t);
    pp_counters_thread_open(t);
    sample_reset(t, pp_now());
    pp_alloc_thread_start(t);
    atomic_store(&slot_state[i], SLOT_LIVE);
    pp_self = t;
    uint8_t *p = pp_rec_begin(t, PP_K_THREAD_START, 40);
    if (p) {
        p = pp_put_ts(t, p, t->sample_start_ns);
        p = pp_put_u(p, (uint64_t)t->tid);
        p = pp_put_u(p, parent_tid);
        p = pp_put_u(p, 0);
        pp_rec_end(t, p);
    }
    return t;
}

PP_TLS uint64_t pp_parent_tid;     /* set by the pthread_create trampoline */

struct pp_thread *pp_thread_attach(void)
{
    if (pp_thread_gone) return 0;
    int saved = errno;
    struct pp_thread *t = 0;
    for (int i = 0; i < PP_MAX_THREADS; i++) {
        int expect = SLOT_FREE;
        if (atomic_load_explicit(&slot_state[i], memory_order_relaxed) == SLOT_FREE &&
            atomic_compare_exchange_strong(&slot_state[i], &expect, SLOT_CLAIMED)) {
            note_slot(i);            /* before the slot can be seen live */
            t = setup(i, pp_parent_tid);
            if (!t) atomic_store(&slot_state[i], SLOT_FREE);
            break;
        }
    }
    if (!t) {
        atomic_fetch_or(&pp_footer_flags, PP_FOOT_THREADS_FULL);
        pp_thread_gone = 1;          /* do not search the full registry on every call */
    } else {
        if (key_ok) pthread_setspecific(exit_key, t);
        pp_sampler_thread_start(t);
    }
    errno = saved;
    return t;
}

/* The SAMPLE record of t's interval [sample_start, now): cpu ns, nc counter deltas, and the
 * interval's aggregates. */
static void put_sample(struct pp_thread *t, uint64_t now, uint64_t cpu_ns, int nc, const uint64_t *delta)
{
    uint8_t *p = pp_rec_begin(t, PP_K_SAMPLE, 64 + 11 * (nc + 4 * PP_IO_CELLS + 3 * PP_WAIT_KINDS + 20));
    if (!p) return;
    p = pp_put_ts(t, p, t->sample_start_ns);
    p = pp_put_u(p, now - t->sample_start_ns);
    p = pp_put_u(p, (uint64_t)t->tid);
    p = pp_put_u(p, cpu_ns);
    p = pp_put_u(p, (uint64_t)nc);
    for (int i = 0; i < nc; i++) p = pp_put_u(p, delta[i]);
    unsigned cells = 0;
    for (int i = 0; i < PP_IO_CELLS; i++) cells += t->io[i].calls != 0;
    p = pp_put_u(p, cells * 4);
    for (int i = 0; i < PP_IO_CELLS; i++) {
        if (!t->io[i].calls) continue;
        p = pp_put_u(p, (uint64_t)i);
        p = pp_put_u(p, t->io[i].ns);
        p = pp_put_u(p, t->io[i].bytes);
        p = pp_put_u(p, t->io[i].calls);
    }
    p = pp_put_u(p, t->alloc_calls);
    p = pp_put_u(p, t->free_calls);
    p = pp_put_u(p, t->alloc_bytes);
    p = pp_put_u(p, t->free_bytes);
    p = pp_put_u(p, t->alloc_timed);
    /* Less the cost of the pair of reads around each timed call: without that, a 15 ns
     * malloc reads as 40 ns and churn looks 2-3x more allocator-bound. */
    uint64_t tns = pp_ticks_ns(t->alloc_timed_ticks), tcost = t->alloc_timed * pp_clock_cost_ns;
    p = pp_put_u(p, tns > tcost ? tns - tcost : 0);
    p = pp_put_u(p, t->mmap_calls);
    p = pp_put_u(p, t->mmap_bytes);
    p = pp_put_u(p, t->munmap_calls);
    p = pp_put_u(p, t->munmap_bytes);
    unsigned kinds = 0;
    for (int i = 0; i < PP_WAIT_KINDS; i++) kinds += t->wait[i].calls != 0;
    p = pp_put_u(p, kinds * 3);
    for (int i = 0; i < PP_WAIT_KINDS; i++) {
        if (!t->wait[i].calls) continue;
        p = pp_put_u(p, (uint64_t)i);
        p = pp_put_u(p, t->wait[i].ns);
        p = pp_put_u(p, t->wait[i].calls);
    }
    p = pp_put_u(p, t == pp_self ? pp_rss_bytes_if_due(t, now) : 0);
    p = pp_put_u(p, t->cpu_samples);
    p = pp_put_u(p, t->skipped_samples);
    pp_rec_end(t, p);
}

/* SAMPLE for [sample_start, now), then a fresh interval.  Caller holds the guard. */
void pp_sample_emit(struct pp_thread *t, uint64_t now)
{
    if ((int64_t)(now - t->sample_start_ns) < 0) now = t->sample_start_ns;   /* never a negative interval */
    pp_alloc_fold(t);
    pp_calls_flush(t);
    pp_clock_refine();
    uint64_t cpu = pp_thread_cpu_ns();
    uint64_t cur[16], delta[16] = { 0 };
    int nc = pp_counters_read(t, cur);
    for (int i = 0; i < nc; i++) delta[i] = cur[i] - t->counters_prev[i];
    put_sample(t, now, cpu - t->sample_cpu_ns, nc, delta);
    pp_selfcost_count(t);
    clear_interval(t, now);
    t->sample_cpu_ns = cpu;
    for (int i = 0; i < nc; i++) t->counters_prev[i] = cur[i];
}

/* Exit, for another live thread that wrote no SAMPLE for two intervals or more because it has no
 * timer (PHASEPROF_SIGNAL=0, or timer_create failed) and makes few calls: its CPU since its last
 * SAMPLE, read from its CPU clock (Linux numbers a thread's clock by its tid), so the time it
 * computed is not lost.  Its counters are its own to read (none here), its
 * aggregates are read as they stand: it may still be running. */
static void sample_for(struct pp_thread *t, uint64_t now)
{
    if (t->has_timer || (int64_t)(now - t->sample_start_ns) < 2 * (int64_t)pp_cfg.interval_ns)
        return;
    clockid_t clock = (clockid_t)((~(unsigned)t->tid << 3) | 6);   /* CPUCLOCK_SCHED, per thread */
    struct timespec ts;
    if (clock_gettime(clock, &ts)) return;
    uint64_t cpu = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    if (cpu > t->sample_cpu_ns) put_sample(t, now, cpu - t->sample_cpu_ns, 0, NULL);
}

__attribute__((noinline)) void pp_tick_due(struct pp_thread *t, uint64_t now)
{
    int saved = errno;
    uint64_t self0 = t->self_ns, t0 = pp_now();   /* the recorder's own cost (selfcost.c) */
    pp_stack_maybe_load(t, now);
    pp_sample_emit(t, now);
    pp_flush_if_old(t, now);
    pp_self_add(t, self0, t0, 500000);   /* a SAMPLE takes tens of µs: more was preemption */
    errno = saved;
}

void pp_thread_detach(struct pp_thread *t)
{
    int saved = errno;
    uint64_t now = pp_now();
    pp_sample_emit(t, now);
    uint8_t *p = pp_rec_begin(t, PP_K_THREAD_END, 32);
    if (p) {
        p = pp_put_ts(t, p, now);
        p = pp_put_u(p, (uint64_t)t->tid);
        p = pp_put_u(p, pp_thread_cpu_ns());
        pp_rec_end(t, p);
    }
    pp_counters_thread_close(t);
    pp_sampler_thread_stop(t);
    pp_selfcost_retire(t);
    atomic_fetch_add(&retired_records, t->records);
    atomic_fetch_add(&retired_dropped, t->dropped);
    pp_flush(t);
    pp_self = 0;
    pp_thread_gone = 1;
    /* The slot may be reused by a new thread only once nobody can flush it: the exit path takes
     * busy first, so take it here too and hand the slot back. */
    if (!atomic_exchange(&t->busy, 1)) {
        t->dead = 1;
        atomic_store(&slot_state[t->slot], SLOT_FREE);
    }
    errno = saved;
}

/* Exit: final sample and flush of every live thread.  Threads caught mid-append lose their
 * unwritten chunk (counted). */
unsigned pp_threads_flush_all(uint64_t now, unsigned *lost)
{
    unsigned n = 0;
    *lost = 0;
    for (int i = 0, n = atomic_load(&slot_hiwater); i < n; i++) {
        if (atomic_load(&slot_state[i]) != SLOT_LIVE) continue;
        struct pp_thread *t = slots[i];
        if (t == pp_self && !t->dead) pp_sample_emit(t, now);
        else if (!t->dead) sample_for(t, now);
        if (pp_flush_final(t)) n++; else (*lost)++;
    }
    return n;
}

/* fork child: only the calling thread exists; the others' slots are free again and the caller's
 * buffer holds the parent's unwritten records, which belong to the parent's file. */
void pp_threads_after_fork_child(void)
{
    struct pp_thread *me = pp_self;
    for (int i = 0, n = atomic_load(&slot_hiwater); i < n; i++)
        if (!me || i != me->slot) atomic_store(&slot_state[i], SLOT_FREE);
    pp_selfcost_after_fork_child(me);
    if (me) {
        me->tid = (pid_t)syscall(SYS_gettid);
        atomic_store(&me->busy, 0);
        me->dead = 0;
        pp_buffer_init(me);
        me->nstaged = 0;                 /* the parent writes its own staged calls */
        pp_counters_thread_open(me);
        sample_reset(me, pp_now());
        uint8_t *p = pp_rec_begin(me, PP_K_THREAD_START, 40);
        if (p) {
            p = pp_put_ts(me, p, me->sample_start_ns);
            p = pp_put_u(p, (uint64_t)me->tid);
            p = pp_put_u(p, 0);
            p = pp_put_u(p, 0);
            pp_rec_end(me, p);
        }
    }
}

uint64_t pp_cpu_total_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pp_threads_totals(uint64_t *records, uint64_t *dropped)
{
    *records = pp_proc->records + atomic_load(&retired_records);
    *dropped = pp_proc->dropped + atomic_load(&retired_dropped);
    for (int i = 0, n = atomic_load(&slot_hiwater); i < n; i++) {
        if (!slots[i] || atomic_load(&slot_state[i]) != SLOT_LIVE) continue;
        *records += slots[i]->records;
        *dropped += slots[i]->dropped;
    }
}

void pp_threads_each(void (*fn)(struct pp_thread *, void *), void *arg)
{
    for (int i = 0, n = atomic_load(&slot_hiwater); i < n; i++)
        if (slots[i] && atomic_load(&slot_state[i]) == SLOT_LIVE) fn(slots[i], arg);
}

/* Before exec: write every other live thread's chunk, keeping them usable if exec fails. */
void pp_threads_flush_live(void)
{
    for (int i = 0, n = atomic_load(&slot_hiwater); i < n; i++)
        if (atomic_load(&slot_state[i]) == SLOT_LIVE && slots[i] != pp_self) pp_flush(slots[i]);
}
