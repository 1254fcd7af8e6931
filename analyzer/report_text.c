/* The terminal summary of `phaseprof report`, written from the analysis (analysis.h): the run
 * (processes, the one that dominates wall time, counters live, the recorder's own cost, what is
 * missing), then for each process its phases with times, shares and main metrics, each phase's
 * bottleneck class, what fixing each cost would buy, its hottest functions and advice; then the
 * whole program's speedups and the advice worth most. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report_text.h"
#include "util.h"

static const char *base(const char *p) { const char *s = p ? strrchr(p, '/') : NULL; return s ? s + 1 : (p ? p : "?"); }

static void rate(char *out, size_t cap, double v, const char *unit)
{
    if (!isfinite(v) || v <= 0) { snprintf(out, cap, "-"); return; }
    const char *pre[] = { "", "K", "M", "G", "T" };
    int i = 0;
    while (v >= 1000 && i < 4) { v /= 1000; i++; }
    snprintf(out, cap, v < 10 ? "%.1f%s%s" : "%.0f%s%s", v, pre[i], unit);
}

static void frac(char *out, size_t cap, double v)
{
    if (!isfinite(v)) snprintf(out, cap, "-");
    else snprintf(out, cap, "%.2f", v);
}

/* "1.8×", "∞" (nothing would be left), "-" (unknown). */
static const char *factor(char *out, size_t cap, double v)
{
    if (isinf(v)) snprintf(out, cap, "unbounded");
    else if (!isfinite(v)) snprintf(out, cap, "-");
    else if (v >= 100) snprintf(out, cap, "100×+");     /* the cost is (nearly) the whole run */
    else snprintf(out, cap, v < 10 ? "%.2f×" : "%.0f×", v);
    return out;
}

/* What each phase is mostly doing, in words, from its metrics (threads busy at each): time in
 * I/O, the allocator or waits counts even though a system call also shows as CPU time, so the
 * largest of those wins when it is a quarter of a thread or more; else computing.  A plain
 * description beside the classifier's class. */
static const char *dominant(const pp_aphase *p)
{
    const double *m = p->seg->mean;
    double kids = isfinite(p->for_children) ? p->for_children : 0;   /* polls and sleeps while a child ran */
    struct { const char *what; double v; } c[] = {
        { "in file I/O", m[PP_WF_io_file_frac] },
        { "waiting on pipes/sockets/terminals", m[PP_WF_io_pipe_frac] + m[PP_WF_io_socket_frac] + m[PP_WF_io_tty_frac] },
        { "in the allocator", m[PP_WF_alloc_frac] },
        { "blocked (locks, sleeps, polls)", m[PP_WF_wait_frac] - m[PP_WF_wait_child_frac] - kids },
        { "waiting for child processes", m[PP_WF_wait_child_frac] + kids },
        /* offcpu_frac includes the intercepted waits: what is left is off CPU in calls we do not see */
        { "off CPU (not in calls we see)", m[PP_WF_offcpu_frac] - m[PP_WF_wait_frac] } };
    int best = -1;
    for (int i = 0; i < (int)(sizeof c / sizeof c[0]); i++) if (isfinite(c[i].v) && c[i].v >= 0.25 && (best < 0 || c[i].v > c[best].v)) best = i;
    if (best >= 0) return c[best].what;
    return isfinite(m[PP_WF_cpu_util]) && m[PP_WF_cpu_util] > 0.05 ? "computing" : "idle";
}

static void put_text(FILE *out, const char *s)
{
    pp_buf b; buf_init(&b);
    buf_escape_text(&b, s, strlen(s));
    fputs(b.data, out);
    buf_free(&b);
}

static void phase_class(const pp_analysis *a, const pp_aphase *p, FILE *out)
{
    if (!p->cls) return;
    if (p->mixed_of[0]) fprintf(out, "        class: mixed — %s or %s (%.0f%% / %.0f%%)", p->mixed_of[0], p->mixed_of[1],
                                100 * p->confidence, 100 * p->proba[pp_forest_class_index(a->classifier, p->mixed_of[1])]);
    else fprintf(out, "        class: %s (confidence %.2f)", p->cls, p->confidence);
    if (p->class_note && !strcmp(p->class_note, "compute_or_memory"))
        fprintf(out, " — compute_or_memory: without hardware counters compute-bound and memory-bound look alike");
    else if (p->class_note && !strcmp(p->class_note, "off_cpu_untraced"))
        fprintf(out, " — off_cpu_untraced: its threads are off the CPU in calls phaseprof does not time (waiting for children, for input, ...)");
    else if (p->class_note) { fprintf(out, " — "); put_text(out, p->class_note); }
    if (p->ntop && !(p->class_note && !strcmp(p->class_note, "off_cpu_untraced"))) {
        fprintf(out, "; driven by ");
        for (size_t k = 0; k < p->ntop; k++) fprintf(out, "%s%s", k ? ", " : "", p->top_feat[k]);
    }
    /* The class is the model's reading of the metrics (an allocation rate that resembles
     * allocation-bound runs, say); when the time measured in that cost is small, say so, so the
     * class is not read as where the time went (the costs and the advice below are). */
    static const struct { const char *cls; int f; const char *what; } own[] = {
        { "io", PP_WF_io_frac, "I/O calls" }, { "alloc", PP_WF_alloc_frac, "the allocator" },
        { "wait", PP_WF_wait_frac, "timed waits" } };
    const double *m = p->seg->mean;
    double thr = m[PP_WF_threads];
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
        if (!p->mixed_of[0] && !p->class_note && !strcmp(p->cls, own[k].cls) && thr > 0 &&
            isfinite(m[own[k].f]) && m[own[k].f] < 0.1 * thr)
            fprintf(out, " (measured: %s took %.0f%% of the threads' time)", own[k].what, 100 * m[own[k].f] / thr);
    fputc('\n', out);
}

/* The costs worth naming: those whose removal would save at least 1% of the run. */
static void phase_speedup(const pp_analysis *a, const pp_aphase *p, FILE *out)
{
    int shown = 0;
    for (int c = 0; c < PP_COSTS; c++) {
        const pp_speedup *s = &p->speedup[c];
        if (!(s->upper_bound >= 1.01)) continue;
        char u[32], pr[32], lo[32], hi[32];
        fprintf(out, "%s%s %.2f s → at most %s", shown++ ? "; " : "        if fixed (whole program): ", pp_cost_name[c],
                p->cost_wall_s[c], factor(u, sizeof u, s->upper_bound));
        if (isfinite(s->predicted))
            fprintf(out, ", predicted %s (%s–%s)", factor(pr, sizeof pr, s->predicted), factor(lo, sizeof lo, s->low),
                    factor(hi, sizeof hi, s->high));
    }
    if (shown) fprintf(out, "%s\n", a->regressor ? "" : "  (upper bound only)");
}

/* One piece of advice: facts → finding → advice — at the call site; then what it buys, as the
 * issue puts it: "predicted 1.9× overall (1.6–2.2×), at most 2.4×". */
static void advice_line(const pp_aphase *p, const pp_advice *v, const char *indent, FILE *out)
{
    char u[32], pr[32], lo[32], hi[32];
    const pp_speedup *s = &p->speedup[v->cost];
    fprintf(out, "%s[%s] ", indent, pp_cost_name[v->cost]);
    put_text(out, v->facts);
    fprintf(out, " → ");
    put_text(out, v->finding);
    fprintf(out, " → ");
    put_text(out, v->advice);
    if (v->where) { fprintf(out, " — at "); put_text(out, v->where); }
    if (isfinite(s->predicted))
        fprintf(out, ". Predicted %s overall (%s–%s), at most %s\n", factor(pr, sizeof pr, s->predicted),
                factor(lo, sizeof lo, s->low), factor(hi, sizeof hi, s->high), factor(u, sizeof u, s->upper_bound));
    else fprintf(out, ". At most %s overall (upper bound only)\n", factor(u, sizeof u, s->upper_bound));
}

int report_text(const pp_analysis *a, FILE *out)
{
    pp_set *set = a->set;
    const struct pp_r_HEADER *rh = pp_trace_header(set->traces[a->root]);
    pp_buf b; buf_init(&b);
    pp_iter it = pp_iter_of(rh->argv);
    const uint8_t *s; size_t len;
    while (pp_iter_str(&it, &s, &len)) { if (b.len) buf_putc(&b, ' '); buf_escape_text(&b, s, len); }
    fprintf(out, "phaseprof report — %s\n", b.data);
    fprintf(out, "  %zu process%s, %llu thread%s, %.2f s wall (root pid %llu)\n", set->n, set->n == 1 ? "" : "es",
            (unsigned long long)a->threads, a->threads == 1 ? "" : "s", a->wall_ns / 1e9, (unsigned long long)rh->pid.u);
    buf_clear(&b);
    it = pp_iter_of(rh->events);
    while (pp_iter_str(&it, &s, &len)) { if (b.len) buf_puts(&b, ", "); buf_escape_text(&b, s, len); }
    fprintf(out, "  counters: %.*s (%s)\n", (int)rh->backend.b.len, (const char *)rh->backend.b.p, b.len ? b.data : "none");
    if (!a->hw_counters) fprintf(out, "  no hardware counters: a compute-bound and a memory-bound phase look alike here (class cpu, compute_or_memory)\n");
    if (rh->counters_note.b.len) fprintf(out, "  note: %.*s\n", (int)rh->counters_note.b.len, (const char *)rh->counters_note.b.p);
    if (isfinite(a->self_ns))
        fprintf(out, "  recorder overhead: %.1f ms (%.2f%% of CPU)\n", a->self_ns / 1e6,
                a->cpu_ns > 0 ? 100 * a->self_ns / a->cpu_ns : 0);
    else fprintf(out, "  recorder overhead: not measured\n");
    if (a->classifier_path[0]) {
        fprintf(out, "  model: ");
        put_text(out, a->classifier_path);
        fputc('\n', out);
    }
    if (a->model_note[0]) { fprintf(out, "  models: "); put_text(out, a->model_note); fputc('\n', out); }
    if (a->truncated || a->incomplete || a->damaged || a->dropped)
        fprintf(out, "  WARNING: %u trace%s cut short, %u without footer, %u with damaged chunks, %llu records dropped — figures are partial\n",
                a->truncated, a->truncated == 1 ? "" : "s", a->incomplete, a->damaged, (unsigned long long)a->dropped);

    /* Processes by wall time. */
    fprintf(out, "\nProcesses (wall time; the first dominates):\n");
    size_t *order = xcalloc(a->nproc ? a->nproc : 1, sizeof *order);
    for (size_t i = 0; i < a->nproc; i++) order[i] = i;
    for (size_t i = 1; i < a->nproc; i++)
        for (size_t j = i; j > 0; j--) {
            const pp_aproc *x = &a->procs[order[j - 1]], *y = &a->procs[order[j]];
            if (x->end_ns - x->start_ns >= y->end_ns - y->start_ns) break;
            size_t t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    for (size_t k = 0; k < a->nproc && k < 12; k++) {
        const pp_aproc *pr = &a->procs[order[k]];
        const struct pp_r_HEADER *h = pp_trace_header(pr->t);
        buf_clear(&b);
        buf_escape_text(&b, h->exe.b.p, h->exe.b.len);
        double d = (double)(pr->end_ns - pr->start_ns);
        fprintf(out, "  pid %-7u %-28s %8.3f s  %5.1f%%%s\n", pr->pid, b.data, d / 1e9,
                a->wall_ns > 0 ? 100.0 * d / a->wall_ns : 0, pr->t == set->traces[a->root] ? "  (root)" : "");
    }
    if (a->nproc > 12) fprintf(out, "  … %zu more\n", a->nproc - 12);

    /* Phases per process (the longest processes first; all of them under --pid). */
    size_t shown_procs = a->nproc < set->n ? a->nproc : 4;
    for (size_t k = 0; k < a->nproc && k < shown_procs; k++) {
        const pp_aproc *pr = &a->procs[order[k]];
        if (!pr->w) { fprintf(out, "\npid %u: %s\n", pr->pid, pr->window_err ? pr->window_err : "no windows"); continue; }
        buf_clear(&b);
        buf_escape_text(&b, pr->exe, strlen(pr->exe));
        double dur = (double)(pr->w->end_ns - pr->w->start_ns);
        fprintf(out, "\nPhases of pid %u (%s): %zu phase%s of %d kind%s\n", pr->pid, base(b.data), pr->ph->nseg,
                pr->ph->nseg == 1 ? "" : "s", pr->ph->ntypes, pr->ph->ntypes == 1 ? "" : "s");
        fprintf(out, "   #  kind  start–end (s)       share   cpu   io    alloc wait   read/s   write/s  allocs/s  mostly\n");
        for (size_t i = 0; i < pr->nphases; i++) {
            const pp_aphase *p = &a->phases[pr->phase0 + i];
            const double *m = p->seg->mean;
            char cpu[16], io[16], al[16], wt[16], rd[16], wr[16], ac[16];
            frac(cpu, sizeof cpu, m[PP_WF_cpu_util]); frac(io, sizeof io, m[PP_WF_io_frac]);
            frac(al, sizeof al, m[PP_WF_alloc_frac]); frac(wt, sizeof wt, m[PP_WF_wait_frac]);
            rate(rd, sizeof rd, m[PP_WF_read_bps], "B"); rate(wr, sizeof wr, m[PP_WF_write_bps], "B");
            rate(ac, sizeof ac, m[PP_WF_alloc_calls_ps], "");
            fprintf(out, "  %2zu  %-4c  %7.3f–%-9.3f  %5.1f%%  %-5s %-5s %-5s %-5s  %-8s %-8s %-8s  %s\n", i,
                    'A' + (p->type % 26), (double)p->start_ns / 1e9, (double)p->end_ns / 1e9,
                    dur > 0 ? 100.0 * (double)(p->end_ns - p->start_ns) / dur : 0,
                    cpu, io, al, wt, rd, wr, ac, dominant(p));
            phase_class(a, p, out);
            phase_speedup(a, p, out);
            for (size_t h = 0; h < p->nhot; h++) {
                fprintf(out, "%s", h ? ", " : "        hot: ");
                put_text(out, p->hot[h]);
                fprintf(out, " %.0f%%", 100 * p->hot_share[h]);
            }
            if (p->nhot) fputc('\n', out);
            for (size_t v = 0; v < p->nadvice && v < 2; v++) advice_line(p, &p->advice[v], "        advice: ", out);
        }
        fprintf(out, "  (cpu, io, alloc, wait: threads busy at each on average; a phase shorter than ~0.1 s merges into its neighbours)\n");
    }

    /* The whole program: what fixing each cost everywhere would buy, and the best advice. */
    fprintf(out, "\nWhole program (root pid %llu, %.2f s): speedup if fixed everywhere%s\n", (unsigned long long)rh->pid.u,
            a->wall_ns / 1e9, isnan(a->summary[0].upper_bound) ? ": not shown (its phases are not in this report)" : "");
    for (int c = 0; c < PP_COSTS && !isnan(a->summary[c].upper_bound); c++) {
        const pp_speedup *sp = &a->summary[c];
        char u[32], pr[32], lo[32], hi[32];
        fprintf(out, "  %-5s at most %-9s", pp_cost_name[c], factor(u, sizeof u, sp->upper_bound));
        if (isfinite(sp->predicted))
            fprintf(out, " predicted %s (%s–%s)", factor(pr, sizeof pr, sp->predicted), factor(lo, sizeof lo, sp->low), factor(hi, sizeof hi, sp->high));
        else fprintf(out, " (upper bound only)");
        fputc('\n', out);
    }
    /* A root that mostly waits for its children (make, a shell script, a compiler driver): the
     * bounds above are its own, the run's time is in the children. */
    double child_s = 0;
    for (size_t i = 0; i < a->nphase; i++) {
        const pp_aphase *p = &a->phases[i];
        /* waits for a child, and polls and sleeps while one ran (make -j waits in pselect) */
        double f = p->seg->mean[PP_WF_wait_child_frac], kids = isfinite(p->for_children) ? p->for_children : 0;
        if (a->procs[p->proc].pid == rh->pid.u && isfinite(f))
            child_s += (f + kids) * (double)(p->end_ns - p->start_ns) / 1e9;
    }
    if (a->wall_ns > 0 && child_s > 0.5 * a->wall_ns / 1e9)
        fprintf(out, "  (pid %llu waited for its child processes %.0f%% of the run: these bounds are its own; the\n"
                     "   time is in the children, whose phases and advice are above and below)\n",
                (unsigned long long)rh->pid.u, 100 * child_s / (a->wall_ns / 1e9));
    if (a->classifier && isfinite(a->mixed_share)) {
        fprintf(out, "  time by class:");
        for (size_t c = 0; c < a->nclass; c++) fprintf(out, " %s %.0f%%", a->class_names[c], 100 * a->class_share[c]);
        if (a->mixed_share > 0) fprintf(out, " mixed %.0f%%", 100 * a->mixed_share);
        fputc('\n', out);
    }
    /* top advice over all phases, by gain */
    const pp_advice *top[5] = { 0 };
    const pp_aphase *top_p[5] = { 0 };
    for (size_t i = 0; i < a->nphase; i++)
        for (size_t v = 0; v < a->phases[i].nadvice; v++) {
            const pp_advice *x = &a->phases[i].advice[v];
            for (int k = 0; k < 5; k++) {
                if (!top[k] || x->gain > top[k]->gain) {
                    memmove(&top[k + 1], &top[k], (size_t)(4 - k) * sizeof top[0]);
                    memmove(&top_p[k + 1], &top_p[k], (size_t)(4 - k) * sizeof top_p[0]);
                    top[k] = x;
                    top_p[k] = &a->phases[i];
                    break;
                }
            }
        }
    if (top[0]) {
        fprintf(out, "\nAdvice (largest whole-program gain first):\n");
        for (int k = 0; k < 5 && top[k]; k++) {
            char ind[96];
            snprintf(ind, sizeof ind, "  pid %u, %.2f–%.2f s: ", a->procs[top_p[k]->proc].pid,
                     (double)top_p[k]->start_ns / 1e9, (double)top_p[k]->end_ns / 1e9);
            advice_line(top_p[k], top[k], ind, out);
        }
    }

    buf_clear(&b);
    sym_missing_report(&b);
    if (b.len) fprintf(out, "\nObjects without full symbols:\n%s", b.data);
    fprintf(out, "\nMore: --top (hottest stacks), --json FILE (all figures), --html FILE, phaseprof export (Perfetto, flame graphs, CSV)\n");
    free(order);
    buf_free(&b);
    return 0;
}
