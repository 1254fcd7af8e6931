/* Phase detection over a process's windows: detection features, PELT change points (coarse to
 * fine when long), k-means segment types chosen by BIC.  The method and its reasons are in
 * phases.h; tuning figures and scores in docs/phases.md. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "phases.h"
#include "util.h"

/* ---- detection features ---- */
/* Which window features drive detection, and the floor added before the log: the smallest
 * amount that means something (a rate below it is "none").  Left out: rss_bytes (a level that
 * drifts with allocation, not a behaviour), wait_frac and rw_calls_ps (sums of others), and what
 * the rest of the machine decides rather than the program: ivcsw_ps (preemption by other
 * processes) and blkio_ps (the kernel's writeback).  offcpu_frac has a floor of 0.3 for the same
 * reason: a compute loop preempted 5% or 30% of the time by a neighbour is the same phase, while
 * a program that sleeps or blocks is off CPU most of the time. */
static const struct { int f; double eps; } det_features[] = {
    { PP_WF_cpu_util, 0.02 },      { PP_WF_threads, 0.1 },
    { PP_WF_io_frac, 0.01 },       { PP_WF_io_read_frac, 0.01 },   { PP_WF_io_write_frac, 0.01 },
    { PP_WF_io_meta_frac, 0.01 },  { PP_WF_io_sync_frac, 0.01 },   { PP_WF_io_file_frac, 0.01 },
    { PP_WF_io_pipe_frac, 0.01 },  { PP_WF_io_socket_frac, 0.01 }, { PP_WF_io_tty_frac, 0.01 },
    { PP_WF_io_other_frac, 0.01 },
    { PP_WF_read_bps, 1e5 },       { PP_WF_write_bps, 1e5 },       { PP_WF_io_calls_ps, 10 },
    { PP_WF_io_size_mean, 16 },
    { PP_WF_alloc_calls_ps, 100 }, { PP_WF_alloc_bps, 1e5 },       { PP_WF_alloc_frac, 0.01 },
    { PP_WF_faults_ps, 100 },      { PP_WF_majfaults_ps, 10 },
    { PP_WF_vcsw_ps, 10 },
    { PP_WF_offcpu_frac, 0.3 },
    { PP_WF_wait_mutex_frac, 0.01 }, { PP_WF_wait_cond_frac, 0.01 }, { PP_WF_wait_rwlock_frac, 0.01 },
    { PP_WF_wait_sem_frac, 0.01 }, { PP_WF_wait_sleep_frac, 0.01 }, { PP_WF_wait_poll_frac, 0.01 },
    { PP_WF_wait_join_frac, 0.01 }, { PP_WF_wait_child_frac, 0.01 },
    { PP_WF_ins_ps, 1e6 },         { PP_WF_ipc, 0.05 },            { PP_WF_llc_mpki, 0.1 },
    { PP_WF_br_mpki, 0.1 },
};
#define NDET (sizeof det_features / sizeof det_features[0])
#define NDIM_MAX (NDET + PP_SIG_DIMS)

/* Noise floors: log features at PP_PHASES_SIGMA_FLOOR (0.7: a change by a factor 2 is one
 * noise unit, so a shift of a few tens of percent — a neighbour taking some CPU — needs very long
 * segments to pass the penalty, while phase changes, factors of several, pass easily); signature
 * components at 0.5 (a signature moves by ~1.4 per component when the leaf function changes, and
 * a phase that runs in several functions wobbles by a few tenths). */
#define SIGMA_FLOOR_SIG 0.5
#define SIG_RADIUS 2
#define CLUSTER_SD_FLOOR 3.0

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Running median of width k (odd) over a column, in place; the ends use the window clipped to
 * the series.  The window is kept sorted (binary search, then a move of at most k values), so
 * a wide median stays cheap at 10^6 windows. */
static size_t sorted_pos(const double *v, size_t m, double x)
{
    size_t lo = 0, hi = m;
    while (lo < hi) { size_t mid = (lo + hi) / 2; if (v[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
}

static void running_median(double *col, size_t n, int k, double *tmp, double *win)
{
    if (k <= 1 || n < 3) return;
    size_t h = (size_t)k / 2, m = 0, a = 0, b = 0;
    memcpy(tmp, col, n * sizeof *col);
    for (size_t i = 0; i < n; i++) {
        size_t na = i >= h ? i - h : 0, nb = i + h + 1 < n ? i + h + 1 : n;
        for (; b < nb; b++) {
            size_t p = sorted_pos(win, m, tmp[b]);
            memmove(win + p + 1, win + p, (m - p) * sizeof *win);
            win[p] = tmp[b];
            m++;
        }
        for (; a < na; a++) {
            size_t p = sorted_pos(win, m, tmp[a]);   /* the value itself is there */
            memmove(win + p, win + p + 1, (m - p - 1) * sizeof *win);
            m--;
        }
        col[i] = win[m / 2];
    }
}

/* Within-segment noise of a column: 1.4826 * median |x[i+lag] - x[i]| / sqrt(2) over the pairs
 * where the feature is active at both ends (above its floor value `idle`).  Leaving out idle
 * windows scales a feature that sits at its floor most of the time (no I/O outside I/O phases)
 * by its noise where it is active, not by the zeros elsewhere; the median ignores the few pairs
 * that straddle a step. */
static double noise_sigma(const double *col, size_t n, size_t lag, double idle, double *tmp)
{
    size_t m = 0;
    for (size_t i = 0; i + lag < n; i++)
        if (col[i] > idle + 1e-9 && col[i + lag] > idle + 1e-9) tmp[m++] = fabs(col[i + lag] - col[i]);
    if (!m) return 0;
    size_t h = m / 2;
    /* nth element by quickselect would do; a sort keeps it simple and n log n is cheap here */
    qsort(tmp, m, sizeof *tmp, cmp_double);
    double med = m % 2 ? tmp[h] : 0.5 * (tmp[h - 1] + tmp[h]);
    return 1.4826 * med / sqrt(2.0);
}

static const char *dim_name[NDIM_MAX];   /* for the PP_PHASES_DEBUG dump only */
static int dim_feat[NDIM_MAX];           /* the window feature behind each dimension; signature component c: -1 - c */
static double dim_scale[NDIM_MAX];       /* its noise unit (what the column was divided by) */

static double *detection_matrix(const pp_windows *w, const pp_phases_opts *o, size_t lag, size_t *dims)
{
    size_t n = w->n, D = 0;
    double *cols[NDIM_MAX];                   /* the kept columns, each n values */
    double *tmp = xmalloc((n + 1) * sizeof *tmp), buf[128];
    int med = o->median ? o->median : PP_PHASES_MEDIAN;
    if (med > 127) med = 127;
    if (!(med & 1)) med++;
    double *col = NULL;
    /* The signature of window i is the mean over the CPU samples of the windows within
     * SIG_RADIUS either side: a window holds about one sample per busy thread, often none.
     * (Widening until a fixed number of samples is reached was tried: it blurs boundaries and
     * scored worse on the tuning seeds.)  Prefix sums make it one pass per dimension. */
    size_t *sig_a = NULL, *sig_b = NULL;
    double *sig_pc = NULL, *sig_ps = NULL;
    if (!o->no_signature) {
        sig_a = xmalloc((n ? n : 1) * sizeof *sig_a);
        sig_b = xmalloc((n ? n : 1) * sizeof *sig_b);
        sig_pc = xmalloc((n + 1) * sizeof *sig_pc);
        sig_ps = xmalloc((n + 1) * sizeof *sig_ps);
        sig_pc[0] = 0;
        for (size_t i = 0; i < n; i++) sig_pc[i + 1] = sig_pc[i] + w->sig_samples[i];
        for (size_t i = 0; i < n; i++) {
            sig_a[i] = i >= SIG_RADIUS ? i - SIG_RADIUS : 0;
            sig_b[i] = i + SIG_RADIUS + 1 < n ? i + SIG_RADIUS + 1 : n;
        }
    }
    for (size_t k = 0; k < NDET + (o->no_signature ? 0 : PP_SIG_DIMS); k++) {
        int is_sig = k >= NDET;
        if (!is_sig && !w->present[det_features[k].f]) continue;
        if (!col) col = xmalloc((n ? n : 1) * sizeof *col);
        if (is_sig) {
            sig_ps[0] = 0;
            for (size_t i = 0; i < n; i++)
                sig_ps[i + 1] = sig_ps[i] + w->sig[i * PP_SIG_DIMS + (k - NDET)] * w->sig_samples[i];
        }
        double lo = DBL_MAX, hi = -DBL_MAX;
        for (size_t i = 0; i < n; i++) {
            double v;
            if (is_sig) {
                size_t a = sig_a[i], b = sig_b[i];
                double cnt = sig_pc[b] - sig_pc[a];
                v = cnt > 0 ? (sig_ps[b] - sig_ps[a]) / cnt : NAN;   /* none near: filled below */
            } else {
                v = pp_windows_row(w, i)[det_features[k].f];
                if (!(v >= 0)) v = 0;                      /* NAN or a negative oddity */
                v = log(v + det_features[k].eps);
            }
            col[i] = v;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        double idle = is_sig ? -DBL_MAX : log(det_features[k].eps);
        if (is_sig) {
            /* Stretches without samples (sleeping, blocked, a phase of mostly system calls) read
             * 0, "no code seen", not the last signature carried on: with one sample a second,
             * carrying would turn each sample's leaf into a step of its own; as zeros, a lone
             * sample is a blip of 2 * SIG_RADIUS + 1 windows that the running median removes. */
            for (size_t i = 0; i < n; i++)
                if (isnan(col[i])) col[i] = 0;
            lo = DBL_MAX; hi = -DBL_MAX;
            for (size_t i = 0; i < n; i++) { if (col[i] < lo) lo = col[i]; if (col[i] > hi) hi = col[i]; }
        }
        if (hi - lo < 1e-9) continue;                      /* constant: says nothing here */
        double s = noise_sigma(col, n, lag, idle, tmp);
        double floor = is_sig ? SIGMA_FLOOR_SIG : (o->sigma_floor > 0 ? o->sigma_floor : PP_PHASES_SIGMA_FLOOR);
        if (s < floor) s = floor;
        running_median(col, n, med, tmp, buf);
        for (size_t i = 0; i < n; i++) col[i] /= s;
        dim_name[D] = is_sig ? "sig" : pp_wfeat_name[det_features[k].f];
        dim_feat[D] = is_sig ? -1 - (int)(k - NDET) : det_features[k].f;
        dim_scale[D] = s;
        cols[D++] = col;
        col = NULL;
    }
    free(col);
    free(tmp);
    free(sig_a); free(sig_b); free(sig_pc); free(sig_ps);
    double *x = xmalloc((n && D ? n * D : 1) * sizeof *x);
    for (size_t f = 0; f < D; f++) {
        for (size_t i = 0; i < n; i++) x[i * D + f] = cols[f][i];
        free(cols[f]);
    }
    *dims = D;
    return x;
}

/* ---- PELT over a set of positions ----
 * pos[0..np-1]: candidate segment starts/ends in rows (pos[0] = 0, pos[np-1] = n, increasing);
 * S1[j*d+f], S2[j]: prefix sums of x and of x^2 (all columns) up to pos[j].  The cost of rows
 * [pos[s], pos[t]) is S2 - |S1|^2 / len: the Gaussian mean-change cost at unit variance. */
static double seg_cost(const double *S1, const double *S2, const size_t *pos, size_t d, size_t s, size_t t)
{
    double len = (double)(pos[t] - pos[s]), q = 0;
    const double *a = S1 + s * d, *b = S1 + t * d;
    for (size_t f = 0; f < d; f++) {
        double m = b[f] - a[f];
        q += m * m;
    }
    return (S2[t] - S2[s]) - q / len;
}

static size_t pelt_core(const size_t *pos, size_t np, const double *S1, const double *S2, size_t d,
                        double beta, size_t min_seg, size_t **out)
{
    double *F = xmalloc(np * sizeof *F);
    size_t *last = xmalloc(np * sizeof *last), *R = xmalloc(np * sizeof *R), *R2 = xmalloc(np * sizeof *R2);
    double *cost = xmalloc(np * sizeof *cost);
    size_t nr = 1;
    F[0] = -beta;
    R[0] = 0;
    last[0] = 0;
    for (size_t t = 1; t < np; t++) {
        double best = INFINITY;
        size_t arg = 0;
        for (size_t k = 0; k < nr; k++) {
            size_t s = R[k];
            cost[k] = INFINITY;
            if (pos[t] - pos[s] < min_seg || !isfinite(F[s])) continue;
            cost[k] = seg_cost(S1, S2, pos, d, s, t);
            double v = F[s] + cost[k] + beta;
            if (v < best) { best = v; arg = s; }
        }
        F[t] = best;
        last[t] = arg;
        /* Prune: a start s that already costs more than the best ending here can never be the
         * last change before a later end (the cost is additive and splitting never costs more). */
        size_t n2 = 0;
        for (size_t k = 0; k < nr; k++)
            if (!isfinite(cost[k]) || !isfinite(best) || F[R[k]] + cost[k] <= best) R2[n2++] = R[k];
        R2[n2++] = t;
        size_t *sw = R; R = R2; R2 = sw;
        nr = n2;
    }
    /* backtrack */
    size_t nc = 0, *cps = NULL, cap = 0;
    if (isfinite(F[np - 1]))
        for (size_t t = np - 1; t > 0; t = last[t]) {
            if (last[t] == 0) break;
            xgrow((void **)&cps, &cap, nc + 1, sizeof *cps);
            cps[nc++] = pos[last[t]];
        }
    for (size_t i = 0; i < nc / 2; i++) { size_t v = cps[i]; cps[i] = cps[nc - 1 - i]; cps[nc - 1 - i] = v; }
    free(F); free(last); free(R); free(R2); free(cost);
    *out = cps;
    return nc;
}

/* Prefix sums at the given positions, in one pass over x. */
static void prefix_at(const double *x, size_t d, const size_t *pos, size_t np, double *S1, double *S2)
{
    double *acc = xcalloc(d, sizeof *acc), acc2 = 0;
    size_t i = 0;
    for (size_t j = 0; j < np; j++) {
        for (; i < pos[j]; i++) {
            const double *r = x + i * d;
            for (size_t f = 0; f < d; f++) { acc[f] += r[f]; acc2 += r[f] * r[f]; }
        }
        memcpy(S1 + j * d, acc, d * sizeof *acc);
        S2[j] = acc2;
    }
    free(acc);
}

static size_t pelt_positions(const double *x, size_t d, const size_t *pos, size_t np, double beta,
                             size_t min_seg, size_t **cps)
{
    double *S1 = xmalloc(np * d * sizeof *S1), *S2 = xmalloc(np * sizeof *S2);
    prefix_at(x, d, pos, np, S1, S2);
    size_t nc = pelt_core(pos, np, S1, S2, d, beta, min_seg, cps);
    free(S1); free(S2);
    return nc;
}

size_t pp_pelt_exact(const double *x, size_t n, size_t d, double beta, size_t min_seg, size_t **cps)
{
    *cps = NULL;
    if (n < 2) return 0;
    size_t *pos = xmalloc((n + 1) * sizeof *pos);
    for (size_t i = 0; i <= n; i++) pos[i] = i;
    size_t nc = pelt_positions(x, d, pos, n + 1, beta, min_seg ? min_seg : 1, cps);
    free(pos);
    return nc;
}

size_t pp_changepoints(const double *x, size_t n, size_t d, double beta, size_t min_seg, size_t **cps)
{
    if (!min_seg) min_seg = 1;
    if (n <= PP_PELT_DIRECT_MAX) return pp_pelt_exact(x, n, d, beta, min_seg, cps);
    /* Coarse: blocks of b rows, exact costs on block-aligned segments. */
    size_t b = (n + PP_PELT_DIRECT_MAX - 1) / PP_PELT_DIRECT_MAX, nb = (n + b - 1) / b;
    size_t *pos = xmalloc((nb + 1) * sizeof *pos);
    for (size_t j = 0; j <= nb; j++) pos[j] = j * b < n ? j * b : n;
    size_t cmin = min_seg / b > 1 ? min_seg / b * b : 1;   /* block-aligned, never above min_seg */
    size_t *coarse = NULL;
    size_t nco = pelt_positions(x, d, pos, nb + 1, beta * 0.5, cmin, &coarse);
    free(pos);
    /* Fine: every row within one block of a coarse change, plus both ends. */
    size_t cap = 2 + nco * (2 * b + 1), np = 0;
    pos = xmalloc(cap * sizeof *pos);
    pos[np++] = 0;
    for (size_t c = 0; c < nco; c++) {
        size_t lo = coarse[c] > b ? coarse[c] - b : 1, hi = coarse[c] + b < n ? coarse[c] + b : n - 1;
        if (lo <= pos[np - 1]) lo = pos[np - 1] + 1;
        for (size_t p = lo; p <= hi; p++) pos[np++] = p;
    }
    pos[np++] = n;
    free(coarse);
    size_t nc = pelt_positions(x, d, pos, np, beta, min_seg, cps);
    free(pos);
    return nc;
}

/* ---- k-means with BIC ---- */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) / 9007199254740992.0; }

static double dist2(const double *a, const double *b, size_t d)
{
    double s = 0;
    for (size_t f = 0; f < d; f++) { double v = a[f] - b[f]; s += v * v; }
    return s;
}

/* One k-means run (k-means++ seeding, Lloyd iterations); returns the SSE. */
static double kmeans_run(const double *x, size_t n, size_t d, int k, uint64_t *rng, int *lab, double *cen)
{
    double *dmin = xmalloc(n * sizeof *dmin);
    size_t first = (size_t)(rng_next(rng) % n);
    memcpy(cen, x + first * d, d * sizeof *cen);
    for (size_t i = 0; i < n; i++) dmin[i] = dist2(x + i * d, cen, d);
    for (int c = 1; c < k; c++) {
        double tot = 0;
        for (size_t i = 0; i < n; i++) tot += dmin[i];
        size_t pick = 0;
        if (tot > 0) {
            double r = rng_unit(rng) * tot, acc = 0;
            for (pick = 0; pick + 1 < n; pick++) { acc += dmin[pick]; if (acc > r) break; }
        }
        memcpy(cen + (size_t)c * d, x + pick * d, d * sizeof *cen);
        for (size_t i = 0; i < n; i++) {
            double v = dist2(x + i * d, cen + (size_t)c * d, d);
            if (v < dmin[i]) dmin[i] = v;
        }
    }
    size_t *cnt = xmalloc((size_t)k * sizeof *cnt);
    double sse = 0;
    for (int it = 0; it < 100; it++) {
        int changed = 0;
        sse = 0;
        for (size_t i = 0; i < n; i++) {
            int bc = 0;
            double bd = INFINITY;
            for (int c = 0; c < k; c++) {
                double v = dist2(x + i * d, cen + (size_t)c * d, d);
                if (v < bd) { bd = v; bc = c; }
            }
            if (it == 0 || lab[i] != bc) changed = 1;
            lab[i] = bc;
            sse += bd;
        }
        if (!changed) break;
        memset(cen, 0, (size_t)k * d * sizeof *cen);
        memset(cnt, 0, (size_t)k * sizeof *cnt);
        for (size_t i = 0; i < n; i++) {
            cnt[lab[i]]++;
            for (size_t f = 0; f < d; f++) cen[(size_t)lab[i] * d + f] += x[i * d + f];
        }
        for (int c = 0; c < k; c++) {
            if (cnt[c]) {
                for (size_t f = 0; f < d; f++) cen[(size_t)c * d + f] /= (double)cnt[c];
            } else {   /* empty cluster: restart it on the point farthest from its centre */
                size_t far = 0;
                double fd = -1;
                for (size_t i = 0; i < n; i++) {
                    double v = dist2(x + i * d, cen + (size_t)lab[i] * d, d);
                    if (v > fd) { fd = v; far = i; }
                }
                memcpy(cen + (size_t)c * d, x + far * d, d * sizeof *cen);
            }
        }
    }
    free(cnt);
    free(dmin);
    return sse;
}

/* BIC of a spherical Gaussian mixture with hard assignments (Pelleg & Moore's X-means form). */
static double kmeans_bic(size_t n, size_t d, int k, const int *lab, double sse)
{
    double var = n > (size_t)k ? sse / ((double)(n - (size_t)k) * (double)d) : 0;
    if (var < 1e-3) var = 1e-3;   /* standardized units: below this, clusters are points */
    size_t *cnt = xcalloc((size_t)k, sizeof *cnt);
    for (size_t i = 0; i < n; i++) cnt[lab[i]]++;
    double ll = 0;
    for (int c = 0; c < k; c++) {
        double r = (double)cnt[c];
        if (!r) continue;
        ll += r * log(r / (double)n) - r * (double)d / 2 * log(2 * M_PI * var);
    }
    ll -= sse / (2 * var);
    free(cnt);
    double params = (double)(k - 1) + (double)k * (double)d + 1;
    return ll - params / 2 * log((double)n);
}

/* At most this many points are clustered; more (a very long run with thousands of segments) are
 * subsampled evenly for the fit and then each assigned to its nearest centre. */
#define KMEANS_MAX_POINTS 1000

int pp_kmeans_bic(const double *x, size_t n, size_t d, int kmax, uint64_t seed, int *labels)
{
    if (n == 0) return 0;
    const double *fit = x;
    size_t nf = n;
    double *sub = NULL;
    if (n > KMEANS_MAX_POINTS) {
        nf = KMEANS_MAX_POINTS;
        sub = xmalloc(nf * d * sizeof *sub);
        for (size_t i = 0; i < nf; i++) memcpy(sub + i * d, x + (i * n / nf) * d, d * sizeof *sub);
        fit = sub;
    }
    if (kmax > (int)nf) kmax = (int)nf;
    if (kmax < 1) kmax = 1;
    int *lab = xmalloc(nf * sizeof *lab), *best_lab = xmalloc(nf * sizeof *best_lab);
    double *cen = xmalloc((size_t)kmax * d * sizeof *cen), *bic = xmalloc((size_t)kmax * sizeof *bic);
    double *best_cen = xmalloc((size_t)kmax * (size_t)kmax * d * sizeof *best_cen);
    uint64_t rng = seed ^ 0x5151f00dull;
    for (int k = 1; k <= kmax; k++) {
        double best = INFINITY;
        for (int rep = 0; rep < 8; rep++) {
            double sse = kmeans_run(fit, nf, d, k, &rng, lab, cen);
            if (sse < best - 1e-12) {
                best = sse;
                memcpy(best_lab, lab, nf * sizeof *lab);
                memcpy(best_cen + (size_t)(k - 1) * (size_t)kmax * d, cen, (size_t)k * d * sizeof *cen);
            }
        }
        bic[k - 1] = kmeans_bic(nf, d, k, best_lab, best);
    }
    /* SimPoint: the smallest k whose BIC reaches 90% of the range above k = 1 (or of the whole
     * range when k = 1 is not the lowest). */
    double lo = bic[0], hi = bic[0];
    for (int k = 0; k < kmax; k++) { if (bic[k] < lo) lo = bic[k]; if (bic[k] > hi) hi = bic[k]; }
    int pick = 1;
    for (int k = 1; k <= kmax; k++)
        if (bic[k - 1] >= lo + 0.9 * (hi - lo)) { pick = k; break; }
    /* every point to its nearest centre of the chosen fit, clusters numbered by first appearance */
    const double *c0 = best_cen + (size_t)(pick - 1) * (size_t)kmax * d;
    int *map = xmalloc((size_t)pick * sizeof *map), next = 0;
    for (int c = 0; c < pick; c++) map[c] = -1;
    for (size_t i = 0; i < n; i++) {
        int bc = 0;
        double bd = INFINITY;
        for (int c = 0; c < pick; c++) {
            double v = dist2(x + i * d, c0 + (size_t)c * d, d);
            if (v < bd) { bd = v; bc = c; }
        }
        if (map[bc] < 0) map[bc] = next++;
        labels[i] = map[bc];
    }
    free(map); free(lab); free(best_lab); free(cen); free(bic); free(best_cen); free(sub);
    return next;
}

/* Materiality: over hundreds of windows any shift is significant, so PELT also cuts where the
 * machine got busier and the whole program slowed by a third.  A change point is kept only if
 * some dimension's mean moves by at least min_shift noise units between the segments either side;
 * the weakest change is dropped first (its two segments merged) until all remaining ones pass.
 * Where a dimension measures the machine rather than the program, it cannot make a change
 * material on its own:
 *   - the pace of an I/O-bound stretch: when the threads spend at least half their time in I/O
 *     calls on both sides, the call and byte rates, the context switches and the CPU time follow
 *     the device's latency (a VM's fsync swings thirtyfold with the same program running); a real
 *     change of I/O behaviour also changes the kind of call, its size or the code around it.
 * And the signature is compared as what it means, where the code runs: the mean over each side's
 * CPU samples (not over its windows, where windows without a sample read 0 and the signature
 * would mostly say how often a sample happened, which cpu_util already says), and only when each
 * side has MATERIAL_SIG_SAMPLES samples or more. */
#define MATERIAL_IO_BOUND 0.5
#define MATERIAL_SIG_SAMPLES 5
static int device_paced(int f)
{
    return f == PP_WF_read_bps || f == PP_WF_write_bps || f == PP_WF_io_calls_ps ||
           f == PP_WF_vcsw_ps || f == PP_WF_cpu_util;
}

static size_t prune_immaterial(const pp_windows *w, const double *x, size_t n, size_t d, size_t *cps,
                               size_t nc, double min_shift)
{
    if (!nc || !d) return nc;
    size_t ns = nc + 1;
    /* per segment: sums of each dimension over windows, or for a signature dimension the sum of
     * the raw component over samples; window count; I/O and live thread-time; CPU samples */
    double *sum = xcalloc(ns * d, sizeof *sum), *len = xmalloc(ns * sizeof *len);
    double *io = xcalloc(ns, sizeof *io), *thr = xcalloc(ns, sizeof *thr), *smp = xcalloc(ns, sizeof *smp);
    for (size_t s = 0; s < ns; s++) {
        size_t a = s ? cps[s - 1] : 0, b = s < nc ? cps[s] : n;
        len[s] = (double)(b - a);
        for (size_t i = a; i < b; i++) {
            double cnt = w->sig_samples ? w->sig_samples[i] : 0;
            for (size_t f = 0; f < d; f++)
                sum[s * d + f] += dim_feat[f] >= 0 ? x[i * d + f] : w->sig[i * PP_SIG_DIMS + (size_t)(-1 - dim_feat[f])] * cnt;
            const double *r = pp_windows_row(w, i);
            if (r[PP_WF_io_frac] > 0) io[s] += r[PP_WF_io_frac];
            if (r[PP_WF_threads] > 0) thr[s] += r[PP_WF_threads];
            smp[s] += cnt;
        }
    }
    while (nc) {
        size_t worst = 0;
        double wv = INFINITY;
        for (size_t c = 0; c < nc; c++) {       /* change c separates segments c and c+1 */
            int io_bound = io[c] > 0 && io[c + 1] > 0 && io[c] >= MATERIAL_IO_BOUND * thr[c] &&
                           io[c + 1] >= MATERIAL_IO_BOUND * thr[c + 1];
            int sig_ok = smp[c] >= MATERIAL_SIG_SAMPLES && smp[c + 1] >= MATERIAL_SIG_SAMPLES;
            double m = 0;
            for (size_t f = 0; f < d; f++) {
                double v;
                if (dim_feat[f] < 0) {
                    if (!sig_ok) continue;
                    v = fabs(sum[c * d + f] / smp[c] - sum[(c + 1) * d + f] / smp[c + 1]) / dim_scale[f];
                } else {
                    if (io_bound && device_paced(dim_feat[f])) continue;
                    v = fabs(sum[c * d + f] / len[c] - sum[(c + 1) * d + f] / len[c + 1]);
                }
                if (v > m) m = v;
            }
            if (m < wv) { wv = m; worst = c; }
        }
        if (wv >= min_shift) break;
        for (size_t f = 0; f < d; f++) sum[worst * d + f] += sum[(worst + 1) * d + f];
        len[worst] += len[worst + 1];
        io[worst] += io[worst + 1];
        thr[worst] += thr[worst + 1];
        smp[worst] += smp[worst + 1];
        memmove(sum + (worst + 1) * d, sum + (worst + 2) * d, (ns - worst - 2) * d * sizeof *sum);
        memmove(len + worst + 1, len + worst + 2, (ns - worst - 2) * sizeof *len);
        memmove(io + worst + 1, io + worst + 2, (ns - worst - 2) * sizeof *io);
        memmove(thr + worst + 1, thr + worst + 2, (ns - worst - 2) * sizeof *thr);
        memmove(smp + worst + 1, smp + worst + 2, (ns - worst - 2) * sizeof *smp);
        memmove(cps + worst, cps + worst + 1, (nc - worst - 1) * sizeof *cps);
        nc--;
        ns--;
    }
    free(sum); free(len); free(io); free(thr); free(smp);
    return nc;
}

/* PHASEPROF_PHASES_DEBUG=1: for each change point, on stderr, the three dimensions whose mean
 * moved most between the segments either side (in noise units).  For tuning by eye. */
static void debug_changes(const pp_windows *w, const double *x, size_t n, size_t d, const size_t *cps, size_t nc)
{
    double *diff = xmalloc((d ? d : 1) * sizeof *diff);
    for (size_t c = 0; c < nc; c++) {
        size_t a = c ? cps[c - 1] : 0, m = cps[c], b = c + 1 < nc ? cps[c + 1] : n;
        for (size_t f = 0; f < d; f++) {
            double l = 0, r = 0;
            for (size_t i = a; i < m; i++) l += x[i * d + f];
            for (size_t i = m; i < b; i++) r += x[i * d + f];
            diff[f] = fabs(l / (double)(m - a) - r / (double)(b - m));
        }
        fprintf(stderr, "change at %.2f s:", (double)m * (double)w->width_ns / 1e9);
        for (int top = 0; top < 3 && (size_t)top < d; top++) {
            size_t bf = 0;
            for (size_t f = 1; f < d; f++) if (diff[f] > diff[bf]) bf = f;
            fprintf(stderr, " %s %.1f", dim_name[bf], diff[bf]);
            diff[bf] = -1;
        }
        fprintf(stderr, "\n");
    }
    free(diff);
}

/* ---- the whole thing ---- */
pp_phases *pp_phases_detect(const pp_windows *w, const pp_phases_opts *o)
{
    pp_phases_opts def = { 0 };
    if (!o) o = &def;
    pp_phases *p = xcalloc(1, sizeof *p);
    p->pid = w->pid;
    size_t n = w->n, d = 0;
    uint64_t min_ns = o->min_seg_ns ? o->min_seg_ns : PP_PHASES_MIN_SEG_NS;
    size_t min_seg = (size_t)((min_ns + w->width_ns - 1) / w->width_ns);
    if (min_seg < 1) min_seg = 1;
    /* Noise measured at the scale of a minimum segment: slow wander (another program taking a
     * core for a while) is noise too, and lag-1 differences would not see it. */
    double *x = n ? detection_matrix(w, o, min_seg, &d) : NULL;
    double scale = o->penalty_scale > 0 ? o->penalty_scale : PP_PHASES_PENALTY;
    double beta = scale * (double)(d + 1) * log(n > 2 ? (double)n : 2.0);
    p->dims = d;
    p->penalty = beta;
    p->min_seg = min_seg;
    size_t *cps = NULL, nc = 0;
    if (d && n >= 2 * min_seg) nc = pp_changepoints(x, n, d, beta, min_seg, &cps);
    p->raw_changes = nc;
    if (getenv("PHASEPROF_PHASES_DEBUG")) debug_changes(w, x, n, d, cps, nc);
    nc = prune_immaterial(w, x, n, d, cps, nc, PP_PHASES_MIN_SHIFT);

    /* Segments, their standardized means, their types. */
    size_t ns = nc + 1;
    size_t *b0 = xmalloc((ns + 1) * sizeof *b0);
    b0[0] = 0;
    for (size_t i = 0; i < nc; i++) b0[i + 1] = cps[i];
    b0[ns] = n;
    free(cps);
    double *m = xcalloc(ns * (d ? d : 1), sizeof *m);
    for (size_t s = 0; s < ns; s++) {
        for (size_t i = b0[s]; i < b0[s + 1]; i++)
            for (size_t f = 0; f < d; f++) m[s * d + f] += x[i * d + f];
        double len = (double)(b0[s + 1] - b0[s]);
        for (size_t f = 0; f < d; f++) m[s * d + f] /= len > 0 ? len : 1;
    }
    /* For clustering, each dimension is scaled by its spread across segments (floored at 3
     * noise units): in noise units a change of I/O rate is worth a hundred times a change of
     * leaf function, yet both say "another kind of phase"; the floor keeps dimensions that
     * differ only by noise from being blown up to the size of real differences. */
    for (size_t f = 0; f < d; f++) {
        double mu = 0, var = 0;
        for (size_t s = 0; s < ns; s++) mu += m[s * d + f];
        mu /= (double)ns;
        for (size_t s = 0; s < ns; s++) var += (m[s * d + f] - mu) * (m[s * d + f] - mu);
        double sd = sqrt(var / (double)ns);
        if (sd < CLUSTER_SD_FLOOR) sd = CLUSTER_SD_FLOOR;
        for (size_t s = 0; s < ns; s++) m[s * d + f] /= sd;
    }
    int *lab = xcalloc(ns, sizeof *lab);
    int kmax = o->max_types > 0 ? o->max_types : 12;
    p->ntypes = d && n ? pp_kmeans_bic(m, ns, d, kmax, o->seed, lab) : 1;
    free(m);
    free(x);

    p->seg = xcalloc(ns, sizeof *p->seg);
    for (size_t s = 0; s < ns; s++) {
        if (!o->no_merge && p->nseg && p->seg[p->nseg - 1].type == lab[s]) {
            p->seg[p->nseg - 1].w1 = b0[s + 1];
            continue;
        }
        pp_segment *g = &p->seg[p->nseg++];
        g->w0 = b0[s];
        g->w1 = b0[s + 1];
        g->type = lab[s];
    }
    if (!n) {   /* no windows at all: one empty segment so callers need no special case */
        p->nseg = 1;
        p->seg[0].type = 0;
    }
    /* Types renumbered by first appearance after merging (merging keeps the order, but a type
     * can vanish only by merging into itself, so the numbering stays dense). */
    for (size_t s = 0; s < p->nseg; s++) {
        pp_segment *g = &p->seg[s];
        g->start_ns = n ? pp_windows_t0(w, g->w0) : w->start_ns;
        g->end_ns = n ? pp_windows_t1(w, g->w1 - 1) : w->end_ns;
        if (n) pp_windows_mean(w, g->w0, g->w1, g->mean);
        else for (int k = 0; k < PP_WF_N; k++) g->mean[k] = NAN;
        for (size_t i = g->w0; i < g->w1; i++)
            for (int j = 0; j < PP_SIG_DIMS; j++) g->sig[j] += w->sig[i * PP_SIG_DIMS + j];
        for (int j = 0; j < PP_SIG_DIMS; j++)
            g->sig[j] /= g->w1 > g->w0 ? (double)(g->w1 - g->w0) : 1;
    }
    free(lab);
    free(b0);
    return p;
}

void pp_phases_free(pp_phases *p)
{
    if (!p) return;
    free(p->seg);
    free(p);
}
