/* The report analysis (analysis.c, speedup.c) on synthetic traces written with tracegen.h, where
 * every figure is known: the recorder's own cost from the FOOTER (and "not measured" when it is
 * 0), the Amdahl bound of a one-thread I/O phase, the multi-thread rule (a thread idling beside a
 * busy one saves nothing when its wait is removed; the busy thread's CPU counts in full), the
 * whole-program summary, --from/--to and --pid filtering, and a missing models directory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis.h"
#include "phases_dump.h"
#include "report_text.h"
#include "check.h"
#include "tracegen.h"

#define MS 1000000ull
#define T0 5000000000ull

static void header(tg *g, uint64_t pid)
{
    const char *argv[] = { "prog" };
    const char *events[] = { "cpu_ns" };
    tg_chunk(g, 0, 0, T0);
    tg_rec(g, PP_K_HEADER);
    tg_u(g, pid); tg_u(g, 1); tg_u(g, 0xabc); tg_u(g, T0); tg_u(g, 1700000000000000000ull);
    tg_cstr(g, "host"); tg_cstr(g, "/bin/prog"); tg_cstr(g, "/tmp"); tg_list(g, argv, 1);
    tg_cstr(g, "sw"); tg_list(g, events, 1); tg_u(g, 10 * MS); tg_u(g, 0); tg_list(g, NULL, 0);
    tg_s(g, -1); tg_u(g, 0); tg_u(g, 0); tg_cstr(g, "");
    tg_end(g);
    tg_flush(g);
}

/* One 10 ms SAMPLE: cpu ns, io (one cell: write on a file) ns/bytes/calls, wait (sleep) ns. */
static void sample(tg *g, uint64_t ts, uint64_t tid, uint64_t cpu, uint64_t io_ns, uint64_t wait_ns)
{
    tg_rec(g, PP_K_SAMPLE);
    tg_t(g, ts); tg_u(g, 10 * MS); tg_u(g, tid); tg_u(g, cpu);
    tg_arr(g, NULL, 0);
    if (io_ns) { uint64_t io[4] = { PP_FD_FILE * PP_OPS + PP_OP_WRITE, io_ns, 64000, 1000 }; tg_arr(g, io, 4); }
    else tg_arr(g, NULL, 0);
    tg_u(g, 0); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0);
    tg_u(g, 0); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0);
    if (wait_ns) { uint64_t w[3] = { PP_WAIT_SLEEP, wait_ns, 1 }; tg_arr(g, w, 3); }
    else tg_arr(g, NULL, 0);
    tg_u(g, 0); tg_u(g, 0); tg_u(g, 0);
    tg_end(g);
}

static void footer(tg *g, uint64_t ts, uint64_t cpu_ns, uint64_t self_ns, uint64_t hooked)
{
    tg_chunk(g, 0, 999, ts);
    tg_rec(g, PP_K_FOOTER);
    tg_t(g, ts); tg_u(g, 1); tg_u(g, 1); tg_u(g, 1); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0);
    tg_u(g, 0); tg_s(g, 0); tg_u(g, 2); tg_u(g, cpu_ns); tg_u(g, 0); tg_u(g, 0);
    tg_u(g, self_ns); tg_u(g, hooked);
    tg_end(g);
    tg_flush(g);
}

/* 2 s: [0, 1) thread 1 computes while thread 2 sleeps; [1, 2) thread 1 alone writes 80% of the
 * time and computes 20%. */
static void write_trace(const char *path, uint64_t pid, uint64_t self_ns)
{
    tg g;
    tg_init(&g);
    header(&g, pid);
    for (uint64_t tid = 1; tid <= 2; tid++) {
        tg_chunk(&g, (uint32_t)tid, 1, T0);
        for (int i = 0; i < 200; i++) {
            uint64_t ts = T0 + (uint64_t)i * 10 * MS;
            if (i < 100) sample(&g, ts, tid, tid == 1 ? 10 * MS : 0, 0, tid == 2 ? 10 * MS : 0);
            else if (tid == 1) sample(&g, ts, tid, 2 * MS, 8 * MS, 0);
        }
        tg_flush(&g);
    }
    footer(&g, T0 + 2000 * MS, 1200 * MS, self_ns, 123456);
    if (tg_save(&g, path)) { perror(path); exit(1); }
    tg_free(&g);
}

static int near(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b); }

int main(void)
{
    pp_reader_set_diag(pp_diag_quiet, NULL);
    char dir[] = "/tmp/pp_test_analysis.XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/a.pptrace", dir);
    write_trace(path, 100, 5 * MS);

    pp_set *set = pp_set_open(path, err, sizeof err);
    if (!set) { printf("FAIL open: %s\n", err); return 1; }
    pp_analysis_opts o = { 0 };
    char nomodels[300];
    snprintf(nomodels, sizeof nomodels, "%s/no-models", dir);
    o.models_dir = nomodels;
    pp_analysis *a = pp_analyze(set, &o, err, sizeof err);
    result("analyze", a != NULL, "%s", err);
    if (!a) return 1;
    /* 5 ms of recorder time over 1.5 live threads on average come off the 2 s */
    result("wall", near(a->wall_ns, 2e9, 1e-9) && near(a->wall_net_ns, 2e9 - 5e6 / 1.5, 1e-3), "%g %g", a->wall_ns, a->wall_net_ns);
    result("recorder_self_ns", a->self_ns == 5e6 && a->cpu_ns == 1.2e9 && a->procs[0].hooked_calls == 123456,
           "self %g cpu %g hooked %g", a->self_ns, a->cpu_ns, a->procs[0].hooked_calls);
    result("two_phases", a->nphase == 2 && llabs((long long)a->phases[1].start_ns - 1000000000ll) <= 20000000,
           "%zu phases, second at %llu", a->nphase, a->nphase > 1 ? (unsigned long long)a->phases[1].start_ns : 0ull);
    result("no_models_note", !a->classifier && strstr(a->model_note, "does not exist") && a->nphase && !a->phases[0].cls,
           "%s", a->model_note);
    if (a->nphase == 2) {
        const pp_aphase *p0 = &a->phases[0], *p1 = &a->phases[1];
        double W = a->wall_ns / 1e9, D0 = (double)(p0->end_ns - p0->start_ns) / 1e9, D1 = (double)(p1->end_ns - p1->start_ns) / 1e9;
        /* thread 2 sleeps a whole thread's worth, yet thread 1 computes all along: no gain */
        result("idle_thread_wait_no_gain", p0->cost_frac[PP_COST_WAIT] > 0.9 && p0->speedup[PP_COST_WAIT].upper_bound < 1.02,
               "wait %.2f threads, bound %.3f", p0->cost_frac[PP_COST_WAIT], p0->speedup[PP_COST_WAIT].upper_bound);
        result("busy_thread_cpu_counts", near(p0->speedup[PP_COST_CPU].upper_bound, W / (W - D0), 0.02),
               "cpu bound %.3f, want %.3f", p0->speedup[PP_COST_CPU].upper_bound, W / (W - D0));
        /* one thread: the I/O time is wall time, Amdahl straight from the metrics */
        double C = p1->seg->mean[PP_WF_io_frac] * D1;
        result("io_amdahl", near(C, 0.8 * D1, 0.02) && near(p1->speedup[PP_COST_IO].upper_bound, W / (W - C), 1e-9),
               "C %.3f (D %.3f), bound %.4f want %.4f", C, D1, p1->speedup[PP_COST_IO].upper_bound, W / (W - C));
        result("what_if_2x", near(p1->if_2x[PP_COST_IO], W / (W - C / 2), 1e-9), "%g", p1->if_2x[PP_COST_IO]);
        result("no_regressor_no_prediction", isnan(p1->speedup[PP_COST_IO].predicted) && isnan(a->summary[PP_COST_IO].predicted), "");
        double saved_cpu = p0->cost_wall_s[PP_COST_CPU] + p1->cost_wall_s[PP_COST_CPU];
        result("summary_sums_phases", near(a->summary[PP_COST_IO].upper_bound, p1->speedup[PP_COST_IO].upper_bound, 1e-9) &&
               near(a->summary[PP_COST_CPU].upper_bound, W / (W - saved_cpu), 1e-9) && near(saved_cpu, 1.2, 0.03),
               "io %.3f cpu %.3f (saved %.3f)", a->summary[PP_COST_IO].upper_bound, a->summary[PP_COST_CPU].upper_bound, saved_cpu);
        result("wall_at_most_thread_s", p0->cost_wall_s[PP_COST_WAIT] <= p0->cost_s[PP_COST_WAIT] && p1->cost_wall_s[PP_COST_IO] <= p1->cost_s[PP_COST_IO] + 1e-12, "");
    }
    /* the terminal summary and the JSON carry the recorder's cost and the bounds */
    char *txt = NULL; size_t tlen = 0;
    FILE *mf = open_memstream(&txt, &tlen);
    report_text(a, mf);
    fclose(mf);
    result("text_overhead_line", txt && strstr(txt, "recorder overhead: 5.0 ms (0.42% of CPU)") && strstr(txt, "(upper bound only)"),
           "%.400s", txt ? txt : "");
    free(txt);
    txt = NULL;
    mf = open_memstream(&txt, &tlen);
    phases_dump_analysis(a, mf);
    fclose(mf);
    result("json_overhead", txt && strstr(txt, "\"overhead_of_cpu\":\t0.0041666") && strstr(txt, "\"recorder_hooked_calls\":\t123456"),
           "%.300s", txt ? txt : "");
    free(txt);
    pp_analysis_free(a);

    /* --from/--to: only the phases overlapping the range; --pid: an unknown pid is an error */
    o.has_range = 1; o.from = 1.5; o.to = 1.9;
    a = pp_analyze(set, &o, err, sizeof err);
    result("time_filter", a && a->nphase == 1 && a->phases[0].start_ns >= 900000000ull, "%zu", a ? a->nphase : 0);
    pp_analysis_free(a);
    o.has_range = 0; o.pid = 7;
    a = pp_analyze(set, &o, err, sizeof err);
    result("unknown_pid", !a && strstr(err, "no process 7"), "%s", err);
    pp_set_close(set);

    /* self_ns 0 is "not measured": NAN, never 0 ms */
    snprintf(path, sizeof path, "%s/b.pptrace", dir);
    write_trace(path, 200, 0);
    set = pp_set_open(path, err, sizeof err);
    o.pid = 0;
    o.phases_only = 1;
    a = set ? pp_analyze(set, &o, err, sizeof err) : NULL;
    result("self_ns_not_measured", a && isnan(a->self_ns) && isnan(a->procs[0].self_ns) && isnan(a->procs[0].hooked_calls), "%s", err);
    pp_analysis_free(a);
    if (set) pp_set_close(set);
    snprintf(path, sizeof path, "%s/a.pptrace", dir); unlink(path);
    snprintf(path, sizeof path, "%s/b.pptrace", dir); unlink(path);
    rmdir(dir);
    return failures ? 1 : 0;
}
