/* Fixed time windows per process: the timeline that phase detection, the classifier and the CSV
 * export all work on.
 *
 * A process's run [HEADER.start_mono_ns, last timestamp) is cut into windows of the trace's
 * sampling interval (10 ms by default), coarsened by an integer factor when the run is long so a
 * process has at most `max_windows` of them (10^5 by default: enough resolution for a report,
 * bounded memory).  Every thread's SAMPLE intervals are spread over the windows they overlap, in
 * proportion to the overlap (an interval that covers a 1 s sleep puts its wait time evenly over
 * that second), and summed over the threads of the process; per-thread totals are kept beside.
 * CPU_SAMPLE stacks give each window a code-location signature (see PP_SIG_DIMS).
 *
 * Every feature is a rate or a share of the window's wall time, so windows of different widths
 * (the last one is usually partial) compare directly.  "Fractions" are thread-seconds per wall
 * second: 1.0 is one thread doing that all the time, 3.0 three threads — the same unit as
 * cpu_util (cores busy).  A feature the trace cannot give (no such counter in the header's events)
 * is marked absent in pp_windows.present and reads NAN: never invented. */
#ifndef PHASEPROF_WINDOWS_H
#define PHASEPROF_WINDOWS_H

#include <stddef.h>
#include <stdint.h>
#include "reader.h"

/* X(name, description).  The names are stable: CSV columns, model feature lists and the report's
 * metrics use them.  Append only. */
#define PP_WFEATURES(X) \
    X(cpu_util,        "cores busy: CPU time of all threads / wall time") \
    X(threads,         "mean number of live threads (time covered by their SAMPLE intervals / wall time)") \
    X(io_frac,         "threads in I/O calls (all kinds, all descriptors) per wall second") \
    X(io_read_frac,    "threads in read calls (read, pread, readv, fread, recv, ...)") \
    X(io_write_frac,   "threads in write calls (write, pwrite, fwrite, fprintf, send, ...)") \
    X(io_meta_frac,    "threads in metadata calls (open, close, stat, lseek, rename, ...)") \
    X(io_sync_frac,    "threads in sync calls (fsync, fdatasync, sync_file_range, msync)") \
    X(io_file_frac,    "threads in I/O on regular files (disk-bound candidates)") \
    X(io_pipe_frac,    "threads in I/O on pipes (waiting for another process, not for a disk)") \
    X(io_socket_frac,  "threads in I/O on sockets") \
    X(io_tty_frac,     "threads in I/O on terminals") \
    X(io_other_frac,   "threads in I/O on devices and other descriptors") \
    X(read_bps,        "bytes read per second (all descriptors)") \
    X(write_bps,       "bytes written per second (all descriptors)") \
    X(io_calls_ps,     "I/O calls per second (all kinds)") \
    X(rw_calls_ps,     "read and write calls per second") \
    X(io_size_mean,    "mean bytes per read or write call (0 when none)") \
    X(alloc_calls_ps,  "allocation calls per second (malloc family incl. realloc)") \
    X(alloc_bps,       "bytes requested from the allocator per second") \
    X(alloc_frac,      "threads in the allocator (alloc_timed_ns scaled by (alloc_calls+free_calls)/alloc_timed)") \
    X(faults_ps,       "page faults per second, minor + major (rusage:minflt + rusage:majflt)") \
    X(majfaults_ps,    "major page faults per second (rusage:majflt)") \
    X(vcsw_ps,         "voluntary context switches per second (rusage:nvcsw)") \
    X(ivcsw_ps,        "involuntary context switches per second (rusage:nivcsw)") \
    X(blkio_ps,        "block I/O operations per second (rusage:inblock + rusage:oublock)") \
    X(offcpu_frac,     "threads off CPU and not in I/O (waiting), per wall second: max(0, live - cpu - io)") \
    X(wait_frac,       "threads blocked in intercepted waits (all kinds below) per wall second") \
    X(wait_mutex_frac, "threads blocked on mutexes") \
    X(wait_cond_frac,  "threads blocked on condition variables") \
    X(wait_rwlock_frac,"threads blocked on rwlocks") \
    X(wait_sem_frac,   "threads blocked on semaphores") \
    X(wait_sleep_frac, "threads sleeping (sleep, nanosleep, ...)") \
    X(wait_poll_frac,  "threads blocked in poll/select/epoll") \
    X(wait_join_frac,  "threads blocked joining threads") \
    X(wait_child_frac, "threads blocked waiting for child processes") \
    X(rss_bytes,       "resident set size (last reading in or before the window)") \
    X(ins_ps,          "instructions per second (PAPI_TOT_INS; hardware counters only)") \
    X(ipc,             "instructions per cycle (PAPI_TOT_INS / PAPI_TOT_CYC; hardware counters only)") \
    X(llc_mpki,        "last-level cache misses per 1000 instructions (PAPI_L3_TCM; hardware only)") \
    X(br_mpki,         "branch mispredictions per 1000 instructions (PAPI_BR_MSP; hardware only)")

enum pp_wfeat {
#define PP_WF_ENUM(n, d) PP_WF_##n,
    PP_WFEATURES(PP_WF_ENUM)
#undef PP_WF_ENUM
    PP_WF_N
};
extern const char *const pp_wfeat_name[PP_WF_N];
extern const char *const pp_wfeat_desc[PP_WF_N];
/* Feature by name, -1 if none. */
int pp_wfeat_by_name(const char *name);

/* Code-location signature: the leaf function of every CPU sample in the window (frame 0 of the
 * CPU_SAMPLE stack, symbolized to its function; the 4 KiB page of the raw PC when it cannot be)
 * is hashed to a fixed pseudo-random Gaussian vector of PP_SIG_DIMS components, and the window's
 * signature is the mean of those vectors: a random projection of the window's normalized
 * leaf-function histogram (SimPoint's basic-block vectors, with functions for blocks).  Distances
 * between signatures approximate distances between histograms, so a window in a compute loop and
 * one in a pointer-chasing loop differ even when every counter reads the same.  Windows without
 * samples read 0 in every component (and sig_samples 0). */
#define PP_SIG_DIMS 8

typedef struct pp_thread_stats {
    uint32_t tid;
    const char *name;              /* last THREAD_NAME, NULL if none (owned by the windows) */
    uint64_t first_ns, last_ns;    /* span of its SAMPLE intervals */
    double live_ns, cpu_ns;
    double io_ns[PP_OPS], io_read_bytes, io_write_bytes, io_calls;
    double alloc_calls, alloc_bytes, alloc_ns;
    double wait_ns[PP_WAIT_KINDS];
    double cpu_samples;
} pp_thread_stats;

typedef struct pp_windows {
    uint32_t pid, ppid;
    const char *exe;               /* owned */
    uint64_t start_ns;             /* CLOCK_MONOTONIC of window 0's start (HEADER.start_mono_ns) */
    uint64_t end_ns;               /* end of the run: FOOTER ts, else the last timestamp seen */
    uint64_t width_ns;             /* window width: interval_ns * coarsen */
    uint64_t interval_ns;          /* the trace's sampling interval */
    unsigned coarsen;
    size_t n;                      /* windows; window i is [start + i*width, min(+width, end)) */
    double *f;                     /* n rows of PP_WF_N features (absent ones NAN) */
    double *sig;                   /* n rows of PP_SIG_DIMS */
    uint32_t *sig_samples;         /* CPU samples behind each signature */
    unsigned char present[PP_WF_N];
    pp_thread_stats *threads;      /* per thread, whole run, sorted by tid */
    size_t nthreads;
    uint64_t samples;              /* SAMPLE records used */
    int has_hw;                    /* hardware counters (IPC etc.) present */
} pp_windows;

typedef struct pp_windows_opts {
    uint64_t width_ns;             /* 0: the trace's interval (then coarsened as needed) */
    size_t max_windows;            /* 0: 100000 */
    int no_signature;              /* 1: skip CPU_SAMPLE symbolization (sig stays 0) */
} pp_windows_opts;

/* A SAMPLE's allocator time: alloc_timed_ns measured on alloc_timed of its calls, scaled to all
 * alloc_calls + free_calls (1 call in 64 is timed).  0 when none was timed. */
static inline double pp_sample_alloc_ns(const struct pp_r_SAMPLE *s)
{
    return s->alloc_timed.u ? (double)s->alloc_timed_ns.u * (double)(s->alloc_calls.u + s->free_calls.u) /
                              (double)s->alloc_timed.u : 0;
}

/* Builds the windows of one trace (one process) in two streaming passes over its records
 * (SAMPLE, THREAD_NAME; then CPU_SAMPLE).  NULL with a message in err when the trace has no
 * HEADER or no SAMPLE records.  o may be NULL (defaults). */
pp_windows *pp_windows_build(pp_trace *t, const pp_windows_opts *o, char *err, size_t errlen);
void pp_windows_free(pp_windows *w);

static inline const double *pp_windows_row(const pp_windows *w, size_t i) { return w->f + i * PP_WF_N; }
static inline uint64_t pp_windows_t0(const pp_windows *w, size_t i) { return w->start_ns + i * w->width_ns; }
static inline uint64_t pp_windows_t1(const pp_windows *w, size_t i)
{
    uint64_t e = w->start_ns + (i + 1) * w->width_ns;
    return e < w->end_ns ? e : w->end_ns;
}

/* Per-thread figures over [from, to) (absolute CLOCK_MONOTONIC ns), SAMPLE intervals clipped in
 * proportion: one more pass over the trace's SAMPLE records.  Returns a malloc'ed array sorted by
 * tid (names not filled: look them up in w->threads), *n its length. */
pp_thread_stats *pp_windows_threads_in(pp_trace *t, uint64_t from, uint64_t to, size_t *n);

/* Mean of each feature over windows [i0, i1), weighted by window length; absent features NAN.
 * out has PP_WF_N entries.  Rates and fractions average correctly this way; ratios are averaged
 * over their denominators (io_size_mean per read/write call, ipc and the mpki per instruction);
 * rss_bytes is the time-weighted mean. */
void pp_windows_mean(const pp_windows *w, size_t i0, size_t i1, double *out);

#endif
