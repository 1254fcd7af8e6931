/* The terminal summary of `phaseprof report`: the run (processes, the one that dominates wall
 * time, counters live, what is missing), then for each process its phases with times, shares and
 * main metrics, and the hottest functions of each phase.  Facts only; the bottleneck class and
 * advice per phase join here when classification exists (issue 5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "phases.h"
#include "report_text.h"
#include "symbols.h"
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

/* What each phase is mostly doing, in words, from its metrics (threads busy at each): time in
 * I/O, the allocator or waits counts even though a system call also shows as CPU time, so the
 * largest of those wins when it is a quarter of a thread or more; else computing.  A description,
 * not the classifier (issue 5). */
static const char *dominant(const double *m)
{
    struct { const char *what; double v; } c[] = {
        { "in file I/O", m[PP_WF_io_file_frac] },
        { "waiting on pipes/sockets/terminals", m[PP_WF_io_pipe_frac] + m[PP_WF_io_socket_frac] + m[PP_WF_io_tty_frac] },
        { "in the allocator", m[PP_WF_alloc_frac] }, { "blocked (locks, sleeps, polls)", m[PP_WF_wait_frac] },
        { "off CPU (not in calls we see)", m[PP_WF_offcpu_frac] } };
    int best = -1;
    for (int i = 0; i < 5; i++) if (isfinite(c[i].v) && c[i].v >= 0.25 && (best < 0 || c[i].v > c[best].v)) best = i;
    if (best >= 0) return c[best].what;
    return isfinite(m[PP_WF_cpu_util]) && m[PP_WF_cpu_util] > 0.05 ? "computing" : "idle";
}

/* Top leaf functions by CPU samples in [from, to): one pass over CPU_SAMPLE records. */
static void phase_hot(pp_trace *t, pp_symtab *sy, uint64_t from, uint64_t to, FILE *out)
{
    pp_strmap idx = { 0 };
    char **names = NULL; double *cnt = NULL; size_t n = 0, cap = 0, cap2 = 0;
    double total = 0;
    unsigned kinds[] = { PP_K_CPU_SAMPLE };
    pp_trace_select(t, kinds, 1);
    pp_trace_rewind(t);
    pp_rec r;
    while (pp_trace_next(t, &r)) {
        if (r.CPU_SAMPLE.ts.u < from || r.CPU_SAMPLE.ts.u >= to) continue;
        size_t nf = 0;
        const uint64_t *f = pp_trace_stack(t, r.CPU_SAMPLE.stack.u, &nf);
        if (!f || !nf) continue;
        pp_sym y = sym_lookup(sy, f[0], 0);
        char buf[512];
        sym_format(&y, f[0], buf, sizeof buf);
        int created;
        size_t *slot = strmap_slot(&idx, buf, strlen(buf), &created);
        if (created) {
            xgrow((void **)&names, &cap, n + 1, sizeof *names);
            xgrow((void **)&cnt, &cap2, n + 1, sizeof *cnt);
            names[n] = xstrdup(buf); cnt[n] = 0; *slot = n++;
        }
        cnt[*slot] += 1;
        total += 1;
    }
    pp_trace_select(t, NULL, 0);
    for (int k = 0; k < 3 && total > 0; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) if (cnt[i] > 0 && (best == n || cnt[i] > cnt[best])) best = i;
        if (best == n) break;
        pp_buf b; buf_init(&b);
        buf_escape_text(&b, names[best], strlen(names[best]));
        fprintf(out, "%s%s %.0f%%", k ? ", " : "        hot: ", b.data, 100 * cnt[best] / total);
        buf_free(&b);
        cnt[best] = -1;
    }
    if (total > 0) fputc('\n', out);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names); free(cnt);
    strmap_free(&idx);
}

int report_text(pp_set *set, const pp_report_filter *flt, FILE *out)
{
    /* The run: root process, totals, completeness. */
    size_t root = pp_set_root(set);
    uint64_t t0 = 0, t_end = 0;
    const struct pp_r_HEADER *rh = set->n ? pp_trace_header(set->traces[root]) : NULL;
    if (!rh) die("report: no trace with a readable header");
    t0 = rh->start_mono_ns.u;
    unsigned truncated = 0, incomplete = 0, bad = 0;
    uint64_t dropped = 0, threads = 0;
    for (size_t i = 0; i < set->n; i++) {
        const pp_trace_stats *st = pp_trace_stats_of(set->traces[i]);
        const struct pp_r_FOOTER *f = pp_trace_footer(set->traces[i]);
        truncated += st->truncated != 0;
        incomplete += !st->complete;
        bad += st->bad_chunks != 0;
        threads += st->threads;
        if (f) dropped += f->dropped_records.u;
        if (st->last_ns > t_end) t_end = st->last_ns;
    }
    pp_buf b; buf_init(&b);
    pp_iter it = pp_iter_of(rh->argv);
    const uint8_t *s; size_t len;
    while (pp_iter_str(&it, &s, &len)) { if (b.len) buf_putc(&b, ' '); buf_escape_text(&b, s, len); }
    fprintf(out, "phaseprof report — %s\n", b.data);
    fprintf(out, "  %zu process%s, %llu thread%s, %.2f s wall (root pid %llu)\n", set->n, set->n == 1 ? "" : "es",
            (unsigned long long)threads, threads == 1 ? "" : "s", (double)(t_end - t0) / 1e9,
            (unsigned long long)rh->pid.u);
    buf_clear(&b);
    it = pp_iter_of(rh->events);
    while (pp_iter_str(&it, &s, &len)) { if (b.len) buf_puts(&b, ", "); buf_escape_text(&b, s, len); }
    fprintf(out, "  counters: %.*s (%s)\n", (int)rh->backend.b.len, (const char *)rh->backend.b.p, b.len ? b.data : "none");
    int hw = rh->backend.b.len == 4 && !memcmp(rh->backend.b.p, "papi", 4);
    if (!hw) fprintf(out, "  no hardware counters: a compute-bound and a memory-bound phase look alike here (shown as computing)\n");
    if (rh->counters_note.b.len) fprintf(out, "  note: %.*s\n", (int)rh->counters_note.b.len, (const char *)rh->counters_note.b.p);
    if (truncated || incomplete || bad || dropped)
        fprintf(out, "  WARNING: %u trace%s cut short, %u without footer, %u with damaged chunks, %llu records dropped — figures are partial\n",
                truncated, truncated == 1 ? "" : "s", incomplete, bad, (unsigned long long)dropped);

    /* Processes by wall time. */
    fprintf(out, "\nProcesses (wall time; the first dominates):\n");
    size_t *order = xcalloc(set->n, sizeof *order);
    for (size_t i = 0; i < set->n; i++) order[i] = i;
    for (size_t i = 1; i < set->n; i++)
        for (size_t j = i; j > 0; j--) {
            const pp_trace_stats *a = pp_trace_stats_of(set->traces[order[j - 1]]), *c = pp_trace_stats_of(set->traces[order[j]]);
            if (a->last_ns - a->first_ns >= c->last_ns - c->first_ns) break;
            size_t x = order[j]; order[j] = order[j - 1]; order[j - 1] = x;
        }
    for (size_t k = 0; k < set->n && k < 12; k++) {
        pp_trace *t = set->traces[order[k]];
        const struct pp_r_HEADER *h = pp_trace_header(t);
        const pp_trace_stats *st = pp_trace_stats_of(t);
        if (!h) continue;
        buf_clear(&b);
        buf_escape_text(&b, h->exe.b.p, h->exe.b.len);
        fprintf(out, "  pid %-7llu %-28s %8.3f s  %5.1f%%%s\n", (unsigned long long)h->pid.u, b.data,
                (double)(st->last_ns - st->first_ns) / 1e9,
                t_end > t0 ? 100.0 * (double)(st->last_ns - st->first_ns) / (double)(t_end - t0) : 0,
                order[k] == root ? "  (root)" : "");
    }
    if (set->n > 12) fprintf(out, "  … %zu more\n", set->n - 12);

    /* Phases per process (the longest processes first). */
    for (size_t k = 0; k < set->n && k < (flt->pid ? set->n : 4); k++) {
        pp_trace *t = set->traces[order[k]];
        const struct pp_r_HEADER *h = pp_trace_header(t);
        if (!h || (flt->pid && h->pid.u != flt->pid)) continue;
        char err[256];
        pp_windows *w = pp_windows_build(t, NULL, err, sizeof err);
        if (!w) { fprintf(out, "\npid %llu: %s\n", (unsigned long long)h->pid.u, err); continue; }
        pp_phases *p = pp_phases_detect(w, NULL);
        pp_symtab *sy = sym_open(t);
        buf_clear(&b);
        buf_escape_text(&b, w->exe, strlen(w->exe));
        double dur = (double)(w->end_ns - w->start_ns);
        fprintf(out, "\nPhases of pid %u (%s): %zu phase%s of %d kind%s\n", w->pid, base(b.data), p->nseg,
                p->nseg == 1 ? "" : "s", p->ntypes, p->ntypes == 1 ? "" : "s");
        fprintf(out, "   #  kind  start–end (s)       share   cpu   io    alloc wait   read/s   write/s  allocs/s  mostly\n");
        for (size_t i = 0; i < p->nseg; i++) {
            const pp_segment *g = &p->seg[i];
            double a = (double)((int64_t)g->start_ns - (int64_t)t0) / 1e9, e = (double)((int64_t)g->end_ns - (int64_t)t0) / 1e9;
            if (flt->has_range && (e < flt->from || a > flt->to)) continue;
            const double *m = g->mean;
            char cpu[16], io[16], al[16], wt[16], rd[16], wr[16], ac[16];
            frac(cpu, sizeof cpu, m[PP_WF_cpu_util]); frac(io, sizeof io, m[PP_WF_io_frac]);
            frac(al, sizeof al, m[PP_WF_alloc_frac]); frac(wt, sizeof wt, m[PP_WF_wait_frac]);
            rate(rd, sizeof rd, m[PP_WF_read_bps], "B"); rate(wr, sizeof wr, m[PP_WF_write_bps], "B");
            rate(ac, sizeof ac, m[PP_WF_alloc_calls_ps], "");
            fprintf(out, "  %2zu  %-4c  %7.3f–%-9.3f  %5.1f%%  %-5s %-5s %-5s %-5s  %-8s %-8s %-8s  %s\n", i,
                    'A' + (g->type % 26), a, e, dur > 0 ? 100.0 * (double)(g->end_ns - g->start_ns) / dur : 0,
                    cpu, io, al, wt, rd, wr, ac, dominant(m));
            phase_hot(t, sy, g->start_ns, g->end_ns, out);
        }
        fprintf(out, "  (cpu, io, alloc, wait: threads busy at each on average; a phase shorter than ~0.1 s merges into its neighbours)\n");
        sym_close(sy);
        pp_phases_free(p);
        pp_windows_free(w);
    }
    buf_clear(&b);
    sym_missing_report(&b);
    if (b.len) fprintf(out, "\nObjects without full symbols:\n%s", b.data);
    fprintf(out, "\nMore: --top (hottest stacks), --json FILE (all figures), phaseprof export (Perfetto, flame graphs, CSV)\n");
    free(order);
    buf_free(&b);
    return 0;
}
