/* `phaseprof report PATH [--json FILE] [--html FILE] [--top] [--pid P] [--from S --to S]
 * [--models DIR] [-n N] [--depth D]`: one analysis (analysis.c) written as the terminal summary
 * (report_text.c), JSON (phases_dump.c) and HTML (report_html.c); the hottest stacks (--top,
 * report_top.c).  PATH is a trace file or a directory. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"
#include "phases_dump.h"
#include "reader.h"
#include "report_text.h"
#include "report_top.h"
#include "util.h"
#include "report_html.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: phaseprof report PATH [--json FILE] [--html FILE] [--top] [--pid P] [--from S --to S] [--models DIR]\n"
               "  PATH          a trace file or a directory of them (phaseprof-data/)\n"
               "  --json FILE   write the full report as JSON (schema phaseprof-report/1, docs/report.md; - for stdout)\n"
               "  --html FILE   write the report as one HTML page\n"
               "  --top         hottest call stacks by CPU, allocated and live bytes, I/O and wait time\n"
               "  --pid P       only process P\n"
               "  --from S, --to S  only phases overlapping [S, T] seconds from the run's start\n"
               "  --models DIR  classifier and speedup models (default: $PHASEPROF_MODELS, else ../models\n"
               "                next to the phaseprof binary, else the install's share/phaseprof/models)\n"
               "  -n N          stacks per --top table (default 10);  --depth D  frames per stack (6)\n");
}

static double seconds(const char *s, const char *what)
{
    char *e;
    double v = strtod(s, &e);
    if (e == s || *e || v < 0) die("report: %s needs a number of seconds (got '%s')", what, s);
    return v;
}

typedef int (*writer)(const pp_analysis *a, FILE *out);

static int write_file(const pp_analysis *a, const char *path, writer w, const char *what)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) die("report: cannot write %s", path);
    int rc = w(a, f) ? 1 : 0;
    if (f != stdout && fclose(f)) die("report: cannot write %s", path);
    if (f != stdout) fprintf(stderr, "phaseprof: %s report written to %s\n", what, path);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    int top = 0, top_n = 10, depth = 6;
    const char *json = NULL, *html = NULL;
    pp_analysis_opts o = { 0 };
    o.to = 1e300;
    static const struct option opts[] = {
        { "top", no_argument, 0, 't' }, { "depth", required_argument, 0, 'd' },
        { "json", required_argument, 0, 'j' }, { "html", required_argument, 0, 'H' },
        { "pid", required_argument, 0, 'p' }, { "models", required_argument, 0, 'm' },
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
        case 'H': html = optarg; break;
        case 'm': o.models_dir = optarg; break;
        case 'p': { char *e; o.pid = strtoull(optarg, &e, 10); if (*e || !o.pid) die("report: --pid needs a process id"); break; }
        case 'f': o.from = seconds(optarg, "--from"); o.has_range = 1; break;
        case 'T': o.to = seconds(optarg, "--to"); o.has_range = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) { usage(stderr); return 2; }
    if (o.from > o.to) die("report: --from is after --to");
    char err[512];
    pp_set *set = pp_set_open(argv[optind], err, sizeof err);
    if (!set) { fprintf(stderr, "phaseprof: %s\n", err); return 1; }
    int rc = 0;
    if (top) {                /* stacks only, no analysis; under --pid only that process's traces */
        size_t all = set->n, k = set->n;
        if (o.pid) {
            k = 0;
            for (size_t i = 0; i < set->n; i++) {
                const struct pp_r_HEADER *h = pp_trace_header(set->traces[i]);
                if (h && h->pid.u == o.pid) { pp_trace *x = set->traces[k]; set->traces[k++] = set->traces[i]; set->traces[i] = x; }
            }
            if (!k) { pp_set_close(set); die("report: no process %llu in %s", (unsigned long long)o.pid, argv[optind]); }
        }
        set->n = k;
        rc = report_top(set, stdout, top_n, depth);
        set->n = all;
        pp_set_close(set);
        return rc;
    }
    pp_analysis *a = pp_analyze(set, &o, err, sizeof err);
    if (!a) { pp_set_close(set); die("report: %s in %s", err, argv[optind]); }
    if (json) rc |= write_file(a, json, phases_dump_analysis, "JSON");
    if (html) rc |= write_file(a, html, report_html, "HTML");
    if (!json && !html) rc = report_text(a, stdout);
    pp_analysis_free(a);
    pp_set_close(set);
    return rc;
}
