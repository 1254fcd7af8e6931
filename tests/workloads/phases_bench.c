/* Timing of phase detection at 10^4, 10^5 and 10^6 windows (docs/phases.md): synthetic windows
 * with a random schedule of six phase kinds (lengths 20-200 windows, like 0.2-2 s phases at 10 ms
 * windows, with multiplicative noise and a leaf-function signature), and the same sizes with no
 * change at all (small writes: eight noisy dimensions) — the case where plain PELT is quadratic.  Times the whole of pp_phases_detect
 * (features, median, standardization, coarse-to-fine PELT, materiality, k-means/BIC) and reports
 * how many true changes were found within 5 windows.
 *
 *   phases_bench [N ...]      (default: 10000 100000 1000000)
 *
 * Built against the analyzer's objects by the Makefile block "phase detection test programs". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "phases.h"
#include "util.h"

static uint64_t rs = 12345;
static double unif(void)
{
    uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif()); }

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Six kinds: compute, pointer chasing (same counters, other signature), small writes, alloc
 * churn, sleep, lock waits. */
static void fill(double *f, float *sigv, int kind)
{
    double m = 1 + 0.1 * gauss();
    memset(f, 0, PP_WF_N * sizeof *f);
    f[PP_WF_threads] = kind == 5 ? 4 : 1;
    f[PP_WF_cpu_util] = (kind == 4 ? 0.001 : kind == 2 ? 0.3 : 0.95) * m;
    f[PP_WF_ivcsw_ps] = 100 * m;
    if (kind == 2) {
        f[PP_WF_io_frac] = f[PP_WF_io_write_frac] = f[PP_WF_io_file_frac] = 0.8 * m;
        f[PP_WF_write_bps] = 3e7 * m;
        f[PP_WF_io_calls_ps] = f[PP_WF_rw_calls_ps] = 5e5 * m;
        f[PP_WF_io_size_mean] = 64;
    }
    if (kind == 3) { f[PP_WF_alloc_calls_ps] = 2e7 * m; f[PP_WF_alloc_bps] = 5e9 * m; f[PP_WF_alloc_frac] = 0.3 * m; }
    if (kind == 4) { f[PP_WF_wait_sleep_frac] = f[PP_WF_wait_frac] = 1; f[PP_WF_offcpu_frac] = 1; }
    if (kind == 5) { f[PP_WF_wait_mutex_frac] = f[PP_WF_wait_frac] = 2 * m; f[PP_WF_vcsw_ps] = 400 * m; f[PP_WF_offcpu_frac] = 3 * m; }
    for (int j = 0; j < PP_SIG_DIMS; j++) sigv[j] = (float)(((kind * 37 + j * 11) % 7 - 3) * 0.5);
}

static void run(size_t n, int steady)
{
    pp_windows *w = xcalloc(1, sizeof *w);
    w->pid = 1;
    w->exe = xstrdup("bench");
    w->start_ns = 1000000000;
    w->width_ns = w->interval_ns = 10000000;
    w->coarsen = 1;
    w->n = n;
    w->end_ns = w->start_ns + n * w->width_ns;
    w->f = xmalloc(n * PP_WF_N * sizeof *w->f);
    w->sig = xmalloc(n * PP_SIG_DIMS * sizeof *w->sig);
    w->sig_samples = xmalloc(n * sizeof *w->sig_samples);
    for (int k = 0; k < PP_WF_N; k++) w->present[k] = 1;
    w->present[PP_WF_ipc] = w->present[PP_WF_llc_mpki] = w->present[PP_WF_br_mpki] = w->present[PP_WF_ins_ps] = 0;
    size_t *truth = NULL, nt = 0, cap = 0;
    int kind = steady ? 2 : 0;      /* steady: small writes, the kind with the most noisy dimensions */
    size_t left = steady ? n : 20 + (size_t)(unif() * 180);
    for (size_t i = 0; i < n; i++) {
        if (!left) {
            int k;
            do k = (int)(unif() * 6); while (k == kind);
            kind = k;
            left = 20 + (size_t)(unif() * 180);
            xgrow((void **)&truth, &cap, nt + 1, sizeof *truth);
            truth[nt++] = i;
        }
        left--;
        float sv[PP_SIG_DIMS];
        fill(w->f + i * PP_WF_N, sv, kind);
        for (int k = 0; k < PP_WF_N; k++) if (!w->present[k]) w->f[i * PP_WF_N + k] = NAN;
        w->sig_samples[i] = kind == 4 ? 0 : 1;
        for (int j = 0; j < PP_SIG_DIMS; j++) w->sig[i * PP_SIG_DIMS + j] = kind == 4 ? 0 : sv[j];
    }
    double t0 = now();
    pp_phases *p = pp_phases_detect(w, NULL);
    double t1 = now();
    size_t hit = 0, j = 0;
    for (size_t s = 1; s < p->nseg; s++) {
        size_t b = p->seg[s].w0;
        while (j < nt && truth[j] + 5 < b) j++;
        if (j < nt && (truth[j] > b ? truth[j] - b : b - truth[j]) <= 5) { hit++; j++; }
    }
    printf("%9zu %-8s %5zu %7zu %7zu %6zu %5d %8.3f\n", n, steady ? "steady" : "schedule", p->dims, nt,
           p->nseg - 1, hit, p->ntypes, t1 - t0);
    fflush(stdout);
    pp_phases_free(p);
    pp_windows_free(w);
    free(truth);
}

int main(int argc, char **argv)
{
    size_t sizes[16] = { 10000, 100000, 1000000 }, ns = 3;
    if (argc > 1) {
        ns = 0;
        for (int i = 1; i < argc && ns < 16; i++) sizes[ns++] = (size_t)atof(argv[i]);
    }
    printf("%9s %-8s %5s %7s %7s %6s %5s %8s\n", "windows", "series", "dims", "changes", "found", "hits", "types", "seconds");
    for (size_t i = 0; i < ns; i++) {
        run(sizes[i], 0);
        run(sizes[i], 1);
    }
    return 0;
}
