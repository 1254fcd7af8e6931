/* The HTML report's timeline of one process, as inline SVG: its main metrics over time (cores
 * computing, threads in I/O, in the allocator, blocked; resident memory) over the phase bands,
 * coloured by class, and one lane per thread showing what that thread was mostly doing.
 *
 * What is drawn is downsampled so a 1-hour, 64-thread run stays light: at most TL_POINTS points
 * per series (window means over equal stretches), TL_LANE_BUCKETS cells per thread lane (runs of
 * equal cells merged into one rectangle), TL_LANES lanes (the busiest threads; the rest share one
 * "other threads" lane).  Hover details come from the page's script, which reads the values back
 * from the drawn points (data-* attributes give the scales), so no figure is stored twice. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "html_common.h"

#define TL_W 1200.0
#define TL_LM 170.0               /* left margin: lane labels */
#define TL_RM 12.0
#define TL_PW (TL_W - TL_LM - TL_RM)
#define TL_POINTS 1000
#define TL_LANE_BUCKETS 400
#define TL_LANES 64
#define TL_STRIP 16.0             /* phase label strip above the metrics */
#define TL_MH 120.0               /* metrics panel */
#define TL_RH 34.0                /* resident memory panel */
#define TL_LH 11.0                /* one thread lane */
#define TL_LGAP 2.0

enum { L_LIVE, L_CPU, L_IO, L_ALLOC, L_WAIT, L_N };
enum { S_NONE, S_CPU, S_IO, S_ALLOC, S_WAIT, S_IDLE };
static const char *const state_class[] = { "", "s-cpu", "s-io", "s-alloc", "s-wait", "s-idle" };

static double xof(double rel_ns, double axis_ns) { return TL_LM + TL_PW * (axis_ns > 0 ? rel_ns / axis_ns : 0); }

static double nice_ceil(double v)
{
    if (!(v > 0)) return 1;
    double p = pow(10, floor(log10(v)));
    for (int k = 0; k < 4; k++) {
        static const double m[] = { 1, 2, 5, 10 };
        if (m[k] * p >= v * 0.999) return m[k] * p;
    }
    return 10 * p;
}

/* The time axis under a chart: a line at y and a tick with its label every "nice" step. */
static void time_axis(pp_buf *b, double axis_ns, double ya)
{
    double step = nice_ceil(axis_ns / 1e9 / 10);
    buf_printf(b, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", TL_LM, TL_LM + TL_PW, ya, ya);
    for (double t = 0; t <= axis_ns / 1e9 * 1.0001; t += step) {
        double x = xof(t * 1e9, axis_ns);
        buf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/><text x=\"%.1f\" y=\"%.1f\" class=\"tx\">%g s</text>",
                   x, x, ya, ya + 4, x, ya + 15, t);
    }
}


/* Truncated (at a UTF-8 boundary), escaped label. */
static void label(pp_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) { h_esc(b, s); return; }
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80) cut--;
    buf_escape_html(b, s, cut);
    buf_puts(b, "…");
}

/* The state and strength of one lane cell from its sums (ns). */
static int cell_state(const double *v, double width, double *level)
{
    double live = v[L_LIVE];
    if (live < 0.02 * width || live <= 0) return S_NONE;
    double io = v[L_IO] / live, al = v[L_ALLOC] / live, wt = v[L_WAIT] / live, cpu = v[L_CPU] / live;
    int s = S_NONE;
    double best = 0.25;
    if (io >= best) { s = S_IO; best = io; }
    if (al >= best) { s = S_ALLOC; best = al; }
    if (wt >= best) { s = S_WAIT; best = wt; }
    if (s == S_NONE) {
        if (cpu >= 0.05) { s = S_CPU; best = cpu; }
        else { s = S_IDLE; best = 0.5; }
    }
    double q = ceil((best > 1 ? 1 : best) * 4) / 4;
    *level = q < 0.25 ? 0.25 : q;
    return s;
}

/* One SAMPLE's sums (same reading as windows.c: io cells of 4, waits of 3, allocator time scaled
 * from the timed calls to all of them). */
static void sample_sums(const pp_rec *r, double *v)
{
    const struct pp_r_SAMPLE *s = &r->SAMPLE;
    memset(v, 0, L_N * sizeof *v);
    v[L_LIVE] = (double)s->dur.u;
    v[L_CPU] = (double)s->cpu_ns.u;
    pp_iter it = pp_iter_of(s->io);
    uint64_t g[4];
    while (pp_iter_group(&it, g, 4))
        if (g[0] / PP_OPS < PP_FD_CLASSES) v[L_IO] += (double)g[1];
    v[L_ALLOC] = pp_sample_alloc_ns(s);
    it = pp_iter_of(s->wait);
    while (pp_iter_group(&it, g, 3))
        if (g[0] < PP_WAIT_KINDS) v[L_WAIT] += (double)g[1];
}

static const pp_thread_stats *rank_src;
static uint32_t rank_pid;
/* Busiest first, but the main thread always gets a lane. */
static int by_busy(const void *x, const void *y)
{
    const pp_thread_stats *a = &rank_src[*(const size_t *)x], *b = &rank_src[*(const size_t *)y];
    if ((a->tid == rank_pid) != (b->tid == rank_pid)) return a->tid == rank_pid ? -1 : 1;
    double ba = a->cpu_ns + a->io_ns[0] + a->io_ns[1] + a->io_ns[2] + a->io_ns[3] + a->alloc_ns;
    double bb = b->cpu_ns + b->io_ns[0] + b->io_ns[1] + b->io_ns[2] + b->io_ns[3] + b->alloc_ns;
    if (ba != bb) return ba < bb ? 1 : -1;
    return a->tid < b->tid ? -1 : a->tid > b->tid;
}
static int by_index(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

/* Thread lanes: returns the SVG height used. */
static double lanes(pp_buf *b, const pp_analysis *a, const pp_aproc *p, double axis_ns, double y0)
{
    const pp_windows *w = p->w;
    size_t nth = w->nthreads;
    if (!nth) return 0;
    size_t *order = xmalloc(nth * sizeof *order);
    for (size_t i = 0; i < nth; i++) order[i] = i;
    rank_src = w->threads;
    rank_pid = p->pid;
    qsort(order, nth, sizeof *order, by_busy);
    size_t nl = nth > TL_LANES ? TL_LANES : nth;
    qsort(order, nl, sizeof *order, by_index);          /* shown in tid order */
    int other = nth > nl;
    size_t lanes_n = nl + (size_t)other;
    pp_u64map idx = { 0 };
    for (size_t i = 0; i < nl; i++) { int c; *u64map_slot(&idx, w->threads[order[i]].tid, &c) = i; }

    uint64_t ps = w->start_ns, pe = w->end_ns > w->start_ns ? w->end_ns : w->start_ns + 1;
    size_t nb = w->n < TL_LANE_BUCKETS ? (w->n ? w->n : 1) : TL_LANE_BUCKETS;
    double bw = (double)(pe - ps) / (double)nb;
    double *acc = xcalloc(lanes_n * nb * L_N, sizeof *acc);
    unsigned kind = PP_K_SAMPLE;
    pp_trace_select(p->t, &kind, 1);
    pp_trace_rewind(p->t);
    pp_rec r;
    double v[L_N];
    while (pp_trace_next(p->t, &r)) {
        size_t *slot = u64map_find(&idx, r.SAMPLE.tid.u);
        size_t lane = slot ? *slot : nl;
        if (lane >= lanes_n) continue;
        sample_sums(&r, v);
        double t0 = (double)((int64_t)(r.SAMPLE.ts.u - ps)), dur = (double)r.SAMPLE.dur.u;
        if (t0 < 0) { if (t0 + dur <= 0) continue; dur += t0; t0 = 0; }
        double t1 = t0 + dur;
        size_t b0 = (size_t)(t0 / bw), b1 = dur > 0 ? (size_t)(t1 / bw) : b0;
        if (b0 >= nb) b0 = nb - 1;
        if (b1 >= nb) b1 = nb - 1;
        for (size_t k = b0; k <= b1; k++) {
            double lo = (double)k * bw, hi = lo + bw;
            double ov = dur > 0 ? (fmin(hi, t1) - fmax(lo, t0)) / dur : 1;
            if (ov <= 0) continue;
            double *c = &acc[(lane * nb + k) * L_N];
            for (int j = 0; j < L_N; j++) c[j] += ov * v[j];
        }
    }
    pp_trace_select(p->t, NULL, 0);

    double rel0 = (double)((int64_t)(ps - a->t0));
    for (size_t l = 0; l < lanes_n; l++) {
        double y = y0 + (double)l * (TL_LH + TL_LGAP);
        pp_buf name;
        buf_init(&name);
        if (l < nl) {
            const pp_thread_stats *th = &w->threads[order[l]];
            if (th->name) buf_printf(&name, "%s", th->name);
            else buf_puts(&name, th->tid == p->pid ? "main thread" : "thread");
            buf_printf(&name, " (%u)", th->tid);
        } else buf_printf(&name, "%zu other threads", nth - nl);
        buf_printf(b, "<g class=\"lane\" data-n=\"");
        h_esc(b, name.data);
        buf_printf(b, "\"><text x=\"%.0f\" y=\"%.1f\" class=\"ll\">", TL_LM - 6, y + TL_LH - 2);
        label(b, name.data, 26);
        buf_puts(b, "<title>");
        h_esc(b, name.data);
        buf_puts(b, "</title></text>");
        buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" class=\"lbg\"/>", TL_LM, y, TL_PW, TL_LH);
        buf_free(&name);
        size_t k = 0;
        while (k < nb) {
            double lev;
            int s = cell_state(&acc[(l * nb + k) * L_N], bw, &lev);
            size_t e = k + 1;
            for (; e < nb; e++) {
                double lev2;
                if (cell_state(&acc[(l * nb + e) * L_N], bw, &lev2) != s || lev2 != lev) break;
            }
            if (s != S_NONE) {
                double xa = xof(rel0 + (double)k * bw, axis_ns), xb = xof(rel0 + (double)e * bw, axis_ns);
                buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" class=\"%s\" fill-opacity=\"%.2g\"/>",
                           xa, y, xb - xa > 0.3 ? xb - xa : 0.3, TL_LH, state_class[s], lev);
            }
            k = e;
        }
        buf_puts(b, "</g>\n");
    }
    free(acc);
    free(order);
    u64map_free(&idx);
    return (double)lanes_n * (TL_LH + TL_LGAP);
}

static const struct { int f; const char *key, *cls; } series[] = {
    { PP_WF_cpu_util, "cpu", "m-cpu" }, { PP_WF_io_frac, "io", "m-io" },
    { PP_WF_alloc_frac, "alloc", "m-alloc" }, { PP_WF_wait_frac, "wait", "m-wait" } };
#define NSERIES (sizeof series / sizeof series[0])

void html_timeline(pp_buf *b, const pp_analysis *a, size_t pi, double axis_ns)
{
    const pp_aproc *p = &a->procs[pi];
    const pp_windows *w = p->w;
    if (!w || !w->n) { buf_puts(b, "<p class=\"muted\">No samples in this process: nothing to draw.</p>\n"); return; }

    /* downsample: bucket i = windows [i*n/N, (i+1)*n/N), means weighted by window length */
    size_t n = w->n, np = n < TL_POINTS ? n : TL_POINTS;
    double *xs = xmalloc(np * sizeof *xs), *vals = xmalloc(np * PP_WF_N * sizeof *vals);
    for (size_t i = 0; i < np; i++) {
        size_t i0 = i * n / np, i1 = (i + 1) * n / np;
        if (i1 <= i0) i1 = i0 + 1;
        pp_windows_mean(w, i0, i1, &vals[i * PP_WF_N]);
        double ta = (double)((int64_t)(pp_windows_t0(w, i0) - a->t0));
        double tb = (double)((int64_t)(pp_windows_t1(w, i1 - 1) - a->t0));
        xs[i] = xof((ta + tb) / 2, axis_ns);
    }
    /* y scale: the largest value, but no higher than the live threads (no more threads can be
     * busy than are alive; a window's estimate above that is clipped at the top, and the hover
     * says so) */
    double ymax = 0, rssmax = 0, thmax = 0;
    for (size_t i = 0; i < np; i++) {
        for (size_t s = 0; s < NSERIES; s++) {
            double v = vals[i * PP_WF_N + series[s].f];
            if (isfinite(v) && v > ymax) ymax = v;
        }
        double r = vals[i * PP_WF_N + PP_WF_rss_bytes], th = vals[i * PP_WF_N + PP_WF_threads];
        if (isfinite(r) && r > rssmax) rssmax = r;
        if (isfinite(th) && th > thmax) thmax = th;
    }
    if (thmax > 0 && ymax > thmax * 1.05) ymax = thmax * 1.05;
    ymax = nice_ceil(ymax < 1 ? 1 : ymax);
    int has_rss = w->present[PP_WF_rss_bytes] && rssmax > 0;

    double ym = TL_STRIP + 4, yr = ym + TL_MH + 8, yl = yr + (has_rss ? TL_RH + 10 : 0);
    size_t nlanes = w->nthreads > TL_LANES ? TL_LANES + 1 : w->nthreads;
    double lanes_h = (double)nlanes * (TL_LH + TL_LGAP);
    double height = yl + lanes_h + 24;
    buf_printf(b, "<svg class=\"tl\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" data-x0=\"%.0f\" data-pw=\"%.0f\" data-axis=\"%.0f\" data-pid=\"%u\" role=\"img\">\n",
               TL_W, height, TL_LM, TL_PW, axis_ns, p->pid);

    /* phase bands over the whole height, label strip on top */
    for (size_t k = 0; k < p->nphases; k++) {
        const pp_aphase *ph = &a->phases[p->phase0 + k];
        double xa = xof((double)ph->start_ns, axis_ns), xb = xof((double)ph->end_ns, axis_ns);
        double wd = xb - xa > 0.5 ? xb - xa : 0.5;
        const char *col = h_class_color(ph->cls, ph->type);
        /* a white edge at each start, so two phases of one class still read as two */
        buf_printf(b, "<g class=\"band\" data-p=\"%d\"><rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\" fill-opacity=\".13\"/>"
                      "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"/>"
                      "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"%.0f\" class=\"edge\"/>",
                   ph->id, xa, wd, height - 20, col, xa, wd, TL_STRIP, col, xa, xa, TL_STRIP);
        if (wd > 34) {
            buf_printf(b, "<text x=\"%.1f\" y=\"12\" class=\"bl\">#%d ", xa + 3, ph->id);
            if (ph->cls) h_esc(b, ph->cls); else buf_printf(b, "type %c", 'A' + ph->type % 26);
            buf_puts(b, "</text>");
        }
        buf_puts(b, "</g>\n");
    }

    /* metrics panel: axes, grid, series */
    buf_printf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"panel\"/>", TL_LM, ym, TL_PW, TL_MH);
    for (int g = 0; g <= 2; g++) {
        double y = ym + TL_MH - TL_MH * g / 2.0;
        buf_printf(b, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", TL_LM, TL_LM + TL_PW, y, y);
        buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" class=\"ax\">", TL_LM - 6, y + 4);
        h_num(b, ymax * g / 2.0);
        buf_puts(b, "</text>");
    }
    buf_printf(b, "<text x=\"8\" y=\"%.0f\" class=\"yl\">threads busy</text>", ym + 14);
    buf_printf(b, "<text x=\"8\" y=\"%.0f\" class=\"yl2\">(cores for cpu)</text>", ym + 28);
    for (size_t s = 0; s < NSERIES; s++) {
        if (!w->present[series[s].f]) continue;
        buf_printf(b, "<polyline class=\"%s\" data-k=\"%s\" data-y0=\"%.0f\" data-h=\"%.0f\" data-max=\"%g\" points=\"",
                   series[s].cls, series[s].key, ym, TL_MH, ymax);
        for (size_t i = 0; i < np; i++) {
            double v = vals[i * PP_WF_N + series[s].f];
            if (!isfinite(v)) v = 0;
            buf_printf(b, "%.1f,%.1f ", xs[i], ym + TL_MH - TL_MH * (v > ymax ? ymax : v) / ymax);
        }
        buf_puts(b, "\"/>\n");
    }
    if (has_rss) {
        buf_printf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" class=\"panel\"/>", TL_LM, yr, TL_PW, TL_RH);
        buf_printf(b, "<text x=\"8\" y=\"%.0f\" class=\"yl\">memory (RSS)</text><text x=\"%.0f\" y=\"%.0f\" class=\"ax\">",
                   yr + 14, TL_LM - 6, yr + 10);
        h_bytes(b, rssmax);
        buf_puts(b, "</text>");
        buf_printf(b, "<polyline class=\"m-rss\" data-k=\"rss\" data-y0=\"%.0f\" data-h=\"%.0f\" data-max=\"%.0f\" points=\"", yr, TL_RH, rssmax);
        for (size_t i = 0; i < np; i++) {
            double v = vals[i * PP_WF_N + PP_WF_rss_bytes];
            if (!isfinite(v)) v = 0;
            buf_printf(b, "%.1f,%.1f ", xs[i], yr + TL_RH - TL_RH * v / rssmax);
        }
        buf_puts(b, "\"/>\n");
    }
    buf_printf(b, "<text x=\"8\" y=\"%.0f\" class=\"yl\">threads</text>\n", yl - 2);
    lanes(b, a, p, axis_ns, yl);

    /* time axis */
    double ya = yl + lanes_h + 4;
    time_axis(b, axis_ns, ya);
    buf_printf(b, "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"0\" y2=\"%.0f\" visibility=\"hidden\"/>", ya);
    buf_puts(b, "</svg>\n");
    free(xs);
    free(vals);
}

/* ---- all processes over time ---- */
#define GANTT_ROWS 80
#define GANTT_RH 12.0

static const pp_aproc *gantt_src;
static int by_length(const void *x, const void *y)
{
    const pp_aproc *a = &gantt_src[*(const size_t *)x], *b = &gantt_src[*(const size_t *)y];
    uint64_t la = a->end_ns - a->start_ns, lb = b->end_ns - b->start_ns;
    return la < lb ? 1 : la > lb ? -1 : 0;
}

void html_gantt(pp_buf *b, const pp_analysis *a, double axis_ns)
{
    size_t n = a->nproc, *order = xmalloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = i;
    gantt_src = a->procs;
    qsort(order, n, sizeof *order, by_length);
    size_t rows = n < GANTT_ROWS ? n : GANTT_ROWS;
    qsort(order, rows, sizeof *order, by_index);         /* shown in start order (procs are) */
    double height = (double)rows * (GANTT_RH + 2) + 24;
    buf_printf(b, "<svg class=\"tl gantt\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\">\n", TL_W, height);
    for (size_t r = 0; r < rows; r++) {
        const pp_aproc *p = &a->procs[order[r]];
        double y = (double)r * (GANTT_RH + 2);
        pp_buf name;
        buf_init(&name);
        buf_printf(&name, "%u %s", p->pid, h_base(p->exe ? p->exe : "?"));
        buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" class=\"ll\">", TL_LM - 6, y + GANTT_RH - 2);
        label(b, name.data, 26);
        buf_puts(b, "</text>");
        double xa = xof((double)p->start_ns, axis_ns), xb = xof((double)p->end_ns, axis_ns);
        buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" class=\"s-idle\" data-tip=\"",
                   xa, y, xb - xa > 0.5 ? xb - xa : 0.5, GANTT_RH);
        h_esc(b, name.data);
        buf_puts(b, ": ");
        h_sec(b, (double)p->start_ns);
        buf_puts(b, " → ");
        h_sec(b, (double)p->end_ns);
        buf_puts(b, "\"/>");
        for (size_t k = 0; k < p->nphases; k++) {
            const pp_aphase *ph = &a->phases[p->phase0 + k];
            double pa = xof((double)ph->start_ns, axis_ns), pb = xof((double)ph->end_ns, axis_ns);
            buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\" data-tip=\"",
                       pa, y, pb - pa > 0.5 ? pb - pa : 0.5, GANTT_RH, h_class_color(ph->cls, ph->type));
            h_esc(b, name.data);
            buf_printf(b, ": phase #%d, ", ph->id);
            if (ph->cls) h_esc(b, ph->cls); else buf_printf(b, "type %c", 'A' + ph->type % 26);
            buf_puts(b, ", ");
            h_sec(b, (double)ph->start_ns);
            buf_puts(b, " → ");
            h_sec(b, (double)ph->end_ns);
            buf_puts(b, "\"/>");
        }
        buf_puts(b, "\n");
        buf_free(&name);
    }
    double ya = (double)rows * (GANTT_RH + 2) + 2;
    time_axis(b, axis_ns, ya);
    buf_puts(b, "</svg>\n");
    if (n > rows) buf_printf(b, "<p class=\"muted\">The %zu longest of %zu traces are drawn.</p>\n", rows, n);
    free(order);
}
