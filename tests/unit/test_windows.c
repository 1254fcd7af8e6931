/* Unit tests for analyzer/windows.c: window features from synthetic traces written in memory
 * with tracegen.h — proportional spreading of SAMPLE intervals over windows, threads summed per
 * process, I/O cells by op and fd class, allocator time scaling, rusage rates, RSS carried
 * forward, hardware features absent without hardware events and computed with them, coarsening
 * of long runs, the code-location signature, segment means and per-thread figures over a range.
 * Prints PASS/FAIL lines for tests/run.sh. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "windows.h"
#include "tracegen.h"

#include "check.h"
static int near(double a, double b, double tol) { return fabs(a - b) <= tol * (fabs(b) > 1 ? fabs(b) : 1); }

#define MS 1000000ull
#define T0 1000000000000ull      /* the process starts here (CLOCK_MONOTONIC) */

static void header(tg *g, const char *const *events, size_t nev)
{
    const char *argv[] = { "prog" };
    tg_rec(g, PP_K_HEADER);
    tg_u(g, 42); tg_u(g, 1); tg_u(g, 0xabc); tg_u(g, T0); tg_u(g, 1700000000000000000ull);
    tg_cstr(g, "host"); tg_cstr(g, "/bin/prog"); tg_cstr(g, "/tmp"); tg_list(g, argv, 1);
    tg_cstr(g, "sw"); tg_list(g, events, nev); tg_u(g, 10 * MS); tg_u(g, 0); tg_list(g, NULL, 0);
    tg_s(g, -1); tg_u(g, 0); tg_u(g, 0); tg_cstr(g, "");
    tg_end(g);
}

typedef struct sample {
    uint64_t ts, dur, tid, cpu;
    uint64_t counters[8]; size_t nc;
    uint64_t io[16]; size_t nio;            /* groups of 4 */
    uint64_t alloc_calls, free_calls, alloc_bytes, alloc_timed, alloc_timed_ns;
    uint64_t wait[9]; size_t nwait;         /* groups of 3 */
    uint64_t rss;
} sample;

static void put_sample(tg *g, const sample *s)
{
    tg_rec(g, PP_K_SAMPLE);
    tg_t(g, s->ts); tg_u(g, s->dur); tg_u(g, s->tid); tg_u(g, s->cpu);
    tg_arr(g, s->counters, s->nc); tg_arr(g, s->io, s->nio);
    tg_u(g, s->alloc_calls); tg_u(g, s->free_calls); tg_u(g, s->alloc_bytes); tg_u(g, 0);
    tg_u(g, s->alloc_timed); tg_u(g, s->alloc_timed_ns);
    tg_u(g, 0); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0);
    tg_arr(g, s->wait, s->nwait); tg_u(g, s->rss); tg_u(g, 0); tg_u(g, 0);
    tg_end(g);
}

static void footer(tg *g, uint64_t ts)
{
    tg_chunk(g, 0, 99, ts);
    tg_footer(g, ts, 0);
    tg_flush(g);
}

static pp_trace *open_mem(tg *g)
{
    char err[256];
    pp_trace *t = pp_trace_open_mem(g->buf, g->len, "mem", err, sizeof err);
    if (!t) { printf("FAIL open: %s\n", err); exit(1); }
    return t;
}

static const char *const sw_events[] = { "rusage:minflt", "rusage:majflt", "rusage:nvcsw",
                                         "rusage:nivcsw", "rusage:inblock", "rusage:oublock" };

/* Two threads, 40 ms: thread 1 computes 10 ms per 10 ms interval; thread 2 has one 25 ms SAMPLE
 * from 5 ms to 30 ms with writes on a file and reads on a pipe, allocations and a mutex wait. */
static void test_basic(void)
{
    tg g;
    tg_init(&g);
    tg_chunk(&g, 0, 0, T0);
    header(&g, sw_events, 6);
    tg_flush(&g);
    tg_chunk(&g, 1, 1, T0);
    for (int i = 0; i < 4; i++) {
        sample s = { .ts = T0 + (uint64_t)i * 10 * MS, .dur = 10 * MS, .tid = 1, .cpu = 10 * MS,
                     .counters = { 100, 1, 2, 3, 4, 5 }, .nc = 6, .rss = i == 0 ? 1000000 : 0 };
        put_sample(&g, &s);
    }
    tg_flush(&g);
    tg_chunk(&g, 2, 2, T0);
    sample s2 = { .ts = T0 + 5 * MS, .dur = 25 * MS, .tid = 2, .cpu = 5 * MS,
                  .counters = { 50, 0, 10, 0, 0, 0 }, .nc = 6,
                  .io = { PP_FD_FILE * PP_OPS + PP_OP_WRITE, 10 * MS, 25000, 250,
                          PP_FD_PIPE * PP_OPS + PP_OP_READ, 5 * MS, 5000, 5 }, .nio = 8,
                  .alloc_calls = 640, .free_calls = 640, .alloc_bytes = 64000, .alloc_timed = 20,
                  .alloc_timed_ns = 20000,
                  .wait = { PP_WAIT_MUTEX, 2500000, 3 }, .nwait = 3, .rss = 3000000 };
    put_sample(&g, &s2);
    tg_flush(&g);
    footer(&g, T0 + 40 * MS);

    pp_trace *t = open_mem(&g);
    char err[256];
    pp_windows *w = pp_windows_build(t, NULL, err, sizeof err);
    result("windows_build", w != NULL, "%s", err);
    if (!w) { pp_trace_close(t); tg_free(&g); return; }
    result("windows_count", w->n == 4 && w->width_ns == 10 * MS && w->coarsen == 1,
           "n %zu width %llu", w->n, (unsigned long long)w->width_ns);
    /* window 1 = [10, 20) ms: thread 1 whole (10 ms CPU), thread 2 has 10/25 of its sample */
    const double *f1 = pp_windows_row(w, 1);
    double k = 10.0 / 25;
    result("cpu_util_spread", near(f1[PP_WF_cpu_util], 1.0 + k * 0.5, 1e-9), "%g", f1[PP_WF_cpu_util]);
    result("threads_live", near(f1[PP_WF_threads], 2.0, 1e-9), "%g", f1[PP_WF_threads]);
    result("io_by_op_and_class",
           near(f1[PP_WF_io_write_frac], k * 1.0, 1e-9) && near(f1[PP_WF_io_read_frac], k * 0.5, 1e-9) &&
           near(f1[PP_WF_io_file_frac], k * 1.0, 1e-9) && near(f1[PP_WF_io_pipe_frac], k * 0.5, 1e-9) &&
           near(f1[PP_WF_io_frac], k * 1.5, 1e-9) && f1[PP_WF_io_sync_frac] == 0,
           "write %g read %g", f1[PP_WF_io_write_frac], f1[PP_WF_io_read_frac]);
    result("io_rates", near(f1[PP_WF_write_bps], k * 25000 * 100, 1e-9) &&
           near(f1[PP_WF_read_bps], k * 5000 * 100, 1e-9) && near(f1[PP_WF_io_calls_ps], k * 255 * 100, 1e-9) &&
           near(f1[PP_WF_io_size_mean], 30000.0 / 255, 1e-9),
           "wbps %g size %g", f1[PP_WF_write_bps], f1[PP_WF_io_size_mean]);
    /* allocator: 20 timed calls took 20 us; 1280 calls in all -> 1.28 ms over 25 ms */
    result("alloc_frac_scaled", near(f1[PP_WF_alloc_frac], k * 1.28e-3 / 1e-2, 1e-9) &&
           near(f1[PP_WF_alloc_calls_ps], k * 640 * 100, 1e-9), "%g", f1[PP_WF_alloc_frac]);
    result("rusage_rates", near(f1[PP_WF_faults_ps], (101 + k * 50) * 100, 1e-9) &&
           near(f1[PP_WF_majfaults_ps], 100, 1e-9) && near(f1[PP_WF_vcsw_ps], (2 + k * 10) * 100, 1e-9) &&
           near(f1[PP_WF_ivcsw_ps], 300, 1e-9) && near(f1[PP_WF_blkio_ps], 900, 1e-9),
           "faults %g vcsw %g", f1[PP_WF_faults_ps], f1[PP_WF_vcsw_ps]);
    /* thread 2 is live 10 ms in window 1: 2 ms CPU, 6 ms I/O, so 2 ms off CPU outside I/O */
    result("offcpu_and_wait", near(f1[PP_WF_offcpu_frac], k * 5.0 / 10, 1e-9) &&
           near(f1[PP_WF_wait_mutex_frac], k * 0.25, 1e-9) && near(f1[PP_WF_wait_frac], k * 0.25, 1e-9),
           "offcpu %g wait %g", f1[PP_WF_offcpu_frac], f1[PP_WF_wait_mutex_frac]);
    result("window0_partial_overlap", near(pp_windows_row(w, 0)[PP_WF_threads], 1.5, 1e-9),
           "%g", pp_windows_row(w, 0)[PP_WF_threads]);
    result("rss_carried", pp_windows_row(w, 0)[PP_WF_rss_bytes] == 3000000 &&
           pp_windows_row(w, 3)[PP_WF_rss_bytes] == 3000000, "%g", pp_windows_row(w, 3)[PP_WF_rss_bytes]);
    result("hw_absent_without_events", !w->has_hw && !w->present[PP_WF_ipc] && isnan(f1[PP_WF_ipc]) &&
           isnan(f1[PP_WF_llc_mpki]) && w->present[PP_WF_faults_ps], "present %d", w->present[PP_WF_ipc]);
    /* total CPU is conserved by spreading */
    double cpu = 0;
    for (size_t i = 0; i < w->n; i++) cpu += pp_windows_row(w, i)[PP_WF_cpu_util] * 0.01;
    result("cpu_conserved", near(cpu, 0.045, 1e-9), "%g s", cpu);
    double m[PP_WF_N];
    pp_windows_mean(w, 0, w->n, m);
    result("mean_over_range", near(m[PP_WF_cpu_util], 0.045 / 0.04, 1e-9) &&
           near(m[PP_WF_io_size_mean], 30000.0 / 255, 1e-9) && isnan(m[PP_WF_ipc]), "%g", m[PP_WF_cpu_util]);
    result("threads_kept", w->nthreads == 2 && w->threads[0].tid == 1 && near(w->threads[0].cpu_ns, 40e6, 1e-9) &&
           near(w->threads[1].io_ns[PP_OP_WRITE], 10e6, 1e-9), "n %zu", w->nthreads);
    size_t nt = 0;
    pp_thread_stats *ts = pp_windows_threads_in(t, T0 + 10 * MS, T0 + 20 * MS, &nt);
    result("threads_in_range", nt == 2 && near(ts[0].cpu_ns, 10e6, 1e-9) && near(ts[1].cpu_ns, 2e6, 1e-9),
           "n %zu cpu %g", nt, nt > 1 ? ts[1].cpu_ns : 0);
    free(ts);
    pp_windows_free(w);
    pp_trace_close(t);
    tg_free(&g);
}

/* Hardware events in the header: IPC and misses per kilo-instruction computed. */
static void test_hw(void)
{
    static const char *const ev[] = { "PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_L3_TCM", "PAPI_BR_MSP" };
    tg g;
    tg_init(&g);
    tg_chunk(&g, 0, 0, T0);
    header(&g, ev, 4);
    tg_flush(&g);
    tg_chunk(&g, 1, 1, T0);
    sample s = { .ts = T0, .dur = 10 * MS, .tid = 1, .cpu = 10 * MS,
                 .counters = { 30000000, 15000000, 30000, 7500 }, .nc = 4 };
    put_sample(&g, &s);
    tg_flush(&g);
    footer(&g, T0 + 10 * MS);
    pp_trace *t = open_mem(&g);
    char err[256];
    pp_windows *w = pp_windows_build(t, NULL, err, sizeof err);
    const double *f = w ? pp_windows_row(w, 0) : NULL;
    result("hw_features", w && w->has_hw && near(f[PP_WF_ipc], 0.5, 1e-12) && near(f[PP_WF_llc_mpki], 2.0, 1e-12) &&
           near(f[PP_WF_br_mpki], 0.5, 1e-12) && near(f[PP_WF_ins_ps], 1.5e9, 1e-12),
           "ipc %g", f ? f[PP_WF_ipc] : -1);
    result("rusage_absent_with_papi_only", w && !w->present[PP_WF_faults_ps] && isnan(f[PP_WF_vcsw_ps]), "");
    pp_windows_free(w);
    pp_trace_close(t);
    tg_free(&g);
}

/* A long run is coarsened to at most max_windows; the signature separates two leaf PCs. */
static void test_coarsen_and_signature(void)
{
    tg g;
    tg_init(&g);
    tg_chunk(&g, 0, 0, T0);
    header(&g, sw_events, 6);
    tg_flush(&g);
    tg_chunk(&g, 1, 1, T0);
    uint64_t f1[] = { 0x400000 }, f2[] = { 0x900000 };
    tg_rec(&g, PP_K_STACK); tg_u(&g, 1); tg_arr(&g, f1, 1); tg_end(&g);
    tg_rec(&g, PP_K_STACK); tg_u(&g, 2); tg_arr(&g, f2, 1); tg_end(&g);
    for (int i = 0; i < 1000; i++) {
        sample s = { .ts = T0 + (uint64_t)i * 10 * MS, .dur = 10 * MS, .tid = 1, .cpu = 10 * MS, .nc = 0 };
        put_sample(&g, &s);
        tg_rec(&g, PP_K_CPU_SAMPLE); tg_t(&g, T0 + (uint64_t)i * 10 * MS + 5 * MS); tg_u(&g, 1);
        tg_u(&g, i < 500 ? 1 : 2); tg_end(&g);
    }
    tg_flush(&g);
    footer(&g, T0 + 10000 * MS);
    pp_trace *t = open_mem(&g);
    char err[256];
    pp_windows_opts o = { .max_windows = 300 };
    pp_windows *w = pp_windows_build(t, &o, err, sizeof err);
    result("coarsened", w && w->n <= 300 && w->coarsen == 4 && w->width_ns == 40 * MS,
           "n %zu coarsen %u", w ? w->n : 0, w ? w->coarsen : 0);
    if (w) {
        double d_same = 0, d_diff = 0;
        for (int j = 0; j < PP_SIG_DIMS; j++) {
            d_same += fabs(w->sig[10 * PP_SIG_DIMS + j] - w->sig[100 * PP_SIG_DIMS + j]);
            d_diff += fabs(w->sig[10 * PP_SIG_DIMS + j] - w->sig[200 * PP_SIG_DIMS + j]);
        }
        result("signature_separates_leaves", d_same < 1e-6 && d_diff > 0.5 && w->sig_samples[10] == 4,
               "same %g diff %g samples %u", d_same, d_diff, w->sig_samples[10]);
        result("cpu_after_coarsening", near(pp_windows_row(w, 10)[PP_WF_cpu_util], 1.0, 1e-9), "%g",
               pp_windows_row(w, 10)[PP_WF_cpu_util]);
    }
    pp_windows_free(w);
    pp_trace_close(t);
    tg_free(&g);
}

static void test_no_samples(void)
{
    tg g;
    tg_init(&g);
    tg_chunk(&g, 0, 0, T0);
    header(&g, sw_events, 6);
    tg_flush(&g);
    footer(&g, T0 + 50 * MS);
    pp_trace *t = open_mem(&g);
    char err[256] = "";
    pp_windows *w = pp_windows_build(t, NULL, err, sizeof err);
    result("no_samples_is_an_error", !w && strstr(err, "no SAMPLE"), "%s", err);
    pp_windows_free(w);
    pp_trace_close(t);
    tg_free(&g);
}

int main(void)
{
    pp_reader_set_diag(pp_diag_quiet, NULL);
    test_basic();
    test_hw();
    test_coarsen_and_signature();
    test_no_samples();
    int names = 1;
    for (int i = 0; i < PP_WF_N; i++) names &= pp_wfeat_by_name(pp_wfeat_name[i]) == i && pp_wfeat_desc[i][0];
    result("feature_names", names && pp_wfeat_by_name("nope") == -1, "");
    return failures ? 1 : 0;
}
