/* Recommendations per phase, as Redis's latency doctor writes them: the facts measured (counts,
 * sizes, seconds, share of the phase), the finding they point to, the advice, and where in the
 * program it applies — the call site ("func (file.c:42)") and the file, from the trace's own
 * stacks: IO_EVENT (slow I/O calls: path and stack), FILE_STATS (per-file counts), ALLOC_SAMPLE
 * (byte-sampled allocations), WAIT_EVENT (waits) and CPU_SAMPLE (the caller of an intercepted
 * I/O call caught on the CPU; the hottest functions).  Each piece of advice carries the
 * whole-program speedup fixing that cost buys (predicted, else the upper bound; speedup.c).
 *
 * A cost gets advice when removing it would save at least ADVICE_MIN_PHASE of the phase's wall
 * time and ADVICE_MIN_SAVE of the program's: below either it is not where the time goes (the CPU
 * time of an I/O-bound phase, a costly phase of a millisecond). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"
#include "util.h"

#define ADVICE_MIN_SAVE  0.02
#define ADVICE_MIN_PHASE 0.10

/* ---- tallies: weight per (what, path, call site) ---- */
typedef struct entry { char *what, *path, *site; double w, n, bytes; } entry;
typedef struct tally { pp_strmap idx; entry *e; size_t n, cap; } tally;

static void tally_add(tally *t, const char *what, const char *path, const char *site, double w, double bytes)
{
    pp_buf k; buf_init(&k);
    buf_printf(&k, "%s\x1f%s\x1f%s", what ? what : "", path ? path : "", site ? site : "");
    int created;
    size_t *slot = strmap_slot(&t->idx, k.data, k.len, &created);
    buf_free(&k);
    if (created) {
        xgrow((void **)&t->e, &t->cap, t->n + 1, sizeof *t->e);
        entry *e = &t->e[t->n];
        memset(e, 0, sizeof *e);
        e->what = what ? xstrdup(what) : NULL;
        e->path = path ? xstrdup(path) : NULL;
        e->site = site ? xstrdup(site) : NULL;
        *slot = t->n++;
    }
    entry *e = &t->e[*slot];
    e->w += w;
    e->n += 1;
    e->bytes += bytes;
}

static const entry *tally_top(const tally *t)
{
    const entry *b = NULL;
    for (size_t i = 0; i < t->n; i++) if (!b || t->e[i].w > b->w) b = &t->e[i];
    return b;
}

static void tally_free(tally *t)
{
    for (size_t i = 0; i < t->n; i++) { free(t->e[i].what); free(t->e[i].path); free(t->e[i].site); }
    free(t->e);
    strmap_free(&t->idx);
}

enum { T_IO, T_IOCPU, T_ALLOC, T_WAIT, T_FILE, T_N };
typedef struct ptally { tally t[T_N]; } ptally;

/* ---- call sites ---- */
static const char *basename_of(const char *p) { const char *s = p ? strrchr(p, '/') : NULL; return s ? s + 1 : p; }

/* The first user frame of a stack (outside the runtime libraries: sym_runtime), formatted; NULL
 * when none.  first_is_pc: frame 0 is a PC (a
 * CPU sample), the others return addresses. */
static char *call_site(pp_trace *t, pp_symtab *sy, uint64_t stack, int first_is_pc)
{
    size_t n = 0;
    const uint64_t *f = pp_trace_stack(t, stack, &n);
    for (size_t i = 0; f && i < n; i++) {
        pp_sym y = sym_lookup(sy, f[i], !(first_is_pc && i == 0));
        if (sym_runtime(&y) || !y.func) continue;
        if (!strcmp(y.func, "_start") || !strncmp(y.func, "__libc_start", 12)) return NULL;
        char buf[512];
        sym_format(&y, f[i], buf, sizeof buf);
        return xstrdup(buf);
    }
    return NULL;
}

/* Call sites by stack id (stacks are interned: the same code path has one id), so each stack is
 * symbolized once per process. */
typedef struct site_cache { pp_u64map m; char **s; size_t n, cap; } site_cache;

static const char *cached_site(site_cache *c, pp_trace *t, pp_symtab *sy, uint64_t stack, int first_is_pc)
{
    int created;
    size_t *slot = u64map_slot(&c->m, stack << 1 | (uint64_t)first_is_pc, &created);
    if (created) {
        xgrow((void **)&c->s, &c->cap, c->n + 1, sizeof *c->s);
        c->s[c->n] = call_site(t, sy, stack, first_is_pc);
        *slot = c->n++;
    }
    return c->s[*slot];
}

/* A CPU sample caught inside one of our I/O wrappers: the wrapper's name (the intercepted
 * function), else NULL. */
static const char *io_wrapper(pp_trace *t, pp_symtab *sy, uint64_t stack)
{
    size_t n = 0;
    const uint64_t *f = pp_trace_stack(t, stack, &n);
    for (size_t i = 0; f && i < n && i < 8; i++) {
        pp_sym y = sym_lookup(sy, f[i], i != 0);
        const char *m = basename_of(y.module);
        if (!m || strncmp(m, "libphaseprof", 12) || !y.func) continue;
        for (unsigned k = PP_FN_open; k < PP_FN_COUNT; k++) {
            const char *nm = pp_fn_name(k);
            if (nm && !strcmp(nm, y.func)) return nm;
        }
    }
    return NULL;
}

static size_t phase_at(const pp_aphase *ph, size_t np, uint64_t ts)
{
    size_t lo = 0, hi = np;
    while (hi - lo > 1) { size_t m = (lo + hi) / 2; if (ph[m].start_ns <= ts) lo = m; else hi = m; }
    return np && ts >= ph[lo].start_ns && ts < ph[lo].end_ns ? lo : np;
}

static const char *const wait_kind[PP_WAIT_KINDS] = {
    "mutex", "condition variable", "rwlock", "semaphore", "sleep", "poll/select/epoll", "thread join", "child wait" };

/* One pass over the process's events, each tallied into the phase holding it. */
static void collect(const pp_analysis *a, const pp_aproc *pr, ptally *pt)
{
    const pp_aphase *ph = &a->phases[pr->phase0];
    size_t np = pr->nphases;
    unsigned kinds[] = { PP_K_IO_EVENT, PP_K_ALLOC_SAMPLE, PP_K_WAIT_EVENT, PP_K_CPU_SAMPLE, PP_K_FILE_STATS };
    pp_trace_select(pr->t, kinds, sizeof kinds / sizeof kinds[0]);
    pp_trace_rewind(pr->t);
    pp_rec r;
    uint64_t t0 = a->t0;
    site_cache sc = { 0 };
    pp_u64map wrap = { 0 };          /* CPU sample stack id -> wrapper fn + 1 (0: none) */
    while (pp_trace_next(pr->t, &r)) {
        switch (r.kind) {
        case PP_K_IO_EVENT: {
            size_t p = phase_at(ph, np, r.IO_EVENT.ts.u - t0);
            if (p == np) break;
            const char *path = r.IO_EVENT.path.u ? pp_trace_string(pr->t, r.IO_EVENT.path.u, NULL) : NULL;
            const char *site = cached_site(&sc, pr->t, pr->sym, r.IO_EVENT.stack.u, 0);
            tally_add(&pt[p].t[T_IO], pp_fn_name(r.IO_EVENT.fn.u), path, site, (double)r.IO_EVENT.dur.u / 1e9,
                      r.IO_EVENT.bytes.s > 0 ? (double)r.IO_EVENT.bytes.s : 0);
            break;
        }
        case PP_K_ALLOC_SAMPLE: {
            size_t p = phase_at(ph, np, r.ALLOC_SAMPLE.ts.u - t0);
            if (p == np) break;
            const char *site = cached_site(&sc, pr->t, pr->sym, r.ALLOC_SAMPLE.stack.u, 0);
            tally_add(&pt[p].t[T_ALLOC], NULL, NULL, site, (double)r.ALLOC_SAMPLE.weight.u, (double)r.ALLOC_SAMPLE.size.u);
            break;
        }
        case PP_K_WAIT_EVENT: {
            size_t p = phase_at(ph, np, r.WAIT_EVENT.ts.u - t0);
            if (p == np) break;
            const char *site = cached_site(&sc, pr->t, pr->sym, r.WAIT_EVENT.stack.u, 0);
            tally_add(&pt[p].t[T_WAIT], r.WAIT_EVENT.kind.u < PP_WAIT_KINDS ? wait_kind[r.WAIT_EVENT.kind.u] : "wait", NULL,
                      site, (double)r.WAIT_EVENT.dur.u / 1e9, 0);
            break;
        }
        case PP_K_CPU_SAMPLE: {
            size_t p = phase_at(ph, np, r.CPU_SAMPLE.ts.u - t0);
            if (p == np) break;
            int created;
            size_t *ws = u64map_slot(&wrap, r.CPU_SAMPLE.stack.u, &created);
            if (created) {
                const char *w = io_wrapper(pr->t, pr->sym, r.CPU_SAMPLE.stack.u);
                *ws = 0;
                for (unsigned f = 0; w && f < PP_FN_COUNT; f++) if (pp_fn_name(f) == w) *ws = f + 1;
            }
            if (!*ws) break;
            const char *fn = pp_fn_name(*ws - 1);
            const char *site = cached_site(&sc, pr->t, pr->sym, r.CPU_SAMPLE.stack.u, 1);
            tally_add(&pt[p].t[T_IOCPU], fn, NULL, site, 1, 0);
            break;
        }
        case PP_K_FILE_STATS: {
            /* a descriptor's whole life, written at close: counted in every phase it overlaps,
             * weighted by its I/O time (it names the file, not the phase's share of it) */
            uint64_t o = r.FILE_STATS.open_ts.u, c = r.FILE_STATS.ts.u;
            if (r.FILE_STATS.cls.u != PP_FD_FILE || !r.FILE_STATS.path.u) break;
            const char *path = pp_trace_string(pr->t, r.FILE_STATS.path.u, NULL);
            double ns = (double)(r.FILE_STATS.read_ns.u + r.FILE_STATS.write_ns.u + r.FILE_STATS.sync_ns.u + r.FILE_STATS.meta_ns.u);
            for (size_t p = 0; p < np; p++)
                if (o - t0 < ph[p].end_ns && c - t0 >= ph[p].start_ns)
                    tally_add(&pt[p].t[T_FILE], NULL, path, NULL, ns / 1e9,
                              (double)(r.FILE_STATS.read_bytes.u + r.FILE_STATS.write_bytes.u));
            break;
        }
        }
    }
    pp_trace_select(pr->t, NULL, 0);
    for (size_t i = 0; i < sc.n; i++) free(sc.s[i]);
    free(sc.s);
    u64map_free(&sc.m);
    u64map_free(&wrap);
}

/* ---- advice ---- */
__attribute__((format(printf, 2, 3))) static char *fmt(pp_buf *b, const char *f, ...)
{
    buf_clear(b);
    va_list ap;
    va_start(ap, f);
    buf_vprintf(b, f, ap);
    va_end(ap);
    return xstrdup(b->data);
}

static void count_text(char *out, size_t cap, double v)
{
    if (v >= 1e6) snprintf(out, cap, "%.1f M", v / 1e6);
    else if (v >= 1e4) snprintf(out, cap, "%.0f k", v / 1e3);
    else snprintf(out, cap, "%.0f", v);
}

static void bytes_text(char *out, size_t cap, double v)
{
    if (!isfinite(v)) { snprintf(out, cap, "?"); return; }
    const char *u[] = { "B", "KiB", "MiB", "GiB" };
    int i = 0;
    while (v >= 1024 && i < 3) { v /= 1024; i++; }
    snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void add(pp_aphase *p, int cost, char *facts, char *finding, char *advice, char *where)
{
    pp_advice *v;
    p->advice = xrealloc(p->advice, (p->nadvice + 1) * sizeof *p->advice);
    v = &p->advice[p->nadvice++];
    v->cost = cost;
    v->facts = facts;
    v->finding = finding;
    v->advice = advice;
    v->where = where;
    double g = p->speedup[cost].predicted;
    v->gain = isfinite(g) || isinf(g) ? g : p->speedup[cost].upper_bound;
}

/* "site on path" from whatever of the two is known; NULL when neither. */
static char *where_of(pp_buf *b, const char *site, const char *path)
{
    if (!site && !path) return NULL;
    if (site && path) return fmt(b, "%s on %s", site, path);
    return fmt(b, "%s", site ? site : path);
}

/* No system call costs less than this (a write to /dev/null takes ~100 ns on fast hardware): read
 * and write calls that averaged less were served from a stdio buffer. */
#define BUFFERED_CALL_S 100e-9

static void advise_io(pp_aphase *p, const ptally *pt, double D, pp_buf *b)
{
    const double *m = p->seg->mean;
    double io_s = p->cost_s[PP_COST_IO];
    double calls = (isfinite(m[PP_WF_rw_calls_ps]) ? m[PP_WF_rw_calls_ps] : 0) * D;
    double size = m[PP_WF_io_size_mean];
    double sy = m[PP_WF_io_sync_frac], me = m[PP_WF_io_meta_frac];
    const entry *ev = tally_top(&pt->t[T_IO]), *cs = tally_top(&pt->t[T_IOCPU]), *fs = tally_top(&pt->t[T_FILE]);
    /* Slow calls (IO_EVENT) point at the code only when they are a good part of the phase's I/O
     * time; when the time is in many fast calls, one slow write to another file (a log) must not
     * name the place: then the caller of the wrapper caught on the CPU and the file with the
     * most I/O time do. */
    if (ev && ev->w < 0.25 * io_s && (cs || fs)) ev = NULL;
    const char *site = ev && ev->site ? ev->site : cs && cs->site ? cs->site : NULL;
    const char *fn = ev && ev->what ? ev->what : cs && cs->what ? cs->what : NULL;
    const char *path = ev && ev->path ? ev->path : fs ? fs->path : NULL;
    char nc[32], sz[32];
    count_text(nc, sizeof nc, calls);
    bytes_text(sz, sizeof sz, size);
    double share = D > 0 ? 100 * io_s / D : 0;
    const char *finding, *advice;
    char *facts;
    enum pp_io_pattern k = pp_io_pattern(m, NULL);
    if (k == PP_IO_SYNC) {
        facts = fmt(b, "%.2f s in fsync/fdatasync of %.2f s of I/O (%.0f%% of the phase)%s%s", sy * D, io_s, share,
                    fn ? ", last slow call " : "", fn ? fn : "");
        finding = "a sync per record or per small batch: every sync waits for the device";
        advice = "batch the syncs: sync once per many records (group commit) or at checkpoints";
    } else if (k == PP_IO_REMOTE) {
        facts = fmt(b, "%.2f s in I/O on pipes, sockets or terminals (%.0f%% of the phase)", io_s, share);
        finding = "the program waits for another process or peer, not for a disk";
        advice = "the time is at the other end: profile the writer/reader it talks to, or overlap the waits with work";
    } else if (k == PP_IO_META) {
        facts = fmt(b, "%.2f s in open/close/stat-like calls (%.0f%% of the phase)", me * D, share);
        finding = "metadata calls dominate: many files opened, closed or stat'ed";
        advice = "keep files open, cache stat results, or use fewer, larger files";
    } else if ((k == PP_IO_SMALL_WRITES || k == PP_IO_SMALL_READS) && calls > 0 && io_s / calls < BUFFERED_CALL_S) {
        /* Less time a call than any system call takes: stdio calls served from the FILE's buffer
         * (counted, untimed), the time in the few that flushed or refilled it. */
        int w = k == PP_IO_SMALL_WRITES;
        facts = fmt(b, "%s read/write calls of %s mean, %.2f s in I/O (%.0f%% of the phase), %.0f ns a call", nc, sz,
                    io_s, share, 1e9 * io_s / calls);
        finding = w ? "small writes into a stdio buffer: the calls cost little, the time is in flushing the buffer"
                    : "small reads from a stdio buffer: the calls cost little, the time is in refilling the buffer";
        advice = w ? "give the stream a larger buffer (setvbuf, 64 KiB or more) so it flushes less often, or write less"
                   : "give the stream a larger buffer (setvbuf, 64 KiB or more), or read in large blocks (fread)";
    } else if (k == PP_IO_SMALL_WRITES) {
        facts = fmt(b, "%s read/write calls of %s mean, %.2f s in I/O (%.0f%% of the phase)", nc, sz, io_s, share);
        finding = "unbuffered small writes: every call pays a system call";
        advice = "buffer the writes (stdio with a large buffer, or your own 64 KiB buffer) and write in large blocks";
    } else if (k == PP_IO_SMALL_READS) {
        facts = fmt(b, "%s read/write calls of %s mean, %.2f s in I/O (%.0f%% of the phase)", nc, sz, io_s, share);
        finding = "many small reads: every call pays a system call";
        advice = "read larger blocks (64 KiB or more), or mmap the file";
    } else {
        char bw[32];
        double bps = (isfinite(m[PP_WF_read_bps]) ? m[PP_WF_read_bps] : 0) + (isfinite(m[PP_WF_write_bps]) ? m[PP_WF_write_bps] : 0);
        /* the kernel's block I/O count (rusage inblock + oublock, 512-byte units; a write counts
         * when it dirties the page cache) against the bytes moved: under a tenth, the data came
         * from memory, and no storage is the limit */
        double dev = isfinite(m[PP_WF_blkio_ps]) ? m[PP_WF_blkio_ps] * 512 : NAN;
        bytes_text(bw, sizeof bw, bps);
        if (isfinite(dev) && dev < 0.1 * bps) {
            facts = fmt(b, "%s calls of %s mean at %s/s, %.2f s in I/O (%.0f%% of the phase), %.0f%% of the bytes from or to a block device",
                        nc, sz, bw, io_s, share, 100 * dev / bps);
            finding = "large transfers served from memory (the page cache): the time is the kernel copying the data";
            advice = "move less data (skip what is not needed), map the file (mmap) instead of copying it, or overlap the copying with computing";
        } else {
            facts = fmt(b, "%s calls of %s mean at %s/s, %.2f s in I/O (%.0f%% of the phase)", nc, sz, bw, io_s, share);
            finding = "large transfers: the device's bandwidth is the limit";
            advice = "move less data (compress, skip what is not needed), use faster storage, or overlap I/O with computing";
        }
    }
    add(p, PP_COST_IO, facts, xstrdup(finding), xstrdup(advice), where_of(b, site, path));
}

static void advise_alloc(pp_aphase *p, const ptally *pt, double D, pp_buf *b)
{
    const double *m = p->seg->mean;
    double calls = (isfinite(m[PP_WF_alloc_calls_ps]) ? m[PP_WF_alloc_calls_ps] : 0) * D;
    double mean = m[PP_WF_alloc_calls_ps] > 0 ? m[PP_WF_alloc_bps] / m[PP_WF_alloc_calls_ps] : NAN;
    const entry *e = tally_top(&pt->t[T_ALLOC]);
    char nc[32], sz[32];
    count_text(nc, sizeof nc, calls);
    bytes_text(sz, sizeof sz, mean);
    char *facts = fmt(b, "%s allocation calls of %s mean, %.2f s in the allocator (%.0f%% of the phase)", nc, sz,
                      p->cost_s[PP_COST_ALLOC], D > 0 ? 100 * p->cost_s[PP_COST_ALLOC] / D : 0);
    const char *finding, *advice;
    if (isfinite(mean) && mean >= 64 * 1024) {
        finding = "large blocks allocated and freed again: each is mapped and unmapped by the kernel";
        advice = "reuse the buffers (allocate once, keep them), or raise M_MMAP_THRESHOLD";
    } else if (p->nthreads >= 1.5) {
        finding = "allocation churn on several threads: they contend in the allocator";
        advice = "reuse objects (per-thread pools, object recycling), or use a thread-caching allocator (jemalloc, tcmalloc)";
    } else {
        finding = "allocation churn: many short-lived objects";
        advice = "pool or reuse the objects (free lists, arenas), allocate in batches, or use jemalloc/tcmalloc";
    }
    add(p, PP_COST_ALLOC, facts, xstrdup(finding), xstrdup(advice), e && e->site ? xstrdup(e->site) : NULL);
}

static void advise_wait(pp_aphase *p, const ptally *pt, double D, pp_buf *b)
{
    const double *m = p->seg->mean;
    static const int kf[PP_WAIT_KINDS] = { PP_WF_wait_mutex_frac, PP_WF_wait_cond_frac, PP_WF_wait_rwlock_frac,
                                           PP_WF_wait_sem_frac, PP_WF_wait_sleep_frac, PP_WF_wait_poll_frac,
                                           PP_WF_wait_join_frac, PP_WF_wait_child_frac };
    int k = 0;
    for (int i = 1; i < PP_WAIT_KINDS; i++) if (m[kf[i]] > m[kf[k]]) k = i;
    /* the top site of that kind */
    const entry *e = NULL;
    for (size_t i = 0; i < pt->t[T_WAIT].n; i++) {
        const entry *x = &pt->t[T_WAIT].e[i];
        if (x->what && !strcmp(x->what, wait_kind[k]) && (!e || x->w > e->w)) e = x;
    }
    char *facts = fmt(b, "%.2f thread-s blocked (%.1f threads on average), %.2f thread-s of it on %s; %.2f s of wall time at stake",
                      p->cost_s[PP_COST_WAIT], m[PP_WF_wait_frac], m[kf[k]] * D, wait_kind[k], p->cost_wall_s[PP_COST_WAIT]);
    static const char *const finding[PP_WAIT_KINDS] = {
        "lock contention: threads queue on a mutex",
        "threads wait to be signalled: the work they wait for is elsewhere",
        "readers and writers contend on a rwlock",
        "threads wait on a semaphore",
        "the program sleeps: the wait is deliberate",
        "the program waits for events (poll/select/epoll): the time is spent by whoever it waits for",
        "threads wait for other threads to finish",
        "the process waits for its children" };
    static const char *const advice[PP_WAIT_KINDS] = {
        "shard the lock or narrow the critical section (no sleeping or I/O while holding it)",
        "look at the thread that signals: speed it up or give it more workers",
        "shorten the write sections or shard the data",
        "check what releases the semaphore and whether its limit fits",
        "shorten or remove the sleeps if latency matters (use a notification instead of polling by sleep)",
        "look at the peer or device; shorter timeouts do not help",
        "balance the work between threads: the joined ones are the critical path",
        "look at the children's phases: the work is there" };
    add(p, PP_COST_WAIT, facts, xstrdup(finding[k]), xstrdup(advice[k]), e && e->site ? xstrdup(e->site) : NULL);
}

static void advise_cpu(const pp_analysis *a, pp_aphase *p, double D, pp_buf *b)
{
    const double *m = p->seg->mean;
    /* The CPU cost includes time runnable but preempted (speedup.c): say how much, so a loaded
     * machine is not mistaken for a program using more CPU than it got. */
    double on_cpu = isfinite(m[PP_WF_cpu_util]) ? m[PP_WF_cpu_util] : 0;
    double preempted = p->cost_s[PP_COST_CPU] - on_cpu * D;
    char *facts = preempted > 0.1 * p->cost_s[PP_COST_CPU]
        ? fmt(b, "%.2f s computing or waiting for a core outside I/O and allocation (%.0f%% of the phase; "
                 "%.2f cores busy, %.2f s preempted by other work on the machine)",
              p->cost_s[PP_COST_CPU], D > 0 ? 100 * p->cost_wall_s[PP_COST_CPU] / D : 0, on_cpu, preempted)
        : fmt(b, "%.2f s of CPU (%.2f cores busy) outside I/O and allocation (%.0f%% of the phase)",
              p->cost_s[PP_COST_CPU], p->cost_frac[PP_COST_CPU], D > 0 ? 100 * p->cost_wall_s[PP_COST_CPU] / D : 0);
    pp_buf w; buf_init(&w);
    for (size_t h = 0; h < p->nhot; h++) buf_printf(&w, "%s%s %.0f%%", h ? ", " : "", p->hot[h], 100 * p->hot_share[h]);
    const char *finding = !a->hw_counters ? "compute-bound or memory-bound (no hardware counters to tell which): the time is in the hot functions"
                                          : "compute-bound: the time is in the hot functions";
    char *advice;
    if (preempted > 0.5 * p->cost_s[PP_COST_CPU]) {
        /* mostly runnable, not running: the machine, not the code, decides this time */
        finding = "waiting for a core: other work on the machine had the CPUs";
        advice = fmt(b, "give it the cores (fewer jobs in parallel beside it, or a higher priority), "
                        "or measure it on a quieter machine before optimizing code");
    } else {
        /* the prediction is for the hottest function (speedup.c): name it */
        char *what = p->nhot ? fmt(b, "%s first (%.0f%% of the CPU samples)", p->hot[0], 100 * p->hot_share[0])
                             : fmt(b, "the hot functions");
        int one_core = isfinite(m[PP_WF_cpu_util]) && m[PP_WF_cpu_util] < 1.2 && isfinite(m[PP_WF_threads]) && m[PP_WF_threads] < 1.5;
        advice = fmt(b, "optimize %s: algorithm, data layout%s%s", what, a->hw_counters ? "" : ", cache-friendly access",
                     one_core ? "; or spread the work over threads: one core is busy" : "");
        free(what);
    }
    add(p, PP_COST_CPU, facts, xstrdup(finding), advice, w.len ? buf_take(&w) : NULL);
    buf_free(&w);
}

static int by_gain(const void *x, const void *y)
{
    double a = ((const pp_advice *)x)->gain, b = ((const pp_advice *)y)->gain;
    if (isnan(a)) a = 0;
    if (isnan(b)) b = 0;
    return a < b ? 1 : a > b ? -1 : 0;
}

void pp_advise(pp_analysis *a)
{
    double W = a->wall_ns / 1e9;
    pp_buf b; buf_init(&b);
    for (size_t i = 0; i < a->nproc; i++) {
        pp_aproc *pr = &a->procs[i];
        if (!pr->nphases) continue;
        ptally *pt = xcalloc(pr->nphases, sizeof *pt);
        collect(a, pr, pt);
        for (size_t k = 0; k < pr->nphases; k++) {
            pp_aphase *p = &a->phases[pr->phase0 + k];
            double D = (double)(p->end_ns - p->start_ns) / 1e9;
            for (int c = 0; c < PP_COSTS; c++) {
                double s = p->cost_wall_s[c];
                if (!(s > 0) || s < ADVICE_MIN_SAVE * W || s < ADVICE_MIN_PHASE * D) continue;
                switch (c) {
                case PP_COST_IO: advise_io(p, &pt[k], D, &b); break;
                case PP_COST_ALLOC: advise_alloc(p, &pt[k], D, &b); break;
                case PP_COST_WAIT: advise_wait(p, &pt[k], D, &b); break;
                case PP_COST_CPU: advise_cpu(a, p, D, &b); break;
                }
            }
            if (p->nadvice > 1) qsort(p->advice, p->nadvice, sizeof *p->advice, by_gain);
            for (int t = 0; t < T_N; t++) tally_free(&pt[k].t[t]);
        }
        free(pt);
    }
    buf_free(&b);
}
