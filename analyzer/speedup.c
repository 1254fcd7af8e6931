/* What fixing a cost would buy: for each phase and each cost (cpu, io, alloc, wait), the time it
 * takes, the wall time removing it could save, and the whole-program speedup — Amdahl's upper
 * bound (the cost removed entirely) and, with models/speedup_regressor.json, the speedup the
 * recommended fix is predicted to give.
 *
 * Method (docs/report.md):
 *  - Cost time C (thread-seconds) from the phase's metrics, each a thread-seconds-per-wall-second
 *    figure times the phase's wall time D: io_frac, alloc_frac, wait_frac.  CPU is what is left of
 *    cpu_util once the allocator (it runs on the CPU, alloc_frac is inside cpu_util) and the
 *    on-CPU part of I/O calls are taken out: I/O time beyond the threads' off-CPU time not spent
 *    waiting (threads - cpu_util - wait_frac) must have been on the CPU.
 *  - Wall time saved C_wall: thread-seconds spread over N threads running side by side do not
 *    shorten the phase by their sum.  With every thread's figures over the phase
 *    (pp_windows_threads_in), a phase cannot end before its longest thread does, so after the fix
 *    it lasts at least max_i r_i, r_i = live_i - c_i - b_i, where b_i is the thread's time blocked
 *    in waits when the cost is not wait itself (a blocked thread waits for another's work and
 *    shrinks with it: it is not a path of its own); C_wall = min(C, D - max_i r_i).  So a thread
 *    idling (waiting) beside a busy one saves nothing when its wait is removed — the busy thread
 *    is the critical path — while the busy thread's CPU time counts in full.  Without per-thread
 *    figures C_wall = min(C, D).
 *  - Whole program (the root process, wall time W): upper bound W / (W - C_wall).  With the
 *    fraction r of the cost the fix leaves, predicted by the regressor: W / (W - C_wall + r
 *    C_wall), and the interval from the 10th and 90th percentiles of the trees' r; the fix
 *    factor (the cost gets f times faster) is f = 1 / r.  A model whose target is named
 *    remaining_frac predicts r (models/speedup_regressor.json); any other predicts f itself
 *    (r = 1 / f), as models trained before remaining_frac did.
 *  - The prediction applies r to the part of C_wall the named fix works on: for I/O the sync,
 *    metadata or read/write share of it that pp_io_pattern picks (keeping a file open removes
 *    the opens and closes, not the writes); for CPU the hottest function's share of the CPU
 *    samples (library time charged to its caller, analysis.c), all of it without samples; for
 *    the other costs all of it.  The upper bound stays the whole cost removed.
 *  - Summary per cost: the C_wall of every phase of the root process, summed, through the same
 *    step.  Phases of other processes count for their own speedup only (a child runs beside the
 *    root or while it waits; the root's own wait time covers the latter). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"
#include "util.h"

/* Amdahl over the whole program: W / (W - saved).  INFINITY when nothing would be left. */
static double amdahl(double W, double saved)
{
    if (!(W > 0) || !isfinite(saved)) return NAN;
    if (saved <= 0) return 1.0;
    return W - saved > 1e-12 * W ? W / (W - saved) : INFINITY;
}

/* Costs of one thread over the phase, by the same rules as the phase's metrics. */
static void thread_costs(const pp_thread_stats *t, double preempt, double c[PP_COSTS])
{
    double io = 0, wait = 0;
    for (int o = 0; o < PP_OPS; o++) io += t->io_ns[o];
    for (int k = 0; k < PP_WAIT_KINDS; k++) wait += t->wait_ns[k];
    double off = t->live_ns - t->cpu_ns - wait;
    double io_on = fmax(0, io - fmax(0, off));
    c[PP_COST_IO] = io;
    c[PP_COST_ALLOC] = t->alloc_ns;
    c[PP_COST_WAIT] = wait;
    c[PP_COST_CPU] = fmax(0, t->cpu_ns - t->alloc_ns - io_on) + preempt * fmax(0, off - io);
    for (int k = 0; k < PP_COSTS; k++) c[k] /= 1e9;
}

static double z(double v) { return isfinite(v) ? v : 0; }

enum pp_io_pattern pp_io_pattern(const double *m, double *part)
{
    /* The comparisons take the metrics as they are (a NaN fails each), the share does not. */
    double rd = m[PP_WF_io_read_frac], wr = m[PP_WF_io_write_frac], sy = m[PP_WF_io_sync_frac];
    double me = m[PP_WF_io_meta_frac], all = rd + wr + sy + me, size = m[PP_WF_io_size_mean];
    double remote = m[PP_WF_io_pipe_frac] + m[PP_WF_io_socket_frac] + m[PP_WF_io_tty_frac];
    double zall = z(rd) + z(wr) + z(sy) + z(me);
    enum pp_io_pattern k;
    double p = 1;
    if (sy >= 0.3 * all && sy > 0) { k = PP_IO_SYNC; p = z(sy) / zall; }
    else if (remote >= 0.5 * all) k = PP_IO_REMOTE;
    else if (me >= 0.5 * all) { k = PP_IO_META; p = zall > 0 ? z(me) / zall : 1; }
    else if (wr >= rd && size < 4096) { k = PP_IO_SMALL_WRITES; p = zall > 0 ? (z(rd) + z(wr)) / zall : 1; }
    else if (rd > wr && size < 4096) { k = PP_IO_SMALL_READS; p = (z(rd) + z(wr)) / zall; }
    else k = PP_IO_LARGE;
    if (part) *part = p;
    return k;
}

/* A preempted thread waits for the others' time slices: a few ms on a loaded machine (CFS:
 * 6 ms x (1 + log2 CPUs) for all runnable tasks together; EEVDF: slices of ~3 ms), so one
 * involuntary switch explains at most this much runnable waiting.  The switch counts alone
 * would split off-CPU time 1:1 in a process that blocked once (voluntary) for a second in a call
 * we do not see (timeout in sigsuspend) and was preempted once for a millisecond. */
#define PREEMPT_MAX_S 0.02

double pp_preempt_share(const double *m, double off)
{
    double iv = m[PP_WF_ivcsw_ps], vo = m[PP_WF_vcsw_ps];
    if (!(isfinite(iv) && isfinite(vo) && iv + vo > 0) || !(off > 0)) return 0;
    double share = iv / (iv + vo), cap = iv * PREEMPT_MAX_S;     /* thread-s per s */
    return share * off > cap ? cap / off : share;
}


struct iv { uint64_t lo, hi; };
static int by_lo(const void *x, const void *y)
{
    uint64_t a = ((const struct iv *)x)->lo, b = ((const struct iv *)y)->lo;
    return a < b ? -1 : a > b;
}

/* The share of [s, e) (ns from t0) in which a child process of pr was alive. */
static double children_share(const pp_analysis *a, const pp_aproc *pr, uint64_t s, uint64_t e)
{
    if (e <= s) return 0;
    struct iv *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < a->nproc; i++) {
        const pp_aproc *c = &a->procs[i];
        if (c->ppid != pr->pid || c->pid == pr->pid) continue;
        uint64_t lo = c->start_ns > s ? c->start_ns : s, hi = c->end_ns < e ? c->end_ns : e;
        if (hi <= lo) continue;
        xgrow((void **)&v, &cap, n + 1, sizeof *v);
        v[n++] = (struct iv){ lo, hi };
    }
    if (n > 1) qsort(v, n, sizeof *v, by_lo);           /* their union, in order of start */
    uint64_t covered = 0, end = s;
    for (size_t i = 0; i < n; i++) {
        uint64_t lo = v[i].lo > end ? v[i].lo : end;
        if (v[i].hi > lo) { covered += v[i].hi - lo; end = v[i].hi; }
    }
    free(v);
    return (double)covered / (double)(e - s);
}

void pp_speedups(pp_analysis *a)
{
    /* wall_net_ns: W less the recorder's own time in the root process (FOOTER self_ns, spread
     * over its live threads), for the record.  The bounds use W itself: the costs were measured
     * in the traced run, and taking our time out of W alone made a phase that is all I/O cost
     * more than the whole (net) run, an "unbounded" bound.  Our time is CPU outside the timed
     * calls, so W keeps the bounds of io, alloc and wait slightly low, never high. */
    double W = a->wall_ns / 1e9, net = W;
    for (size_t i = 0; i < a->nproc; i++) {
        const pp_aproc *pr = &a->procs[i];
        if (pr->t != a->set->traces[a->root] || !isfinite(pr->self_ns) || !pr->w || !(W > 0)) continue;
        double live = 0;
        for (size_t k = 0; k < pr->w->nthreads; k++) live += pr->w->threads[k].live_ns / 1e9;
        double n = W - pr->self_ns / 1e9 / fmax(1, live / W);
        if (n > 0.5 * W) net = n;
    }
    a->wall_net_ns = net * 1e9;
    uint32_t root_pid = (uint32_t)pp_trace_header(a->set->traces[a->root])->pid.u;
    const pp_forest *rg = a->regressor;
    int predicts_r = rg && rg->target && !strcmp(rg->target, "remaining_frac");
    uint32_t *map = NULL;
    double *x = NULL;
    double row[PP_WF_N + 1];
    if (rg) {
        const char *names[PP_WF_N + 1];
        for (int k = 0; k < PP_WF_N; k++) names[k] = pp_wfeat_name[k];
        names[PP_WF_N] = "cost_kind";
        map = xcalloc(rg->nfeat ? rg->nfeat : 1, sizeof *map);
        x = xcalloc(rg->nfeat ? rg->nfeat : 1, sizeof *x);
        char err[256];
        if (pp_forest_map_features(rg, "speedup_regressor", names, PP_WF_N + 1, map, err, sizeof err)) {
            free(map); free(x); map = NULL; x = NULL; rg = NULL;     /* classify.c checked it already */
        }
    }
    static const double cost_kind[PP_COSTS] = { [PP_COST_CPU] = 0, [PP_COST_IO] = 1, [PP_COST_ALLOC] = 2, [PP_COST_WAIT] = 3 };
    double sum_saved[PP_COSTS] = { 0 }, sum_pred[PP_COSTS] = { 0 }, sum_lo[PP_COSTS] = { 0 }, sum_hi[PP_COSTS] = { 0 };
    for (size_t i = 0; i < a->nphase; i++) {
        pp_aphase *p = &a->phases[i];
        const pp_aproc *pr = &a->procs[p->proc];
        const double *m = p->seg->mean;
        double D = (double)(p->end_ns - p->start_ns) / 1e9;
        double thr = z(m[PP_WF_threads]), cpu = z(m[PP_WF_cpu_util]), io = z(m[PP_WF_io_frac]);
        double al = z(m[PP_WF_alloc_frac]), wt = z(m[PP_WF_wait_frac]);
        double io_on = fmax(0, io - fmax(0, thr - cpu - wt));
        /* Runnable but preempted (a loaded machine) is CPU demand too: removing the work removes
         * that wait.  Off-CPU time outside I/O and waits is split by the context switches:
         * involuntary ones (preemption) over all, at most 20 ms each; voluntary ones are
         * blocking in calls we do not time (timeout in sigsuspend), which is no CPU cost.  0
         * without the rusage counters. */
        double untimed_off = fmax(0, thr - cpu - io - wt);
        double preempt = pp_preempt_share(m, untimed_off);
        /* Time blocked on a pipe or a terminal waits for another process or a person: no I/O
         * fix in this process shortens it (the advice points at the other end).  Only its
         * on-CPU part counts, as for any call. */
        double remote = z(m[PP_WF_io_pipe_frac]) + z(m[PP_WF_io_tty_frac]);
        p->cost_frac[PP_COST_IO] = fmax(0, io - remote) + fmin(remote, io_on);
        p->cost_frac[PP_COST_ALLOC] = al;
        /* Waiting for child processes: the work, and what a fix would shorten, is in the
         * children's own phases (a shell running a pipeline waits for all of it).  So is a
         * poll or a sleep while a child runs (make -j waits for its jobs in pselect, python's
         * subprocess polls their pipes): that part of them is left out too. */
        double polls = z(m[PP_WF_wait_poll_frac]) + z(m[PP_WF_wait_sleep_frac]);
        double for_kids = p->for_children = polls > 0 ? polls * children_share(a, pr, p->start_ns, p->end_ns) : 0;
        p->cost_frac[PP_COST_WAIT] = fmax(0, wt - z(m[PP_WF_wait_child_frac]) - for_kids);
        p->cost_frac[PP_COST_CPU] = fmax(0, cpu - al - io_on) + preempt * untimed_off;
        /* One thread at a time needs no per-thread pass: then r = live - c - b <= D - c, so the
         * rule gives min(C, D) anyway (and a pass over the SAMPLEs per phase is the costly part). */
        size_t nt = 0;
        pp_thread_stats *ts = thr > 1.01 ? pp_windows_threads_in(pr->t, p->start_ns + a->t0, p->end_ns + a->t0, &nt) : NULL;
        for (int c = 0; c < PP_COSTS; c++) {
            /* no cost takes more thread-seconds than the threads were alive (a measurement
             * overstated by the recorder's own clock reads must not make a bound unbounded) */
            if (thr > 0 && p->cost_frac[c] > thr) p->cost_frac[c] = thr;
            p->cost_s[c] = p->cost_frac[c] * D;
            double saved = fmin(p->cost_s[c], D);
            if (nt) {
                double longest = 0;
                for (size_t k = 0; k < nt; k++) {
                    double tc[PP_COSTS];
                    thread_costs(&ts[k], preempt, tc);
                    double live = ts[k].live_ns / 1e9;
                    double r = live - fmin(tc[c], live) - (c == PP_COST_WAIT ? 0 : tc[PP_COST_WAIT]);
                    longest = fmax(longest, r);
                }
                saved = fmin(saved, fmax(0, D - longest));
            }
            p->cost_wall_s[c] = saved;
            double part = 1;
            if (c == PP_COST_IO) pp_io_pattern(m, &part);
            if (c == PP_COST_CPU && p->nhot) part = p->hot_share[0];
            double fix = p->fix_wall_s[c] = saved * part;
            p->speedup[c].upper_bound = amdahl(W, saved);
            p->if_2x[c] = amdahl(W, saved / 2);
            if (rg && fix > 0) {
                for (int k = 0; k < PP_WF_N; k++) row[k] = m[k];
                row[PP_WF_N] = cost_kind[c];
                for (uint32_t j = 0; j < rg->nfeat; j++) x[j] = row[map[j]];
                double q10, q90, v = pp_forest_regress(rg, x, 0.1, &q10, &q90);
                /* r, the fraction of the cost left, for the prediction and for the low and high
                 * speedups: a fix never makes the cost slower than it is (r <= 1), nor faster
                 * than removing it (r >= 0) */
                double r, r_lo, r_hi;
                if (predicts_r) { r = v; r_lo = q90; r_hi = q10; }
                else { r = 1 / fmax(1, v); r_lo = 1 / fmax(1, q10); r_hi = 1 / fmax(1, q90); }
                r = fmin(1, fmax(0, r)); r_lo = fmin(1, fmax(0, r_lo)); r_hi = fmin(1, fmax(0, r_hi));
                p->fix_factor[c] = r > 0 ? 1 / r : INFINITY;     /* JSON null: the cost removed */
                p->speedup[c].predicted = amdahl(W, fix * (1 - r));
                p->speedup[c].low = amdahl(W, fix * (1 - r_lo));
                p->speedup[c].high = amdahl(W, fix * (1 - r_hi));
                if (pr->pid == root_pid) {
                    sum_pred[c] += fix * (1 - r);
                    sum_lo[c] += fix * (1 - r_lo);
                    sum_hi[c] += fix * (1 - r_hi);
                }
            } else if (rg) {
                p->speedup[c].predicted = p->speedup[c].low = p->speedup[c].high = 1.0;
            }
            if (pr->pid == root_pid) sum_saved[c] += saved;
        }
        free(ts);
    }
    size_t root_phases = 0;
    for (size_t i = 0; i < a->nphase; i++) root_phases += a->procs[a->phases[i].proc].pid == root_pid;
    for (int c = 0; c < PP_COSTS && root_phases; c++) {   /* none under --pid of another process: unknown */
        a->summary[c].upper_bound = amdahl(W, sum_saved[c]);
        a->summary[c].predicted = rg ? amdahl(W, sum_pred[c]) : NAN;
        a->summary[c].low = rg ? amdahl(W, sum_lo[c]) : NAN;
        a->summary[c].high = rg ? amdahl(W, sum_hi[c]) : NAN;
    }
    free(map);
    free(x);
}
