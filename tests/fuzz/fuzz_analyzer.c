/* libFuzzer target for what reads a trace after the reader: `phaseprof info` and every
 * `phaseprof export` format (chrome, folded by each weight, csv: which builds the per-window
 * features of windows.c and symbolizes through symbols.c).  The reader accepts damaged and
 * hostile traces by design (it skips bad chunks and unknown records), so every value a consumer
 * sees may be out of range: zero or huge durations and intervals, timestamps out of order,
 * ids that name nothing.  The input is written to a file, because the commands take paths.
 * Built by tests/fuzz/run.sh with -fsanitize=fuzzer,address,undefined. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "reader.h"
#include "mutate_trace.h"     /* mutations inside chunks, CRCs kept valid */

int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);

static char path[256];

static void run(int argc, char **argv)
{
    fflush(stdout);
    if (argc) {
        if (!strcmp(argv[0], "info")) cmd_info(argc, argv);
        else cmd_export(argc, argv);
    }
    fflush(stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        /* stdout to /dev/null once: the commands print to it (run.sh passes -close_fd_mask=2
         * for their messages on stderr; libFuzzer still prints its reports) */
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) { dup2(null, 1); close(null); }
        snprintf(path, sizeof path, "/tmp/fuzz-analyzer-%d.pptrace", (int)getpid());
        pp_reader_set_diag(pp_diag_quiet, NULL);
        init = 1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    /* The commands die() on a path they cannot open at all: only inputs the reader opens go on. */
    char err[256];
    pp_trace *t = pp_trace_open(path, err, sizeof err);
    if (!t) return 0;
    pp_trace_close(t);
    char *info[] = { "info", path, NULL };
    run(2, info);
    char *chrome[] = { "export", "--format", "chrome", "-o", "/dev/null", path, NULL };
    run(6, chrome);
    const char *weights[] = { "cpu", "alloc", "io", "wait" };
    for (int i = 0; i < 4; i++) {
        char *folded[] = { "export", "--format", "folded", "--weight", (char *)weights[i], "-o", "/dev/null", path, NULL };
        run(8, folded);
    }
    char *csv[] = { "export", "--format", "csv", "-o", "/dev/null", path, NULL };
    run(6, csv);
    char *ranged[] = { "export", "--format", "csv", "--from", "0.001", "--to", "0.5", "-o", "/dev/null", path, NULL };
    run(10, ranged);
    return 0;
}
