/* `phaseprof report PATH [--json FILE] [--top] [--pid P] [--from S --to S] [-n N] [--depth D]`:
 * the terminal summary of phases (report_text.c), the hottest stacks (--top, report_top.c), the
 * JSON report of DESIGN.md's schema (phases_dump.c).  PATH is a trace file or a directory. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "phases.h"
#include "reader.h"
#include "report_text.h"
#include "report_top.h"
#include "util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: phaseprof report PATH [--json FILE] [--top] [--pid P] [--from S --to S]\n"
               "  PATH         a trace file or a directory of them (phaseprof-data/)\n"
               "  --json FILE  write the full report as JSON (schema phaseprof-report/1; - for stdout)\n"
               "  --top        hottest call stacks by CPU, allocated and live bytes, I/O and wait time\n"
               "  --pid P      only process P\n"
               "  --from S, --to S  only phases overlapping [S, T] seconds from the run's start\n"
               "  -n N         stacks per --top table (default 10);  --depth D  frames per stack (6)\n");
}

static double seconds(const char *s, const char *what)
{
    char *e;
    double v = strtod(s, &e);
    if (e == s || *e || v < 0) die("report: %s needs a number of seconds (got '%s')", what, s);
    return v;
}

int cmd_report(int argc, char **argv)
{
    int top = 0, top_n = 10, depth = 6;
    const char *json = NULL;
    pp_report_filter flt = { 0, 0, 0, 1e300 };
    static const struct option opts[] = {
        { "top", no_argument, 0, 't' }, { "depth", required_argument, 0, 'd' },
        { "json", required_argument, 0, 'j' }, { "pid", required_argument, 0, 'p' },
        { "from", required_argument, 0, 'f' }, { "to", required_argument, 0, 'T' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': top = 1; break;
        case 'n': top_n = atoi(optarg); if (top_n < 1) die("report: -n needs a positive number"); break;
        case 'd': depth = atoi(optarg); if (depth < 1) die("report: --depth needs a positive number"); break;
        case 'j': json = optarg; break;
        case 'p': { char *e; flt.pid = strtoull(optarg, &e, 10); if (*e || !flt.pid) die("report: --pid needs a process id"); break; }
        case 'f': flt.from = seconds(optarg, "--from"); flt.has_range = 1; break;
        case 'T': flt.to = seconds(optarg, "--to"); flt.has_range = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) { usage(stderr); return 2; }
    if (flt.from > flt.to) die("report: --from is after --to");
    char err[512];
    pp_set *set = pp_set_open(argv[optind], err, sizeof err);
    if (!set) { fprintf(stderr, "phaseprof: %s\n", err); return 1; }
    int rc = 0;
    if (flt.pid) {           /* keep only that process's traces (every image of the pid) */
        size_t k = 0;
        for (size_t i = 0; i < set->n; i++) {
            const struct pp_r_HEADER *h = pp_trace_header(set->traces[i]);
            if (h && h->pid.u == flt.pid) { pp_trace *x = set->traces[k]; set->traces[k++] = set->traces[i]; set->traces[i] = x; }
        }
        if (!k) { pp_set_close(set); die("report: no process %llu in %s", (unsigned long long)flt.pid, argv[optind]); }
        size_t all = set->n;
        set->n = k;
        if (json) {
            FILE *f = strcmp(json, "-") ? fopen(json, "w") : stdout;
            if (!f) die("report: cannot write %s", json);
            rc = phases_dump_json(set, f) ? 1 : 0;
            if (f != stdout && fclose(f)) die("report: cannot write %s", json);
        } else {
            rc = top ? report_top(set, stdout, top_n, depth) : report_text(set, &flt, stdout);
        }
        set->n = all;
    } else if (json) {
        FILE *f = strcmp(json, "-") ? fopen(json, "w") : stdout;
        if (!f) die("report: cannot write %s", json);
        rc = phases_dump_json(set, f) ? 1 : 0;
        if (f != stdout && fclose(f)) die("report: cannot write %s", json);
        if (f != stdout) fprintf(stderr, "phaseprof: report written to %s\n", json);
    } else {
        rc = top ? report_top(set, stdout, top_n, depth) : report_text(set, &flt, stdout);
    }
    pp_set_close(set);
    return rc;
}
