/* `phaseprof report PATH [--top] [-n N] [--depth D]`.  For now the report is the --top view;
 * the phase analysis (issue 4) plugs in here. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "reader.h"
#include "report_top.h"
#include "util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: phaseprof report PATH [--top] [-n N] [--depth D]\n"
               "  PATH        a trace file or a directory of them (phaseprof-data/)\n"
               "  --top       hottest call stacks by CPU, allocated and live bytes, I/O and wait time\n"
               "  -n N        stacks per table (default 10)\n"
               "  --depth D   frames shown per stack (default 6)\n");
}

int cmd_report(int argc, char **argv)
{
    int top_n = 10, depth = 6;
    static const struct option opts[] = {
        { "top", no_argument, 0, 't' }, { "depth", required_argument, 0, 'd' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': break;
        case 'n': top_n = atoi(optarg); if (top_n < 1) die("report: -n needs a positive number"); break;
        case 'd': depth = atoi(optarg); if (depth < 1) die("report: --depth needs a positive number"); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) { usage(stderr); return 2; }
    char err[512];
    pp_set *set = pp_set_open(argv[optind], err, sizeof err);
    if (!set) { fprintf(stderr, "phaseprof: %s\n", err); return 1; }
    int rc = report_top(set, stdout, top_n, depth);
    pp_set_close(set);
    return rc;
}
