/* `phaseprof <command> [args]`: finds the subcommand in one table and hands it argc/argv with
 * argv[0] = the command name.  Each command lives in its own analyzer/cmd_<name>.c and defines
 * `int cmd_<name>(int argc, char **argv)`, returning the exit status.
 *
 * Adding a command is one line in COMMANDS below.  The table's functions are weak references, so a
 * command whose file does not exist yet still links and answers "not implemented yet" (exit 2). */
#include <stdio.h>
#include <string.h>
#include "phaseprof/trace.h"

#ifndef PHASEPROF_VERSION
#define PHASEPROF_VERSION "0.1.0"
#endif
#define EXIT_USAGE 2

/* name, one-line summary */
#define COMMANDS(X) \
    X(record, "run a command with the profiler preloaded; traces go to a directory") \
    X(report, "find the phases of a run and what limits each (text, --json, --html)") \
    X(info,   "describe traces: processes, threads, totals, completeness") \
    X(dump,   "print every record of a trace, one per line") \
    X(export, "convert traces to Chrome/Perfetto JSON, folded stacks or CSV") \
    X(compress, "compress finished traces in place (record does it by itself)") \
    X(train,  "train the classifier or speedup model from labelled data")

#define DECLARE(name, help) int cmd_##name(int argc, char **argv) __attribute__((weak));
COMMANDS(DECLARE)
#undef DECLARE

static const struct command {
    const char *name, *help;
    int (*fn)(int, char **);
} commands[] = {
#define ENTRY(name, help) { #name, help, cmd_##name },
    COMMANDS(ENTRY)
#undef ENTRY
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: phaseprof <command> [options] [args]\n\n"
               "Profiles any dynamically linked program with LD_PRELOAD and explains its phases.\n\n"
               "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-8s %s%s\n", commands[i].name, commands[i].help,
                commands[i].fn ? "" : " (not implemented yet)");
    fprintf(f, "\n`phaseprof <command> --help` tells more.  Options:\n"
               "  -h, --help      this text\n"
               "  -V, --version   version and trace format\n\n"
               "Quick start:  phaseprof record -- CMD ARGS...;  phaseprof report phaseprof-data\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) { usage(stderr); return EXIT_USAGE; }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) { usage(stdout); return 0; }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("phaseprof %s (trace format v%u)\n", PHASEPROF_VERSION, PP_VERSION);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(cmd, commands[i].name)) continue;
        if (!commands[i].fn) {
            fprintf(stderr, "phaseprof: %s: not implemented yet\n", cmd);
            return EXIT_USAGE;
        }
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "phaseprof: unknown command '%s' (try phaseprof --help)\n", cmd);
    return EXIT_USAGE;
}
