/* Test driver for phase detection (not a user command): reads a trace file or directory, runs
 * windows -> phases for every process and prints the result, for tests/workloads/score.py, the
 * integration test and tuning.
 *
 *   detect [--json] [--windows] [--penalty X] [--min-seg-ms N] [--median N] [--no-sig]
 *          [--no-merge] [--max-windows N] PATH
 *   default     one JSON line per segment: {"pid","start_ns","end_ns","type"} with absolute
 *               CLOCK_MONOTONIC times (the generator prints the same clock)
 *   --json      the phaseprof-report/1 document of phases_dump_json (relative times + clock)
 *   --windows   the windows of the first process as TSV (time, features, signature): for eyes
 * Built against the analyzer's objects by the Makefile block "phase detection test programs". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "phases.h"
#include "util.h"

int main(int argc, char **argv)
{
    pp_phases_opts o = { 0 };
    pp_windows_opts wo = { 0 };
    int json = 0, windows = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--windows")) windows = 1;
        else if (!strcmp(a, "--no-sig")) o.no_signature = 1;
        else if (!strcmp(a, "--no-merge")) o.no_merge = 1;
        else if (!strcmp(a, "--penalty") && i + 1 < argc) o.penalty_scale = atof(argv[++i]);
        else if (!strcmp(a, "--min-seg-ms") && i + 1 < argc) o.min_seg_ns = (uint64_t)(atof(argv[++i]) * 1e6);
        else if (!strcmp(a, "--median") && i + 1 < argc) o.median = atoi(argv[++i]);
        else if (!strcmp(a, "--sigma-floor") && i + 1 < argc) o.sigma_floor = atof(argv[++i]);
        else if (!strcmp(a, "--max-windows") && i + 1 < argc) wo.max_windows = (size_t)atol(argv[++i]);
        else if (a[0] != '-' && !path) path = a;
        else { fprintf(stderr, "usage: detect [--json|--windows] [--penalty X] [--min-seg-ms N] [--median N] [--no-sig] [--no-merge] PATH\n"); return 2; }
    }
    if (!path) { fprintf(stderr, "detect: no PATH\n"); return 2; }
    char err[1024];
    pp_set *set = pp_set_open(path, err, sizeof err);
    if (!set) { fprintf(stderr, "detect: %s\n", err); return 1; }
    int rc = 0;
    if (json) {
        rc = phases_dump_json_opts(set, &o, stdout) ? 1 : 0;
    } else {
        for (size_t i = 0; i < set->n; i++) {
            pp_windows *w = pp_windows_build(set->traces[i], &wo, err, sizeof err);
            if (!w) { fprintf(stderr, "detect: %s\n", err); continue; }
            if (windows) {
                printf("t_ms");
                for (int k = 0; k < PP_WF_N; k++) if (w->present[k]) printf("\t%s", pp_wfeat_name[k]);
                for (int j = 0; j < PP_SIG_DIMS; j++) printf("\tsig%d", j);
                printf("\tsig_n\n");
                for (size_t r = 0; r < w->n; r++) {
                    printf("%.0f", (double)(pp_windows_t0(w, r) - w->start_ns) / 1e6);
                    for (int k = 0; k < PP_WF_N; k++) if (w->present[k]) printf("\t%.4g", pp_windows_row(w, r)[k]);
                    for (int j = 0; j < PP_SIG_DIMS; j++) printf("\t%.3f", w->sig[r * PP_SIG_DIMS + j]);
                    printf("\t%u\n", w->sig_samples[r]);
                }
                pp_windows_free(w);
                break;
            }
            pp_phases *p = pp_phases_detect(w, &o);
            for (size_t s = 0; s < p->nseg; s++)
                printf("{\"pid\":%u,\"start_ns\":%llu,\"end_ns\":%llu,\"type\":%d,\"dims\":%zu,\"raw_changes\":%zu}\n",
                       w->pid, (unsigned long long)p->seg[s].start_ns, (unsigned long long)p->seg[s].end_ns,
                       p->seg[s].type, p->dims, p->raw_changes);
            pp_phases_free(p);
            pp_windows_free(w);
        }
    }
    pp_set_close(set);
    return rc;
}
