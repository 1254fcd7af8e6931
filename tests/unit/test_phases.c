/* Unit tests for analyzer/phases.c: PELT on synthetic series with known change points (found,
 * within two rows, nothing extra), the minimum segment length, coarse-to-fine agreeing with exact
 * PELT, k chosen by BIC on separated blobs (and 1 on a single blob), determinism of the whole
 * detection on synthetic windows (same input, same segments and types), recurring phase types,
 * and a 10^5-window run finishing fast.  Prints PASS/FAIL lines for tests/run.sh. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "phases.h"
#include "util.h"

#include "check.h"


/* n rows of d: piecewise-constant means (level k of segment s: (s*7+k*3)%5 * jump) + N(0,1). */
static double *series(size_t n, size_t d, const size_t *cps, size_t ncp, double jump, uint64_t seed)
{
    rs = seed;
    double *x = xmalloc(n * d * sizeof *x);
    size_t s = 0;
    for (size_t i = 0; i < n; i++) {
        while (s < ncp && i >= cps[s]) s++;
        for (size_t k = 0; k < d; k++) x[i * d + k] = (double)((s * 7 + k * 3) % 5) * jump + gauss();
    }
    return x;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int same_cps(const size_t *a, size_t na, const size_t *b, size_t nb, size_t tol)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if ((a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]) > tol) return 0;
    return 1;
}

static void test_pelt_known(void)
{
    size_t truth[] = { 200, 450, 520, 800 }, n = 1000, d = 3;
    double *x = series(n, d, truth, 4, 2.0, 1);
    size_t *c = NULL;
    size_t nc = pp_pelt_exact(x, n, d, (d + 1) * log((double)n), 10, &c);
    result("pelt_known_changes", same_cps(c, nc, truth, 4, 2), "found %zu: %zu %zu %zu %zu", nc,
           nc > 0 ? c[0] : 0, nc > 1 ? c[1] : 0, nc > 2 ? c[2] : 0, nc > 3 ? c[3] : 0);
    free(c);
    /* Same series, minimum segment 100: the 70-row segment cannot stand alone. */
    nc = pp_pelt_exact(x, n, d, (d + 1) * log((double)n), 100, &c);
    int ok = 1;
    for (size_t i = 0; i + 1 < nc; i++) ok &= c[i + 1] - c[i] >= 100;
    if (nc) ok &= c[0] >= 100 && n - c[nc - 1] >= 100;
    result("pelt_min_segment", ok && nc >= 2, "found %zu", nc);
    free(c);
    free(x);
    /* Pure noise: no change at the BIC penalty. */
    x = series(n, d, NULL, 0, 2.0, 2);
    nc = pp_pelt_exact(x, n, d, (d + 1) * log((double)n), 10, &c);
    result("pelt_noise_no_change", nc == 0, "found %zu", nc);
    free(c);
    free(x);
}

static void test_coarse_to_fine(void)
{
    /* 30000 rows (above PP_PELT_DIRECT_MAX), 25 changes: the coarse-to-fine result must equal
     * exact PELT's (which is fast here: changes keep its candidate set small). */
    size_t n = 30000, d = 4, truth[25];
    rs = 99;
    size_t at = 0;
    for (int i = 0; i < 25; i++) { at += 700 + (size_t)(unif() * 600); truth[i] = at; }
    double *x = series(n, d, truth, 25, 1.5, 3);
    size_t *a = NULL, *b = NULL;
    double beta = (d + 1) * log((double)n);
    size_t na = pp_pelt_exact(x, n, d, beta, 10, &a);
    size_t nb = pp_changepoints(x, n, d, beta, 10, &b);
    result("coarse_to_fine_equals_exact", same_cps(a, na, b, nb, 0) && same_cps(a, na, truth, 25, 3),
           "exact %zu, coarse-to-fine %zu", na, nb);
    free(a); free(b); free(x);
}

static void test_kmeans(void)
{
    size_t n = 60, d = 5;
    double *x = xmalloc(n * d * sizeof *x);
    rs = 5;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d; k++) x[i * d + k] = (double)(i % 3) * 10.0 * (k == i % 3) + 0.3 * gauss();
    int *lab = xmalloc(n * sizeof *lab), *lab2 = xmalloc(n * sizeof *lab2);
    int k = pp_kmeans_bic(x, n, d, 8, 0, lab);
    int ok = k == 3;
    for (size_t i = 0; i < n && ok; i++) ok = lab[i] == (int)(i % 3);   /* numbered by first appearance */
    result("bic_chooses_3", ok, "k %d", k);
    int k2 = pp_kmeans_bic(x, n, d, 8, 0, lab2);
    result("kmeans_deterministic", k2 == k && !memcmp(lab, lab2, n * sizeof *lab), "");
    for (size_t i = 0; i < n * d; i++) x[i] = 0.3 * gauss();
    k = pp_kmeans_bic(x, n, d, 8, 0, lab);
    result("bic_chooses_1_on_one_blob", k == 1, "k %d", k);
    free(x); free(lab); free(lab2);
}

/* Synthetic windows: phases A B A C B of 300 windows each, A/B/C differing in CPU and I/O. */
static pp_windows *fake_windows(size_t per, uint64_t seed)
{
    const char pattern[] = "ABACB";
    size_t n = per * 5;
    pp_windows *w = xcalloc(1, sizeof *w);
    w->pid = 7;
    w->exe = xstrdup("fake");
    w->start_ns = 1000000000;
    w->width_ns = w->interval_ns = 10000000;
    w->coarsen = 1;
    w->n = n;
    w->end_ns = w->start_ns + n * w->width_ns;
    w->f = xcalloc(n * PP_WF_N, sizeof *w->f);
    w->sig = xcalloc(n * PP_SIG_DIMS, sizeof *w->sig);
    w->sig_samples = xcalloc(n, sizeof *w->sig_samples);
    for (int k = 0; k < PP_WF_N; k++) w->present[k] = 1;
    rs = seed;
    for (size_t i = 0; i < n; i++) {
        char p = pattern[i / per];
        double *f = w->f + i * PP_WF_N;
        f[PP_WF_threads] = 1;
        f[PP_WF_cpu_util] = (p == 'A' ? 0.95 : p == 'B' ? 0.3 : 0.6) * (1 + 0.03 * gauss());
        f[PP_WF_io_frac] = f[PP_WF_io_write_frac] = f[PP_WF_io_file_frac] = p == 'B' ? 0.6 * (1 + 0.05 * gauss()) : 0;
        f[PP_WF_io_calls_ps] = p == 'B' ? 20000 * (1 + 0.05 * gauss()) : 0;
        f[PP_WF_alloc_calls_ps] = p == 'C' ? 1e6 * (1 + 0.05 * gauss()) : 0;
        f[PP_WF_faults_ps] = 200 * unif();
        w->sig_samples[i] = 1;
        for (int j = 0; j < PP_SIG_DIMS; j++) w->sig[i * PP_SIG_DIMS + j] = (p - 'A' + 1) * (j % 2 ? 0.7 : -0.4);
    }
    return w;
}

static void test_detect(void)
{
    pp_windows *w = fake_windows(300, 11);
    pp_phases *p = pp_phases_detect(w, NULL);
    int ok = p->nseg == 5;
    const int want_type[5] = { 0, 1, 0, 2, 1 };
    for (size_t s = 0; s < p->nseg && ok; s++)
        ok = p->seg[s].w0 + 2 >= s * 300 && p->seg[s].w0 <= s * 300 + 2 && p->seg[s].type == want_type[s];
    result("detect_phases_and_types", ok && p->ntypes == 3, "%zu segments, %d types", p->nseg, p->ntypes);
    result("segment_means", p->nseg && fabs(p->seg[0].mean[PP_WF_cpu_util] - 0.95) < 0.01 &&
           p->seg[0].start_ns == w->start_ns && p->seg[p->nseg - 1].end_ns == w->end_ns, "");
    pp_phases *q = pp_phases_detect(w, NULL);
    int same = q->nseg == p->nseg && q->ntypes == p->ntypes;
    for (size_t s = 0; s < p->nseg && same; s++)
        same = q->seg[s].w0 == p->seg[s].w0 && q->seg[s].type == p->seg[s].type &&
               !memcmp(q->seg[s].mean, p->seg[s].mean, sizeof q->seg[s].mean);
    result("detect_deterministic", same, "");
    pp_phases_free(p);
    pp_phases_free(q);
    pp_windows_free(w);

    /* A steady run: one segment. */
    w = fake_windows(300, 12);
    for (size_t i = 0; i < w->n; i++) {
        double *f = w->f + i * PP_WF_N;
        f[PP_WF_cpu_util] = 0.95 * (1 + 0.03 * gauss());
        f[PP_WF_io_frac] = f[PP_WF_io_write_frac] = f[PP_WF_io_file_frac] = 0;
        f[PP_WF_io_calls_ps] = f[PP_WF_alloc_calls_ps] = 0;
        for (int j = 0; j < PP_SIG_DIMS; j++) w->sig[i * PP_SIG_DIMS + j] = 0.5;
    }
    p = pp_phases_detect(w, NULL);
    result("detect_steady_one_segment", p->nseg == 1 && p->ntypes == 1, "%zu segments", p->nseg);
    pp_phases_free(p);
    pp_windows_free(w);
}

static void test_scale(void)
{
    /* 10^5 windows of 12 dimensions with a change every ~2000 windows, then 10^5 with none (the
     * quadratic case for plain PELT). */
    size_t n = 100000, d = 12, ncp = 49, truth[49];
    for (size_t i = 0; i < ncp; i++) truth[i] = (i + 1) * 2000 + (i % 7) * 37;
    double *x = series(n, d, truth, ncp, 1.0, 21);
    size_t *c = NULL;
    double t0 = now();
    size_t nc = pp_changepoints(x, n, d, (d + 1) * log((double)n), 10, &c);
    double t1 = now();
    result("scale_1e5_changes", same_cps(c, nc, truth, ncp, 3) && t1 - t0 < 2.0, "%zu found in %.2f s", nc, t1 - t0);
    free(c);
    free(x);
    x = series(n, d, NULL, 0, 1.0, 22);
    t0 = now();
    nc = pp_changepoints(x, n, d, (d + 1) * log((double)n), 10, &c);
    t1 = now();
    result("scale_1e5_steady", nc == 0 && t1 - t0 < 2.0, "%zu found in %.2f s", nc, t1 - t0);
    free(c);
    free(x);
}

int main(void)
{
    test_pelt_known();
    test_coarse_to_fine();
    test_kmeans();
    test_detect();
    test_scale();
    return failures ? 1 : 0;
}
