/* The one analysis every report output formats (analysis.h): per process its windows and phases,
 * completeness from the reader and the FOOTER, the recorder's own measured cost, the hottest
 * functions of each phase; then the stages in their own files: classification (classify.c),
 * speedups (speedup.c) and advice (advice.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"
#include "util.h"

const char *const pp_cost_name[PP_COSTS] = { "cpu", "io", "alloc", "wait" };

/* End of a trace: its FOOTER's timestamp when it has one, else the last timestamp seen. */
static uint64_t trace_end(pp_trace *t)
{
    const struct pp_r_FOOTER *f = pp_trace_footer(t);
    const pp_trace_stats *st = pp_trace_stats_of(t);
    uint64_t e = st->last_ns;
    if (f && f->ts.u > e) e = f->ts.u;
    return e;
}

static uint64_t rel(uint64_t abs_ns, uint64_t t0) { return abs_ns > t0 ? abs_ns - t0 : 0; }

/* The function a CPU sample is charged to: the innermost frame outside the runtime libraries
 * (sym_runtime: time in getc or qsort goes to the function that called them, where a fix would
 * be made), the leaf when every frame is in them.  Named "func (file)", "func (module)" or by
 * address. */
static void charged_function(pp_symtab *sym, const uint64_t *f, size_t nf, char *buf, size_t cap)
{
    pp_sym y;
    size_t at = sym_first_user(sym, f, nf, 1, &y);
    const char *src = y.file ? y.file : y.module;
    const char *b = src ? strrchr(src, '/') : NULL;
    if (y.func) snprintf(buf, cap, "%s (%s)", y.func, b ? b + 1 : src ? src : "?");
    else sym_format(&y, f[at], buf, cap);
}

/* Hottest functions of every phase of one process (charged_function): one pass over its
 * CPU_SAMPLE records, each sample binned into the phase holding its timestamp (phases are sorted
 * and disjoint), each stack named once. */
static void hot_functions(pp_analysis *a, pp_aproc *pr)
{
    size_t np = pr->nphases;
    if (!np) return;
    pp_aphase *ph = &a->phases[pr->phase0];
    pp_strmap names = { 0 };
    pp_u64map stname = { 0 };        /* stack id -> name index (each stack named once) */
    pp_u64map cell = { 0 };          /* phase << 32 | name -> index into cnt */
    char **nm = NULL; size_t nn = 0, ncap = 0;
    double *cnt = NULL; size_t nc = 0, ccap = 0;
    uint32_t *cell_phase = NULL, *cell_name = NULL; size_t cpcap = 0, cncap = 0;
    double *total = xcalloc(np, sizeof *total);
    unsigned kinds[] = { PP_K_CPU_SAMPLE };
    pp_trace_select(pr->t, kinds, 1);
    pp_trace_rewind(pr->t);
    pp_rec r;
    while (pp_trace_next(pr->t, &r)) {
        uint64_t ts = rel(r.CPU_SAMPLE.ts.u, a->t0);
        size_t lo = 0, hi = np;      /* last phase with start <= ts */
        while (hi - lo > 1) { size_t m = (lo + hi) / 2; if (ph[m].start_ns <= ts) lo = m; else hi = m; }
        if (ts < ph[lo].start_ns || ts >= ph[lo].end_ns) continue;
        size_t nf = 0;
        const uint64_t *f = pp_trace_stack(pr->t, r.CPU_SAMPLE.stack.u, &nf);
        if (!f || !nf) continue;
        int created;
        size_t *ps = u64map_slot(&stname, r.CPU_SAMPLE.stack.u, &created);
        if (created) {
            char buf[512];
            charged_function(pr->sym, f, nf, buf, sizeof buf);
            int c2;
            size_t *ns = strmap_slot(&names, buf, strlen(buf), &c2);
            if (c2) { xgrow((void **)&nm, &ncap, nn + 1, sizeof *nm); nm[nn] = xstrdup(buf); *ns = nn++; }
            *ps = *ns;
        }
        size_t name = *ps;
        size_t *cs = u64map_slot(&cell, (uint64_t)lo << 32 | name, &created);
        if (created) {
            xgrow((void **)&cnt, &ccap, nc + 1, sizeof *cnt);
            xgrow((void **)&cell_phase, &cpcap, nc + 1, sizeof *cell_phase);
            xgrow((void **)&cell_name, &cncap, nc + 1, sizeof *cell_name);
            cnt[nc] = 0; cell_phase[nc] = (uint32_t)lo; cell_name[nc] = (uint32_t)name;
            *cs = nc++;
        }
        cnt[*cs] += 1;
        total[lo] += 1;
    }
    pp_trace_select(pr->t, NULL, 0);
    /* top PP_HOT_FUNCS per phase: repeated selection (few cells per phase) */
    for (int k = 0; k < PP_HOT_FUNCS; k++) {
        size_t *best = xmalloc(np * sizeof *best);
        for (size_t p = 0; p < np; p++) best[p] = nc;
        for (size_t c = 0; c < nc; c++) {
            size_t p = cell_phase[c];
            if (cnt[c] > 0 && (best[p] == nc || cnt[c] > cnt[best[p]] ||
                               (cnt[c] == cnt[best[p]] && strcmp(nm[cell_name[c]], nm[cell_name[best[p]]]) < 0)))
                best[p] = c;
        }
        for (size_t p = 0; p < np; p++) {
            if (best[p] == nc) continue;
            pp_aphase *x = &ph[p];
            x->hot[x->nhot] = xstrdup(nm[cell_name[best[p]]]);
            x->hot_share[x->nhot++] = cnt[best[p]] / total[p];
            cnt[best[p]] = -1;
        }
        free(best);
    }
    for (size_t i = 0; i < nn; i++) free(nm[i]);
    free(nm); free(cnt); free(cell_phase); free(cell_name); free(total);
    strmap_free(&names);
    u64map_free(&stname);
    u64map_free(&cell);
}

pp_analysis *pp_analyze(pp_set *set, const pp_analysis_opts *o, char *err, size_t errlen)
{
    static const pp_analysis_opts defaults = { 0 };
    if (!o) o = &defaults;
    if (!set || !set->n) { snprintf(err, errlen, "no traces"); return NULL; }
    size_t root = pp_set_root(set);
    const struct pp_r_HEADER *rh = pp_trace_header(set->traces[root]);
    if (!rh) { snprintf(err, errlen, "no trace with a readable header"); return NULL; }
    if (o->pid) {
        int found = 0;
        for (size_t i = 0; i < set->n && !found; i++) {
            const struct pp_r_HEADER *h = pp_trace_header(set->traces[i]);
            found = h && h->pid.u == o->pid;
        }
        if (!found) { snprintf(err, errlen, "no process %llu", (unsigned long long)o->pid); return NULL; }
    }
    pp_analysis *a = xcalloc(1, sizeof *a);
    a->set = set;
    a->root = root;
    a->t0 = rh->start_mono_ns.u;
    snprintf(a->backend, sizeof a->backend, "%.*s", (int)rh->backend.b.len, (const char *)rh->backend.b.p);
    a->self_ns = a->cpu_ns = NAN;
    a->mixed_share = NAN;
    for (int c = 0; c < 8; c++) a->class_share[c] = NAN;
    for (int c = 0; c < PP_COSTS; c++) a->summary[c] = (pp_speedup){ NAN, NAN, NAN, NAN };

    /* Whole program: the root process, every exec image of its pid (an exec continues it in a
     * new trace file); its wall time runs from its start to the last of their ends. */
    uint64_t root_end = a->t0;
    for (size_t i = 0; i < set->n; i++) {
        const struct pp_r_HEADER *h = pp_trace_header(set->traces[i]);
        if (h && h->pid.u == rh->pid.u && trace_end(set->traces[i]) > root_end) root_end = trace_end(set->traces[i]);
    }
    a->wall_ns = (double)(root_end - a->t0);
    a->wall_net_ns = a->wall_ns;     /* speedup.c takes the recorder's own time out */

    /* Every trace: completeness, the recorder's cost; windows and phases for the selected ones. */
    a->procs = xcalloc(set->n, sizeof *a->procs);
    size_t pcap = 0;
    for (size_t i = 0; i < set->n; i++) {
        pp_trace *t = set->traces[i];
        const struct pp_r_HEADER *h = pp_trace_header(t);
        const pp_trace_stats *st = pp_trace_stats_of(t);
        const struct pp_r_FOOTER *f = pp_trace_footer(t);
        a->incomplete += !st->complete;
        a->truncated += st->truncated != 0;
        a->damaged += st->bad_chunks != 0;
        a->threads += st->threads;
        if (f) a->dropped += f->dropped_records.u;
        if (!h) continue;
        if (f && f->self_ns.u) a->self_ns = (isnan(a->self_ns) ? 0 : a->self_ns) + (double)f->self_ns.u;
        if (f && f->self_ns.u) a->cpu_ns = (isnan(a->cpu_ns) ? 0 : a->cpu_ns) + (double)f->cpu_ns.u;
        if (o->pid && h->pid.u != o->pid) continue;
        pp_aproc *pr = &a->procs[a->nproc++];
        pr->pid = (uint32_t)h->pid.u;
        pr->ppid = (uint32_t)h->ppid.u;
        pr->t = t;
        pr->start_ns = rel(h->start_mono_ns.u, a->t0);
        pr->end_ns = rel(trace_end(t), a->t0);
        pr->complete = st->complete;
        pr->truncated = st->truncated;
        pr->bad_chunks = st->bad_chunks;
        pr->dropped_records = f ? f->dropped_records.u : 0;
        pr->self_ns = f && f->self_ns.u ? (double)f->self_ns.u : NAN;
        pr->hooked_calls = f && f->self_ns.u ? (double)f->hooked_calls.u : NAN;
        pr->cpu_ns = f ? (double)f->cpu_ns.u : NAN;
        pr->threads = st->threads;
        char werr[512];
        pr->w = pp_windows_build(t, NULL, werr, sizeof werr);
        if (!pr->w) { pr->window_err = xstrdup(werr); pr->exe = NULL; continue; }
        pr->exe = pr->w->exe;
        pr->ph = pp_phases_detect(pr->w, o->phases);
        pr->phase0 = a->nphase;
        for (size_t s = 0; s < pr->ph->nseg; s++) {
            const pp_segment *g = &pr->ph->seg[s];
            uint64_t s0 = rel(g->start_ns, a->t0), s1 = rel(g->end_ns, a->t0);
            if (o->has_range && ((double)s1 / 1e9 < o->from || (double)s0 / 1e9 > o->to)) continue;
            xgrow((void **)&a->phases, &pcap, a->nphase + 1, sizeof *a->phases);
            pp_aphase *x = &a->phases[a->nphase];
            memset(x, 0, sizeof *x);
            x->id = (int)a->nphase++;
            x->type = g->type;
            x->proc = a->nproc - 1;
            x->start_ns = s0;
            x->end_ns = s1;
            x->share = a->wall_ns > 0 ? (double)(s1 - s0) / a->wall_ns : NAN;
            x->seg = g;
            x->confidence = NAN;
            x->nthreads = g->mean[PP_WF_threads];
            for (int c = 0; c < PP_COSTS; c++) {
                x->cost_frac[c] = x->cost_s[c] = x->cost_wall_s[c] = x->fix_wall_s[c] = x->fix_factor[c] = x->if_2x[c] = NAN;
                x->speedup[c] = (pp_speedup){ NAN, NAN, NAN, NAN };
            }
        }
        pr->nphases = a->nphase - pr->phase0;
    }
    int any = 0;
    for (size_t i = 0; i < a->nproc; i++) any |= a->procs[i].w != NULL;
    if (!any) {
        snprintf(err, errlen, "%s", a->nproc && a->procs[0].window_err ? a->procs[0].window_err : "no process could be windowed");
        pp_analysis_free(a);
        return NULL;
    }
    for (size_t i = 0; i < a->nproc; i++) if (a->procs[i].w) { a->hw_counters |= a->procs[i].w->has_hw; }
    if (o->phases_only) return a;

    for (size_t i = 0; i < a->nproc; i++) {
        pp_aproc *pr = &a->procs[i];
        pr->sym = sym_open(pr->t);
        if (!a->sym || pr->t == set->traces[root]) a->sym = pr->sym;   /* the root's, else the first */
        hot_functions(a, pr);
    }
    pp_classify(a, o->models_dir);
    pp_speedups(a);
    pp_advise(a);
    return a;
}

void pp_analysis_free(pp_analysis *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nphase; i++) {
        pp_aphase *x = &a->phases[i];
        free(x->proba);
        for (size_t k = 0; k < x->nhot; k++) free(x->hot[k]);
        for (size_t k = 0; k < x->nadvice; k++) {
            free(x->advice[k].facts); free(x->advice[k].finding);
            free(x->advice[k].advice); free(x->advice[k].where);
        }
        free(x->advice);
    }
    free(a->phases);
    for (size_t i = 0; i < a->nproc; i++) {
        pp_aproc *pr = &a->procs[i];
        if (pr->sym) sym_close(pr->sym);
        if (pr->ph) pp_phases_free(pr->ph);
        if (pr->w) pp_windows_free(pr->w);
        free((char *)pr->window_err);
    }
    free(a->procs);
    pp_forest_free(a->classifier);
    pp_forest_free(a->regressor);
    free(a);
}
