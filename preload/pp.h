/* Internal contract of libphaseprof.so: what every interception file may call.
 *
 * Rules for everything in preload/: no malloc, no stdio, no locks on the per-call path; never
 * change errno, return values or signals seen by the program; when in doubt, pass through.
 * A hook looks like this:
 *
 *     ssize_t write(int fd, const void *b, size_t n) {
 *         PP_REAL(write);                          // resolves real_write once
 *         struct pp_thread *t = pp_enter();        // NULL: tracing off / re-entrant → pass through
 *         if (!t) return real_write(fd, b, n);
 *         uint64_t t0 = pp_ticks();                // a duration read (TSC), not a timestamp
 *         ssize_t r = real_write(fd, b, n);
 *         int e = errno;
 *         pp_io_done(t, PP_FN_write, fd, PP_OP_WRITE, r < 0 ? -e : r, t0, pp_ticks(), -1);
 *         pp_leave(t);
 *         errno = e;
 *         return r;
 *     }
 */
#ifndef PP_H
#define PP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>
#include "phaseprof/trace.h"
#include "phaseprof/codec.h"

#define PP_EXPORT __attribute__((visibility("default")))
/* Globals of this library, declared as what they are (it is built -fvisibility=hidden): a read
 * is then one pc-relative load, not a load of its GOT entry first. */
#define PP_HIDDEN __attribute__((visibility("hidden")))
#define PP_TLS __attribute__((tls_model("initial-exec"))) __thread
#define pp_likely(x) __builtin_expect(!!(x), 1)
#define pp_unlikely(x) __builtin_expect(!!(x), 0)

/* ---------- real symbols (real.c) ---------- */
/* dlsym(RTLD_NEXT) with our bootstrap arena active; NULL if absent. Never call on a hot path:
 * hooks use PP_REAL, which resolves once (normally already done by the constructor). */
void *pp_dlsym_next(const char *name);
/* symtab.c: while open (the constructor's eager resolution), the next definition of name found
 * in the loaded objects' own hash tables; NULL: ask dlsym. */
void pp_symtab_open(void);
void pp_symtab_close(void);
void *pp_symtab_next(const char *name);
#define PP_REAL(name) \
    do { if (pp_unlikely(!real_##name)) real_##name = pp_dlsym_next(#name); } while (0)
/* Each wrap_*.c declares its pointers with PP_DECLARE_REAL and lists them in a resolver that
 * init.c calls eagerly at load (pitfalls 2, 3). */
#define PP_DECLARE_REAL(ret, name, args) static ret (*real_##name) args
void pp_resolve_alloc(void);
void pp_resolve_mmap(void);
void pp_resolve_posix_io(void);
void pp_resolve_stdio(void);
void pp_resolve_socket(void);
void pp_resolve_meta(void);
void pp_resolve_process(void);
void pp_resolve_thread(void);
void pp_resolve_dl(void);
void pp_resolve_wait(void);

/* ---------- configuration (config.c), parsed once in the constructor ---------- */
struct pp_config {
    char output[1024];          /* PHASEPROF_OUTPUT, default "phaseprof-data" */
    uint64_t interval_ns;       /* PHASEPROF_INTERVAL_MS */
    int events_all;             /* PHASEPROF_EVENTS=all */
    uint64_t io_threshold_ns;   /* PHASEPROF_IO_THRESHOLD_US: IO_EVENT for slower calls */
    uint32_t io_events_per_sec; /* PHASEPROF_IO_EVENTS_MAX: cap per thread per second */
    uint32_t chunk_bytes;       /* PHASEPROF_BUFFER_KB */
    uint64_t flush_ns;          /* PHASEPROF_FLUSH_MS: a chunk is written at least this often */
    int counters;               /* PP_COUNTERS_* */
    char papi_events[512];      /* PHASEPROF_PAPI_EVENTS */
    int signo;                  /* PHASEPROF_SIGNAL; 0 = no timer sampling */
    int stacks;                 /* PHASEPROF_STACKS: 1 on, 0 off */
    uint64_t alloc_sample_bytes;/* PHASEPROF_ALLOC_SAMPLE: mean bytes between allocation samples */
    uint32_t alloc_samples_max; /* PHASEPROF_ALLOC_SAMPLES_MAX: per thread-second, sustained */
    uint32_t stack_depth;       /* PHASEPROF_STACK_DEPTH */
    uint64_t run_id;            /* PHASEPROF_RUN_ID (inherited) or made up at start */
    char settings[16][96];      /* "NAME=value" of every setting in force, for the header */
    int nsettings;
};
enum { PP_COUNTERS_AUTO, PP_COUNTERS_PAPI, PP_COUNTERS_SW, PP_COUNTERS_NONE };
PP_HIDDEN extern struct pp_config pp_cfg;
/* Returns 0 when tracing should go on, -1 when it must stay off (setuid, excluded, disabled). */
int pp_config_load(void);

/* ---------- state ---------- */
/* 1 once init succeeded and while tracing is on; set to 0 for good by a fatal output error. */
PP_HIDDEN extern atomic_int pp_active;
PP_HIDDEN extern pid_t pp_pid;
/* What every hook reads lives in one thread-local block: a shared library reaches each
 * initial-exec TLS variable through its own GOT slot, so one block costs one load.  The
 * allocation fast path (wrap_alloc.c) only counts down, here rather than in struct pp_thread:
 * %fs-relative, with no pointer to follow first.  alloc_tick and free_tick are calls until the
 * next timed call, alloc_countdown bytes until the next allocation sample.  A new thread starts
 * with all three due, so its first call takes the slow path and attaches.  What was counted down
 * since the *_base values in struct pp_thread were taken is folded into its totals by
 * pp_alloc_fold, on this thread only (another thread's TLS is not ours to read). */
struct pp_tls {
    int64_t alloc_countdown;
    uint32_t alloc_tick, free_tick;
    int guard;                /* >0: inside our own code on this thread */
    struct pp_thread *self;   /* this thread's state, NULL until first use */
};
extern PP_TLS struct pp_tls pp_tls;
#define pp_self (pp_tls.self)
#define pp_guard (pp_tls.guard)

struct pp_io_cell { uint64_t ns, bytes, calls; };

/* events=all: a malloc-family call waiting to be encoded (calls.c). */
#define PP_CALL_BATCH 64
struct pp_staged_call { uint64_t a; int64_t b; uint64_t dur; uint32_t fn; };

struct pp_thread {
    /* Aggregates since the last SAMPLE, touched by this thread only. */
    struct pp_io_cell io[PP_IO_CELLS];
    uint64_t alloc_calls, free_calls, alloc_bytes, free_bytes, alloc_timed;
    uint64_t alloc_timed_ticks;               /* duration reads: made ns once, at SAMPLE time */
    uint64_t mmap_calls, mmap_bytes, munmap_calls, munmap_bytes;
    struct pp_io_cell wait[PP_WAIT_KINDS];
    uint64_t cpu_samples, skipped_samples;
    uint64_t sample_start_ns, sample_cpu_ns;  /* start of the current interval */
    uint64_t sample_start_ticks;              /* the same start as a duration read */
    uint64_t counters_prev[16];               /* backend values at sample_start */
    /* pp_tls's count-downs when last folded into alloc_calls, free_calls, alloc_bytes. */
    uint32_t alloc_tick_base, free_tick_base;
    int64_t alloc_cd_base;
    uint32_t alloc_timed_tick;                 /* events=all: 1 slow call in 64 is timed */
    uint32_t alloc_self_tick;                  /* 1 timed call in 16 times its own bookkeeping */
    uint32_t lock_tick;                        /* 1 lock call in 8 is tried and timed */
    uint64_t alloc_mean;                       /* current mean gap (grows under a flood) */
    double alloc_tokens;                       /* sampling budget (alloc_sample.c) */
    uint64_t alloc_tok_ns;
    uint64_t rng;                              /* xorshift state for sampling intervals */
    uint32_t io_events_this_sec; uint64_t io_events_sec;  /* IO_EVENT rate cap */
    /* The recorder's own cost (selfcost.c): measured ns (slow paths, samples, stacks, flushes)
     * and the calls made so far, cumulative over the thread's life. */
    uint64_t self_ns;
    uint64_t hooked_alloc, hooked_other;
    uint32_t io_self_tick;                    /* 1 I/O call in 64 times its own bookkeeping */
    uint32_t nstaged;                         /* events=all: calls staged (calls.c) */
    struct pp_staged_call staged[PP_CALL_BATCH];
    uint64_t io_self_ns, io_self_n;

    /* Chunk buffer: records only from this thread (or its signal handler, see busy). */
    atomic_int busy;            /* 1 while appending; a signal handler seeing 1 skips */
    uint8_t *buf;               /* chunk header space + payload */
    uint32_t cap;               /* bytes at buf (pp_cfg.chunk_bytes for threads) */
    uint32_t len;               /* bytes used after the chunk header */
    uint64_t base_ns, last_ts, chunk_open_ns;
    uint64_t last_ptr;
    uint64_t records, dropped;
    pid_t tid;
    int slot;                   /* index in the registry */
    int dead;                   /* thread finished: no more records */
    void *counter_state;        /* counters backend per-thread state */
    int timer_id;               /* kernel id of this thread's CPU-time sampling timer */
    int has_timer;
    /* The program blocked our signal in this thread (or the thread was born with it blocked):
     * it believes so, and the masks it reads say so, but the kernel has it unblocked so the
     * thread is still sampled (sampler.c).  A signal of the program's arriving meanwhile waits
     * in deferred until the program unblocks it. */
    int vblocked, has_deferred;
    siginfo_t deferred;
    int unwind_ready;           /* libunwind's per-thread data exists: the handler may unwind */
    int big_stack;              /* a stack of 1 MiB or more: the handler may dlopen libunwind here */
};

/* Thread state of the calling thread, created on first use; NULL if none can be had. */
struct pp_thread *pp_thread_attach(void);
/* Called from the thread-exit path: final sample, THREAD_END, flush, slot freed. */
void pp_thread_detach(struct pp_thread *t);

/* Moves what the allocation fast path counted down into alloc_calls, free_calls, alloc_bytes.
 * t must be this thread's.  Safe against the fast path interrupted on the same thread (a signal
 * handler): that path never writes a *_base value, so a count it stores after the fold is
 * picked up by the next one. */
static inline void pp_alloc_fold(struct pp_thread *t)
{
    uint32_t a = pp_tls.alloc_tick, f = pp_tls.free_tick;
    int64_t c = pp_tls.alloc_countdown;
    t->alloc_calls += t->alloc_tick_base - a; t->alloc_tick_base = a;
    t->free_calls += t->free_tick_base - f; t->free_tick_base = f;
    t->alloc_bytes += (uint64_t)(t->alloc_cd_base - c); t->alloc_cd_base = c;
}

/* Hook entry and exit: pp_enter returns NULL when the call must pass straight through. */
static inline struct pp_thread *pp_enter(void)
{
    if (pp_unlikely(pp_guard) || pp_unlikely(!atomic_load_explicit(&pp_active, memory_order_relaxed)))
        return 0;
    pp_guard = 1;
    struct pp_thread *t = pp_self;
    if (pp_unlikely(!t)) {
        t = pp_thread_attach();
        if (!t) { pp_guard = 0; return 0; }
    }
    return t;
}
/* Emits a SAMPLE when the interval is over.  The check is inline (every timed call makes it);
 * signed: `now` was read before the call returned, and the sampling handler may have opened a
 * newer interval in between. */
void pp_tick_due(struct pp_thread *t, uint64_t now);
static inline void pp_tick(struct pp_thread *t, uint64_t now)
{
    if (pp_unlikely((int64_t)(now - t->sample_start_ns) >= (int64_t)pp_cfg.interval_ns)) pp_tick_due(t, now);
}
static inline void pp_leave(struct pp_thread *t) { (void)t; pp_guard = 0; }

/* ---------- time (clock.c) ---------- */
static inline uint64_t pp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
/* Durations (clock.c says why): ticks of the invariant TSC, or ns where there is none. */
PP_HIDDEN extern int pp_tsc;
PP_HIDDEN extern _Atomic uint64_t pp_tsc_mult;              /* ns per tick x 2^32 (2^32 without a TSC) */
PP_HIDDEN extern _Atomic uint64_t pp_interval_ticks;        /* the sampling interval, in ticks */
PP_HIDDEN extern _Atomic uint64_t pp_us_ticks;              /* ticks per µs */
/* Calls faster than this are under the IO_EVENT threshold, so they may take pp_io_fast (0: none
 * may, as with PHASEPROF_EVENTS=all, which records every call). */
PP_HIDDEN extern _Atomic uint64_t pp_io_fast_ticks;
static inline uint64_t pp_ticks(void)
{
#if defined(__x86_64__)
    if (pp_likely(pp_tsc)) return __builtin_ia32_rdtsc();
#endif
    return pp_now();
}
static inline uint64_t pp_ticks_ns(uint64_t d)
{
    if ((int64_t)d < 0) return 0;              /* a TSC read on another core, a little behind */
    return (uint64_t)(((unsigned __int128)d * atomic_load_explicit(&pp_tsc_mult, memory_order_relaxed)) >> 32);
}
uint64_t pp_thread_cpu_ns(void);
PP_HIDDEN extern uint64_t pp_clock_cost_ns;     /* cost of the pair of duration reads around a timed call */
void pp_clock_calibrate(void);
void pp_clock_refine(void);           /* at each SAMPLE */
/* The same from a duration read (pp_ticks) taken at the end of a timed call. */
static inline void pp_tick_at(struct pp_thread *t, uint64_t ticks)
{
    if (pp_unlikely((int64_t)(ticks - t->sample_start_ticks) >=
                    (int64_t)atomic_load_explicit(&pp_interval_ticks, memory_order_relaxed)))
        pp_tick_due(t, pp_now());
}
uint64_t pp_realtime_ns(void);

/* ---------- records (buffer.c) ---------- */
/* Opens a record of `kind` with room for max_body bytes; returns where the body goes, or NULL
 * (record dropped and counted: busy, tracing off, no room).  Between begin and end nothing else
 * may append to t.  Body helpers advance p. */
uint8_t *pp_rec_begin(struct pp_thread *t, unsigned kind, size_t max_body);
void pp_rec_end(struct pp_thread *t, uint8_t *end);
static inline uint8_t *pp_put_u(uint8_t *p, uint64_t v) { return pp_put_varint(p, v); }
static inline uint8_t *pp_put_s(uint8_t *p, int64_t v) { return pp_put_varint(p, pp_zigzag(v)); }
static inline uint8_t *pp_put_ts(struct pp_thread *t, uint8_t *p, uint64_t ts)
{
    p = pp_put_varint(p, pp_zigzag((int64_t)(ts - t->last_ts)));
    t->last_ts = ts;
    return p;
}
static inline uint8_t *pp_put_ptr(struct pp_thread *t, uint8_t *p, uint64_t ptr)
{
    p = pp_put_varint(p, pp_zigzag((int64_t)(ptr - t->last_ptr)));
    t->last_ptr = ptr;
    return p;
}
uint8_t *pp_put_bytes(uint8_t *p, const void *s, size_t n);   /* varint length + bytes */
/* Writes the chunk now (if it holds anything).  Safe from a signal handler only if busy was taken. */
void pp_flush(struct pp_thread *t);
/* Write the chunk if it is older than pp_cfg.flush_ns: called at sample time. */
void pp_flush_if_old(struct pp_thread *t, uint64_t now);

/* Interned strings (call before pp_rec_begin, never between begin and end): returns the id (>0) of s, writing a STRING record into t the first time.
 * 0 if s is NULL.  Lock-free. */
uint64_t pp_intern(struct pp_thread *t, const char *s, size_t len);

/* Process-level records (header, module map, footer) go through this pseudo-thread under
 * pp_proc_lock(); never on a per-call path. */
struct pp_thread *pp_proc_lock(void);
void pp_proc_unlock(struct pp_thread *p);

/* ---------- output (output.c) ---------- */
int pp_output_open(void);            /* create the file, write preamble + HEADER; -1 on failure */
int pp_output_fd(void);              /* our descriptor, or -1 */
int pp_is_our_fd(int fd);
int pp_our_fds(int out[3]);          /* ours, ascending (trace file, libunwind's pipe) */
/* pipe2 made from inside our own code (libunwind's validation pipe): numbered high and guarded. */
int pp_private_pipe2(int fds[2], int flags, int (*real)(int[2], int));
/* Before the program dup2s onto or closes fd: if fd is ours, move ours away. Returns 1 if fd was
 * ours and the program's close must be answered with EBADF (ours was never its descriptor). */
int pp_output_protect(int fd);
int pp_output_write(const void *data, size_t len);  /* whole chunk; turns tracing off on failure */
void pp_output_finish(int exit_status); /* flush all threads, FOOTER; idempotent per process */
void pp_output_after_fork_child(void);  /* new file for the child */
PP_HIDDEN extern atomic_uint pp_footer_flags;

/* ---------- I/O accounting (io_account.c, fdtab.c) ---------- */
/* After an I/O call: result >= 0 bytes (or 0 for meta/sync), < 0 = -errno.  offset: explicit
 * file offset (pread/pwrite), or -1 for the descriptor's current position. */
void pp_io_done(struct pp_thread *t, int fn, int fd, int op, int64_t result, uint64_t t0,
                uint64_t t1, int64_t offset);
/* A new descriptor from open/openat/creat/fopen/socket/accept/pipe/dup; path may be NULL. */
void pp_fd_opened(struct pp_thread *t, int fd, const char *path, int fn, uint64_t t0, uint64_t t1);
/* Before the descriptor goes away (close, or dup2 onto it): writes its FILE_STATS. */
void pp_fd_closing(struct pp_thread *t, int fd);
/* lseek result: the position the descriptor now has. */
void pp_fd_seeked(int fd, int64_t pos);
/* Exit: FILE_STATS for every descriptor still open. */
void pp_fd_flush_all(struct pp_thread *t);
void pp_fd_reset_after_fork(void);

/* ---------- allocation & misc accounting ---------- */
void *pp_real_malloc(size_t n);      /* the program's allocator, bypassing our accounting */
void pp_real_free(void *p);
/* Captures the caller's stack (skipping `skip` of our frames) and returns its interned id, or 0
 * when stacks are off or the capture is unsafe here. */
uint64_t pp_stack_capture(struct pp_thread *t, int skip);
/* Interns a stack given as frames (innermost first); returns its id. */
uint64_t pp_stack_intern(struct pp_thread *t, const uint64_t *frames, int n);
void pp_call_event(struct pp_thread *t, int fn, uint64_t a_ptr_or_fd, int64_t b, uint64_t ts, uint64_t dur);
/* events=all, malloc family (calls.c): stage one call (dur: duration ticks, 0 when not timed);
 * flush writes what is staged (before any record that must come after those calls). */
void pp_calls_flush(struct pp_thread *t);
static inline void pp_call_stage(struct pp_thread *t, int fn, uint64_t a, int64_t b, uint64_t dur_ticks)
{
    struct pp_staged_call *c = &t->staged[t->nstaged];
    c->fn = (uint32_t)fn;
    c->a = a;
    c->b = b;
    c->dur = dur_ticks;
    if (++t->nstaged == PP_CALL_BATCH) pp_calls_flush(t);
}
/* Several whole records at once, busy held across them (buffer.c). */
uint8_t *pp_recs_begin(struct pp_thread *t, size_t max);
void pp_recs_end(struct pp_thread *t, uint8_t *end, unsigned records);

/* ---------- the recorder's own cost (selfcost.c) ---------- */
/* At SAMPLE time: the interval's calls join the thread's cumulative hooked-call counts. */
void pp_selfcost_count(struct pp_thread *t);
/* A thread ends: its cost and calls join the process totals. */
void pp_selfcost_retire(struct pp_thread *t);
/* For the FOOTER: ns the recorder spent in this process (all threads) and the calls it hooked. */
void pp_selfcost_totals(uint64_t *self_ns, uint64_t *hooked_calls);

/* Our own cost of a section that began at `start` (pp_now()) when t->self_ns was self0: what
 * the parts it called counted themselves stays, the rest is added, capped at cap_ns: such a
 * section takes far less, so more means the thread was preempted in between (not our cost).
 * (The thread's CPU clock would not see a preemption, but it is a system call: it times only
 * start-up and the loading of libunwind, once per process.) */
static inline void pp_self_span(struct pp_thread *t, uint64_t self0, uint64_t span, uint64_t cap_ns)
{
    uint64_t inner = t->self_ns - self0;
    uint64_t own = span > inner ? span - inner : 0;
    t->self_ns += own < cap_ns ? own : cap_ns;
}
static inline void pp_self_add(struct pp_thread *t, uint64_t self0, uint64_t start, uint64_t cap_ns)
{
    pp_self_span(t, self0, pp_now() - start, cap_ns);
}
/* After a timed call's bookkeeping that began at t1 (a duration read, pp_ticks): that, capped
 * as above, plus the pair of reads around the call. */
static inline void pp_self_slow(struct pp_thread *t, uint64_t self0, uint64_t t1)
{
    pp_self_span(t, self0, pp_ticks_ns(pp_ticks() - t1), 2000);
    t->self_ns += pp_clock_cost_ns;
}

/* ---------- our own tables (mapping.c) ---------- */
/* The zeroed anonymous mapping of `bytes` in *slot, made by the first caller (racing threads:
 * one wins, the others unmap theirs); NULL if it cannot be made.  PP_MAP_ONCE keeps the type. */
void *pp_map_once(_Atomic(void *) *slot, size_t bytes);
#define PP_MAP_ONCE(slot, bytes) \
    ((__typeof__(atomic_load(&(slot))))pp_map_once((_Atomic(void *) *)&(slot), (bytes)))

/* ---------- logging (log.c): one line, "phaseprof[PID]: ...", async-signal-safe ---------- */
void pp_log(const char *fmt_literal, const char *a, const char *b);
void pp_log_str(const char *msg);

/* ---------- modules (maps.c) ---------- */
void pp_maps_snapshot(void);         /* MODULE records for every loaded object */
void pp_maps_refresh(void);          /* after dlopen/dlclose: new objects only */

/* ---------- lifecycle (init.c) ---------- */
void pp_process_exit(int status);    /* flush everything; used by exit paths */

#endif
