/* Fixed windows per process: SAMPLE intervals of every thread spread over the windows they overlap
 * and turned into rates and shares; CPU_SAMPLE leaf functions turned into a per-window
 * code-location signature.  The feature set and its meaning are documented in windows.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "windows.h"
#include "symbols.h"
#include "util.h"

const char *const pp_wfeat_name[PP_WF_N] = {
#define PP_WF_NAME(n, d) #n,
    PP_WFEATURES(PP_WF_NAME)
#undef PP_WF_NAME
};
const char *const pp_wfeat_desc[PP_WF_N] = {
#define PP_WF_DESC(n, d) d,
    PP_WFEATURES(PP_WF_DESC)
#undef PP_WF_DESC
};

int pp_wfeat_by_name(const char *name)
{
    for (int i = 0; i < PP_WF_N; i++)
        if (!strcmp(pp_wfeat_name[i], name)) return i;
    return -1;
}

/* Raw sums per window (thread-ns, bytes, calls, counter deltas), before they become rates. */
enum {
    R_LIVE, R_CPU,
    R_IO_OP,                          /* + op (PP_OPS) */
    R_IO_CLS = R_IO_OP + PP_OPS,      /* + fd class (PP_FD_CLASSES) */
    R_RBYTES = R_IO_CLS + PP_FD_CLASSES, R_WBYTES, R_IOCALLS, R_RWCALLS,
    R_ALLOC_CALLS, R_ALLOC_BYTES, R_ALLOC_NS,
    R_MINFLT, R_MAJFLT, R_NVCSW, R_NIVCSW, R_BLK, R_CYC, R_INS, R_LLC, R_BR,
    R_WAIT,                           /* + wait kind */
    R_N = R_WAIT + PP_WAIT_KINDS
};

/* Counters the features use, looked up by name in the header's events. */
enum { C_MINFLT, C_MAJFLT, C_NVCSW, C_NIVCSW, C_INBLK, C_OUBLK, C_CYC, C_INS, C_LLC, C_BR, C_N };
static const char *const counter_names[C_N] = {
    "rusage:minflt", "rusage:majflt", "rusage:nvcsw", "rusage:nivcsw", "rusage:inblock",
    "rusage:oublock", "PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_L3_TCM", "PAPI_BR_MSP" };

typedef struct counter_map { int idx[C_N]; } counter_map;   /* -1: not recorded */

static void map_counters(const struct pp_r_HEADER *h, counter_map *m)
{
    for (int c = 0; c < C_N; c++) m->idx[c] = -1;
    pp_iter it = pp_iter_of(h->events);
    const uint8_t *s;
    size_t len;
    for (int i = 0; pp_iter_str(&it, &s, &len); i++)
        for (int c = 0; c < C_N; c++)
            if (strlen(counter_names[c]) == len && !memcmp(counter_names[c], s, len)) m->idx[c] = i;
}

/* One SAMPLE as raw sums (vals[R_N]). */
static void sample_values(const pp_rec *r, const counter_map *cm, double *v)
{
    memset(v, 0, R_N * sizeof *v);
    const struct pp_r_SAMPLE *s = &r->SAMPLE;
    v[R_LIVE] = (double)s->dur.u;
    v[R_CPU] = (double)s->cpu_ns.u;
    pp_iter it = pp_iter_of(s->io);
    uint64_t g[4];
    while (pp_iter_group(&it, g, 4)) {
        uint64_t cls = g[0] / PP_OPS, op = g[0] % PP_OPS;
        if (cls >= PP_FD_CLASSES) continue;       /* a future writer's cell: not ours to guess */
        v[R_IO_OP + op] += (double)g[1];
        v[R_IO_CLS + cls] += (double)g[1];
        v[R_IOCALLS] += (double)g[3];
        if (op == PP_OP_READ) { v[R_RBYTES] += (double)g[2]; v[R_RWCALLS] += (double)g[3]; }
        if (op == PP_OP_WRITE) { v[R_WBYTES] += (double)g[2]; v[R_RWCALLS] += (double)g[3]; }
    }
    v[R_ALLOC_CALLS] = (double)s->alloc_calls.u;
    v[R_ALLOC_BYTES] = (double)s->alloc_bytes.u;
    v[R_ALLOC_NS] = pp_sample_alloc_ns(s);
    uint64_t cnt[64];
    int nc = 0;
    it = pp_iter_of(s->counters);
    while (nc < 64 && pp_iter_u(&it, &cnt[nc])) nc++;
#define CNT(c) (cm->idx[c] >= 0 && cm->idx[c] < nc ? (double)cnt[cm->idx[c]] : 0.0)
    v[R_MINFLT] = CNT(C_MINFLT);
    v[R_MAJFLT] = CNT(C_MAJFLT);
    v[R_NVCSW] = CNT(C_NVCSW);
    v[R_NIVCSW] = CNT(C_NIVCSW);
    v[R_BLK] = CNT(C_INBLK) + CNT(C_OUBLK);
    v[R_CYC] = CNT(C_CYC);
    v[R_INS] = CNT(C_INS);
    v[R_LLC] = CNT(C_LLC);
    v[R_BR] = CNT(C_BR);
#undef CNT
    it = pp_iter_of(s->wait);
    while (pp_iter_group(&it, g, 3))
        if (g[0] < PP_WAIT_KINDS) v[R_WAIT + g[0]] += (double)g[1];
}

static void thread_add(pp_thread_stats *th, const double *v, double frac, uint64_t a, uint64_t b,
                       double cpu_samples)
{
    if (!th->first_ns || a < th->first_ns) th->first_ns = a;
    if (b > th->last_ns) th->last_ns = b;
    th->live_ns += frac * v[R_LIVE];
    th->cpu_ns += frac * v[R_CPU];
    for (int o = 0; o < PP_OPS; o++) th->io_ns[o] += frac * v[R_IO_OP + o];
    th->io_read_bytes += frac * v[R_RBYTES];
    th->io_write_bytes += frac * v[R_WBYTES];
    th->io_calls += frac * v[R_IOCALLS];
    th->alloc_calls += frac * v[R_ALLOC_CALLS];
    th->alloc_bytes += frac * v[R_ALLOC_BYTES];
    th->alloc_ns += frac * v[R_ALLOC_NS];
    for (int k = 0; k < PP_WAIT_KINDS; k++) th->wait_ns[k] += frac * v[R_WAIT + k];
    th->cpu_samples += frac * cpu_samples;
}

static pp_thread_stats *thread_slot(pp_u64map *m, pp_thread_stats **arr, size_t *n, size_t *cap,
                                    uint32_t tid)
{
    int created;
    size_t *slot = u64map_slot(m, tid, &created);
    if (created) {
        xgrow((void **)arr, cap, *n + 1, sizeof **arr);
        memset(&(*arr)[*n], 0, sizeof **arr);
        (*arr)[*n].tid = tid;
        *slot = (*n)++;
    }
    return &(*arr)[*slot];
}

static int cmp_tid(const void *a, const void *b)
{
    uint32_t x = ((const pp_thread_stats *)a)->tid, y = ((const pp_thread_stats *)b)->tid;
    return x < y ? -1 : x > y;
}

/* End of the run: the last FOOTER's ts, else the largest timestamp in the file. */
static uint64_t run_end(pp_trace *t)
{
    const struct pp_r_FOOTER *f = pp_trace_footer(t);
    uint64_t e = pp_trace_stats_of(t)->last_ns;
    if (f && f->ts.u > e) e = f->ts.u;
    return e;
}

pp_thread_stats *pp_windows_threads_in(pp_trace *t, uint64_t from, uint64_t to, size_t *n)
{
    const struct pp_r_HEADER *h = pp_trace_header(t);
    counter_map cm;
    if (h) map_counters(h, &cm);
    else for (int c = 0; c < C_N; c++) cm.idx[c] = -1;
    pp_u64map m = { 0 };
    pp_thread_stats *arr = NULL;
    size_t cnt = 0, cap = 0;
    unsigned kinds[] = { PP_K_SAMPLE };
    pp_trace_select(t, kinds, 1);
    pp_trace_rewind(t);
    pp_rec r;
    double v[R_N];
    while (pp_trace_next(t, &r)) {
        uint64_t a = r.SAMPLE.ts.u, d = r.SAMPLE.dur.u, b = a + d;
        if (b <= from || a >= to) {
            if (!(d == 0 && a >= from && a < to)) continue;
        }
        uint64_t ca = a < from ? from : a, cb = b > to ? to : b;
        double frac = d ? (double)(cb - ca) / (double)d : 1.0;
        sample_values(&r, &cm, v);
        thread_add(thread_slot(&m, &arr, &cnt, &cap, (uint32_t)r.SAMPLE.tid.u), v, frac, ca, cb,
                   (double)r.SAMPLE.cpu_samples.u);
    }
    pp_trace_select(t, NULL, 0);
    u64map_free(&m);
    if (cnt) qsort(arr, cnt, sizeof *arr, cmp_tid);
    *n = cnt;
    return arr;
}

/* ---- signature ---- */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; s && *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

/* The fixed pseudo-random Gaussian vector of a location key (Box–Muller on a hash stream):
 * the same key gives the same vector in every run and on every machine. */
static void key_vector(uint64_t key, float *out)
{
    for (int j = 0; j < PP_SIG_DIMS; j += 2) {
        uint64_t a = mix64(key + 0x9e3779b97f4a7c15ull * (uint64_t)(j + 1));
        uint64_t b = mix64(a ^ 0xd1b54a32d192ed03ull);
        double u1 = ((double)(a >> 11) + 0.5) / 9007199254740992.0;
        double u2 = (double)(b >> 11) / 9007199254740992.0;
        double r = sqrt(-2.0 * log(u1));
        out[j] = (float)(r * cos(2 * M_PI * u2));
        if (j + 1 < PP_SIG_DIMS) out[j + 1] = (float)(r * sin(2 * M_PI * u2));
    }
}

/* Leaf location of a stack: its function (module + name) when symbolized, else the PC's page. */
static uint64_t stack_key(pp_trace *t, pp_symtab *sy, uint64_t stack)
{
    size_t nf = 0;
    const uint64_t *fr = pp_trace_stack(t, stack, &nf);
    if (!fr || !nf) return 0x5eed;                 /* no stack: one shared "unknown" location */
    pp_sym y = sy ? sym_lookup(sy, fr[0], 0) : (pp_sym){ 0 };
    if (y.func) return fnv1a(y.func, fnv1a(y.module, 0xcbf29ce484222325ull));
    return mix64(fr[0] >> 12) ^ 0x1234567ull;
}

static void build_signature(pp_windows *w, pp_trace *t)
{
    double *acc = xcalloc(w->n * PP_SIG_DIMS, sizeof *acc);
    pp_symtab *sy = sym_open(t);
    pp_u64map cache = { 0 };                       /* stack id -> row of vecs */
    float *vecs = NULL;
    size_t nvec = 0, capvec = 0;
    unsigned kinds[] = { PP_K_CPU_SAMPLE };
    pp_trace_select(t, kinds, 1);
    pp_trace_rewind(t);
    pp_rec r;
    while (pp_trace_next(t, &r)) {
        uint64_t ts = r.CPU_SAMPLE.ts.u;
        if (ts < w->start_ns || ts >= w->end_ns) continue;
        size_t wi = (size_t)((ts - w->start_ns) / w->width_ns);
        if (wi >= w->n) continue;
        int created;
        size_t *slot = u64map_slot(&cache, r.CPU_SAMPLE.stack.u, &created);
        if (created) {
            xgrow((void **)&vecs, &capvec, (nvec + 1) * PP_SIG_DIMS, sizeof *vecs);
            key_vector(stack_key(t, sy, r.CPU_SAMPLE.stack.u), vecs + nvec * PP_SIG_DIMS);
            *slot = nvec++;
        }
        const float *v = vecs + *slot * PP_SIG_DIMS;
        for (int j = 0; j < PP_SIG_DIMS; j++) acc[wi * PP_SIG_DIMS + j] += v[j];
        w->sig_samples[wi]++;
    }
    pp_trace_select(t, NULL, 0);
    for (size_t i = 0; i < w->n; i++) {
        /* Mean, not sum: the signature says where the code runs, cpu_util says how much. */
        double c = w->sig_samples[i] ? (double)w->sig_samples[i] : 1.0;
        for (int j = 0; j < PP_SIG_DIMS; j++) w->sig[i * PP_SIG_DIMS + j] = acc[i * PP_SIG_DIMS + j] / c;
    }
    free(acc);
    free(vecs);
    u64map_free(&cache);
    if (sy) sym_close(sy);
}

/* ---- build ---- */
/* Adds v (raw sums for [a, b)) to the windows [a, b) overlaps, in proportion to the overlap.
 * An interval over many windows (only a damaged or forged trace has them: SAMPLEs are one
 * interval long) puts its share per whole window into flat, as a rate that starts at the first
 * whole window and stops after the last one (flat_sum adds them up once): one SAMPLE costs
 * the same whatever it claims to span. */
#define SPREAD_LOOP 8
static void overlap(const pp_windows *w, double *raw, size_t wi, uint64_t a, uint64_t b, const double *v)
{
    uint64_t t0 = pp_windows_t0(w, wi), t1 = pp_windows_t1(w, wi);
    if (t0 >= b) return;
    double f = (double)((b < t1 ? b : t1) - (a > t0 ? a : t0)) / (double)(b - a);
    double *row = raw + wi * R_N;
    for (int k = 0; k < R_N; k++) row[k] += f * v[k];
}

static void spread(const pp_windows *w, double *raw, double *flat, uint64_t a, uint64_t b, const double *v)
{
    if (b <= a || a < w->start_ns) return;
    size_t first = (size_t)((a - w->start_ns) / w->width_ns);
    size_t last = (size_t)((b - 1 - w->start_ns) / w->width_ns);
    if (first >= w->n) return;
    if (last >= w->n) last = w->n - 1;
    if (last - first <= SPREAD_LOOP) {
        for (size_t wi = first; wi <= last; wi++) overlap(w, raw, wi, a, b, v);
        return;
    }
    /* whole windows first+1 .. last-1: the same width each (only window n-1 can be short) */
    double f = (double)w->width_ns / (double)(b - a);
    for (int k = 0; k < R_N; k++) {
        flat[(first + 1) * R_N + k] += f * v[k];
        flat[last * R_N + k] -= f * v[k];
    }
    overlap(w, raw, first, a, b, v);
    overlap(w, raw, last, a, b, v);
}

/* The rates spread() left in flat, added to the windows they cover. */
static void flat_sum(const pp_windows *w, double *raw, const double *flat)
{
    double run[R_N] = { 0 };
    for (size_t i = 0; i < w->n; i++)
        for (int k = 0; k < R_N; k++) {
            run[k] += flat[i * R_N + k];
            raw[i * R_N + k] += run[k];
        }
}

static char *copy_bytes(pp_val v)
{
    return xstrndup(v.b.p ? (const char *)v.b.p : "", v.b.len);
}

pp_windows *pp_windows_build(pp_trace *t, const pp_windows_opts *o, char *err, size_t errlen)
{
    pp_windows_opts def = { 0 };
    if (!o) o = &def;
    const struct pp_r_HEADER *h = pp_trace_header(t);
    if (!h) { snprintf(err, errlen, "%s: no HEADER record", pp_trace_path(t)); return NULL; }
    uint64_t start = h->start_mono_ns.u, end = run_end(t);
    if (end <= start) {
        snprintf(err, errlen, "%s: no records after the header", pp_trace_path(t));
        return NULL;
    }
    uint64_t interval = h->interval_ns.u ? h->interval_ns.u : 10000000;
    uint64_t base = o->width_ns ? o->width_ns : interval;
    size_t maxw = o->max_windows ? o->max_windows : 100000;
    uint64_t raw_n = (end - start + base - 1) / base;
    unsigned coarsen = raw_n > maxw ? (unsigned)((raw_n + maxw - 1) / maxw) : 1;

    pp_windows *w = xcalloc(1, sizeof *w);
    w->pid = (uint32_t)h->pid.u;
    w->ppid = (uint32_t)h->ppid.u;
    w->exe = copy_bytes(h->exe);
    w->start_ns = start;
    w->end_ns = end;
    w->interval_ns = interval;
    w->coarsen = coarsen;
    w->width_ns = base * coarsen;
    w->n = (size_t)((end - start + w->width_ns - 1) / w->width_ns);

    counter_map cm;
    map_counters(h, &cm);
    double *raw = xcalloc(w->n * R_N, sizeof *raw), *flat = xcalloc((w->n + 1) * R_N, sizeof *flat);
    double *rss = xcalloc(w->n, sizeof *rss);
    pp_u64map tmap = { 0 };
    size_t tcap = 0;
    struct span { uint64_t a, b; } *prev = NULL;   /* each thread's previous SAMPLE, clipped */
    size_t nprev = 0, prevcap = 0;
    struct { uint32_t tid; uint64_t name; } *names = NULL;
    size_t nnames = 0, capnames = 0;

    unsigned kinds[] = { PP_K_SAMPLE, PP_K_THREAD_NAME };
    pp_trace_select(t, kinds, 2);
    pp_trace_rewind(t);
    pp_rec r;
    double v[R_N];
    while (pp_trace_next(t, &r)) {
        if (r.kind == PP_K_THREAD_NAME) {
            xgrow((void **)&names, &capnames, nnames + 1, sizeof *names);
            names[nnames].tid = (uint32_t)r.THREAD_NAME.tid.u;
            names[nnames++].name = r.THREAD_NAME.name.u;
            continue;
        }
        uint64_t a = r.SAMPLE.ts.u, d = r.SAMPLE.dur.u, b = a + d;
        if (a < start) a = start;                 /* clip to the run */
        if (b > end) b = end;
        if (a >= end || (b <= a && d)) continue;
        w->samples++;
        sample_values(&r, &cm, v);
        double keep = d ? (double)(b - a) / (double)d : 1.0;
        pp_thread_stats *th = thread_slot(&tmap, &w->threads, &w->nthreads, &tcap, (uint32_t)r.SAMPLE.tid.u);
        thread_add(th, v, keep, a, b, (double)r.SAMPLE.cpu_samples.u);
        size_t ti = (size_t)(th - w->threads);
        xgrow((void **)&prev, &prevcap, ti + 1, sizeof *prev);
        if (ti >= nprev) { memset(prev + nprev, 0, (ti + 1 - nprev) * sizeof *prev); nprev = ti + 1; }
        /* A thread cannot be in I/O calls or blocked for longer than its interval.  A writer
         * that adds a call's whole time to the interval in which the call ends (a write held up
         * 100 ms while the interval had just turned) reports more: the excess belongs to the
         * thread's previous interval, so it goes there. */
        if (d && prev[ti].b > prev[ti].a) {
            double busy = 0;
            for (int op = 0; op < PP_OPS; op++) busy += v[R_IO_OP + op];
            for (int k = 0; k < PP_WAIT_KINDS; k++) busy += v[R_WAIT + k];
            if (busy > (double)d) {
                double e = (busy - (double)d) / busy, ve[R_N];
                memset(ve, 0, sizeof ve);
                for (int k = R_IO_OP; k < R_IO_CLS + PP_FD_CLASSES; k++) { ve[k] = v[k] * e; v[k] -= ve[k]; }
                for (int k = R_WAIT; k < R_WAIT + PP_WAIT_KINDS; k++) { ve[k] = v[k] * e; v[k] -= ve[k]; }
                spread(w, raw, flat, prev[ti].a, prev[ti].b, ve);
            }
        }
        prev[ti].a = a;
        prev[ti].b = b;
        size_t w0 = (size_t)((a - start) / w->width_ns);
        if (r.SAMPLE.rss_bytes.u && w0 < w->n && (double)r.SAMPLE.rss_bytes.u > rss[w0])
            rss[w0] = (double)r.SAMPLE.rss_bytes.u;
        if (!d || b <= a) {                       /* an instant: all of it in one window */
            if (w0 < w->n)
                for (int k = 0; k < R_N; k++) raw[w0 * R_N + k] += v[k];
            continue;
        }
        /* Spread over the windows it overlaps, in proportion to the overlap (the share outside
         * the run, if any, is dropped). */
        if (b - a == d) spread(w, raw, flat, a, b, v);
        else {
            double part[R_N], k2 = (double)(b - a) / (double)d;
            for (int k = 0; k < R_N; k++) part[k] = v[k] * k2;
            spread(w, raw, flat, a, b, part);
        }
    }
    free(prev);
    flat_sum(w, raw, flat);
    free(flat);
    pp_trace_select(t, NULL, 0);
    if (!w->samples) {
        snprintf(err, errlen, "%s: no SAMPLE records (nothing to put in windows)", pp_trace_path(t));
        free(raw); free(rss); free(names); u64map_free(&tmap);
        pp_windows_free(w);
        return NULL;
    }
    for (size_t i = 0; i < nnames; i++) {
        size_t *s = u64map_find(&tmap, names[i].tid);
        const char *txt = pp_trace_string(t, names[i].name, NULL);
        if (s && txt) {
            free((char *)w->threads[*s].name);
            w->threads[*s].name = xstrdup(txt);
        }
    }
    free(names);
    u64map_free(&tmap);
    qsort(w->threads, w->nthreads, sizeof *w->threads, cmp_tid);

    /* What the trace can say. */
    for (int f = 0; f < PP_WF_N; f++) w->present[f] = 1;
    int has_rusage = cm.idx[C_MINFLT] >= 0 && cm.idx[C_MAJFLT] >= 0;
    w->present[PP_WF_faults_ps] = (unsigned char)has_rusage;
    w->present[PP_WF_majfaults_ps] = cm.idx[C_MAJFLT] >= 0;
    w->present[PP_WF_vcsw_ps] = cm.idx[C_NVCSW] >= 0;
    w->present[PP_WF_ivcsw_ps] = cm.idx[C_NIVCSW] >= 0;
    w->present[PP_WF_blkio_ps] = cm.idx[C_INBLK] >= 0 && cm.idx[C_OUBLK] >= 0;
    w->present[PP_WF_ins_ps] = cm.idx[C_INS] >= 0;
    w->present[PP_WF_ipc] = cm.idx[C_INS] >= 0 && cm.idx[C_CYC] >= 0;
    w->present[PP_WF_llc_mpki] = cm.idx[C_INS] >= 0 && cm.idx[C_LLC] >= 0;
    w->present[PP_WF_br_mpki] = cm.idx[C_INS] >= 0 && cm.idx[C_BR] >= 0;
    w->has_hw = w->present[PP_WF_ipc] || w->present[PP_WF_llc_mpki] || w->present[PP_WF_br_mpki];

    w->f = xmalloc(w->n * PP_WF_N * sizeof *w->f);
    double last_rss = 0;
    for (size_t i = 0; i < w->n && !last_rss; i++) last_rss = rss[i];   /* before the first reading */
    for (size_t i = 0; i < w->n; i++) {
        const double *x = raw + i * R_N;
        double *f = w->f + i * PP_WF_N;
        double L = (double)(pp_windows_t1(w, i) - pp_windows_t0(w, i));
        double s = 1e9 / L;                         /* per second */
        double io = 0;
        for (int op = 0; op < PP_OPS; op++) io += x[R_IO_OP + op];
        f[PP_WF_cpu_util] = x[R_CPU] / L;
        f[PP_WF_threads] = x[R_LIVE] / L;
        f[PP_WF_io_frac] = io / L;
        f[PP_WF_io_read_frac] = x[R_IO_OP + PP_OP_READ] / L;
        f[PP_WF_io_write_frac] = x[R_IO_OP + PP_OP_WRITE] / L;
        f[PP_WF_io_meta_frac] = x[R_IO_OP + PP_OP_META] / L;
        f[PP_WF_io_sync_frac] = x[R_IO_OP + PP_OP_SYNC] / L;
        f[PP_WF_io_file_frac] = x[R_IO_CLS + PP_FD_FILE] / L;
        f[PP_WF_io_pipe_frac] = x[R_IO_CLS + PP_FD_PIPE] / L;
        f[PP_WF_io_socket_frac] = x[R_IO_CLS + PP_FD_SOCKET] / L;
        f[PP_WF_io_tty_frac] = x[R_IO_CLS + PP_FD_TTY] / L;
        f[PP_WF_io_other_frac] = (x[R_IO_CLS + PP_FD_DEVICE] + x[R_IO_CLS + PP_FD_OTHER]) / L;
        f[PP_WF_read_bps] = x[R_RBYTES] * s;
        f[PP_WF_write_bps] = x[R_WBYTES] * s;
        f[PP_WF_io_calls_ps] = x[R_IOCALLS] * s;
        f[PP_WF_rw_calls_ps] = x[R_RWCALLS] * s;
        f[PP_WF_io_size_mean] = x[R_RWCALLS] > 0 ? (x[R_RBYTES] + x[R_WBYTES]) / x[R_RWCALLS] : 0;
        f[PP_WF_alloc_calls_ps] = x[R_ALLOC_CALLS] * s;
        f[PP_WF_alloc_bps] = x[R_ALLOC_BYTES] * s;
        f[PP_WF_alloc_frac] = x[R_ALLOC_NS] / L;
        f[PP_WF_faults_ps] = (x[R_MINFLT] + x[R_MAJFLT]) * s;
        f[PP_WF_majfaults_ps] = x[R_MAJFLT] * s;
        f[PP_WF_vcsw_ps] = x[R_NVCSW] * s;
        f[PP_WF_ivcsw_ps] = x[R_NIVCSW] * s;
        f[PP_WF_blkio_ps] = x[R_BLK] * s;
        double off = x[R_LIVE] - x[R_CPU] - io;
        f[PP_WF_offcpu_frac] = off > 0 ? off / L : 0;
        double wt = 0;
        for (int k = 0; k < PP_WAIT_KINDS; k++) {
            wt += x[R_WAIT + k];
            f[PP_WF_wait_mutex_frac + k] = x[R_WAIT + k] / L;
        }
        f[PP_WF_wait_frac] = wt / L;
        if (rss[i]) last_rss = rss[i];
        f[PP_WF_rss_bytes] = last_rss;
        f[PP_WF_ins_ps] = x[R_INS] * s;
        f[PP_WF_ipc] = x[R_CYC] > 0 ? x[R_INS] / x[R_CYC] : 0;
        f[PP_WF_llc_mpki] = x[R_INS] > 0 ? 1000 * x[R_LLC] / x[R_INS] : 0;
        f[PP_WF_br_mpki] = x[R_INS] > 0 ? 1000 * x[R_BR] / x[R_INS] : 0;
        for (int k = 0; k < PP_WF_N; k++)
            if (!w->present[k]) f[k] = NAN;
    }
    _Static_assert(PP_WF_wait_child_frac - PP_WF_wait_mutex_frac + 1 == PP_WAIT_KINDS,
                   "one wait feature per wait kind, in PP_WAIT_* order");
    free(raw);
    free(rss);

    w->sig = xcalloc(w->n * PP_SIG_DIMS, sizeof *w->sig);
    w->sig_samples = xcalloc(w->n, sizeof *w->sig_samples);
    if (!o->no_signature) build_signature(w, t);
    return w;
}

void pp_windows_free(pp_windows *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->nthreads; i++) free((char *)w->threads[i].name);
    free(w->threads);
    free((char *)w->exe);
    free(w->f);
    free(w->sig);
    free(w->sig_samples);
    free(w);
}

void pp_windows_mean(const pp_windows *w, size_t i0, size_t i1, double *out)
{
    double tot = 0, sum[PP_WF_N] = { 0 };
    double rw = 0, bytes = 0, ins = 0, cyc = 0, llc = 0, br = 0;
    if (i1 > w->n) i1 = w->n;
    for (size_t i = i0; i < i1; i++) {
        const double *f = pp_windows_row(w, i);
        double L = (double)(pp_windows_t1(w, i) - pp_windows_t0(w, i)) / 1e9;
        tot += L;
        for (int k = 0; k < PP_WF_N; k++) sum[k] += f[k] * L;
        double c = f[PP_WF_rw_calls_ps] * L;
        rw += c;
        bytes += c * f[PP_WF_io_size_mean];
        if (w->present[PP_WF_ins_ps]) {
            double in = f[PP_WF_ins_ps] * L;
            ins += in;
            if (f[PP_WF_ipc] > 0) cyc += in / f[PP_WF_ipc];
            llc += in * f[PP_WF_llc_mpki];
            br += in * f[PP_WF_br_mpki];
        }
    }
    for (int k = 0; k < PP_WF_N; k++) out[k] = w->present[k] ? (tot > 0 ? sum[k] / tot : 0) : NAN;
    out[PP_WF_io_size_mean] = rw > 0 ? bytes / rw : 0;
    if (w->present[PP_WF_ipc]) out[PP_WF_ipc] = cyc > 0 ? ins / cyc : 0;
    if (w->present[PP_WF_llc_mpki]) out[PP_WF_llc_mpki] = ins > 0 ? llc / ins : 0;
    if (w->present[PP_WF_br_mpki]) out[PP_WF_br_mpki] = ins > 0 ? br / ins : 0;
}
