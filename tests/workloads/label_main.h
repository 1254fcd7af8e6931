/* The main shared by the labelled workloads tests/workloads/label_{cpu,memory,io,alloc,wait,mixed}.c:
 * argument parsing, usage, --list, and the timed run that prints the phase boundaries.  Each
 * program stays one .c file (the Makefile builds each .c file of this folder on its own) and
 * includes this header, which holds only static functions and the static state they share with
 * the generators.  After editing it, touch the label_*.c files: the Makefile's rule does not list
 * it as a dependency.
 *
 *   PROG --gen NAME --setting K [--seconds S] [--dir DIR]     (K = 0..9, 0 < S < 3600, default 1)
 *   PROG --list        one "LABEL GEN 10" line per generator
 *   PROG --help | -h   usage on stdout, exit 0; a bad or missing option: usage on stderr, exit 2
 *
 * --dir DIR (default $TMPDIR, else /tmp) is accepted by every program, for a uniform interface;
 * only those with uses_dir set show it in the usage and the comment line.
 *
 * label_main() then runs the generator: setup() (sets nthreads and params), the phase
 * [t0, t1] = worker on threads 1..nthreads-1 plus the calling thread until `deadline`, joined,
 * then cleanup() if any, then prints
 *   # PROG gen=NAME setting=K label=LABEL PARAMS[ dir=DIR]
 *   t0 t1 LABEL
 * Programs whose run is different (label_mixed) call label_parse() only. */
#ifndef PHASEPROF_LABEL_MAIN_H
#define PHASEPROF_LABEL_MAIN_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* State the generators share with the loop: label_parse sets setting and dir, setup() sets
 * nthreads and params, label_main sets deadline before starting the workers. */
static uint64_t deadline;
static int setting, nthreads;
static char params[256], dir[2048];

#define LABEL_MAX_THREADS 16

struct label_gen {
    const char *name, *desc;
    void (*setup)(void);
    void *(*worker)(void *);    /* called with (void *)thread_index, 0 .. nthreads-1 */
    void (*cleanup)(void);      /* NULL: none; runs after the phase, before the output */
    const char *label;          /* NULL: the program's label (for --list) */
};

struct label_prog {
    const char *prog;           /* program name, for usage and the comment line */
    const char *label;          /* NULL: usage names no label (each generator has its own) */
    int uses_dir;               /* usage shows [--dir DIR]; the comment line ends in dir=DIR */
    int name_width;             /* column width of generator names in the usage */
    const struct label_gen *gens;
    size_t ngens;
};

static void label_usage(FILE *f, const struct label_prog *P)
{
    fprintf(f, "usage: %s --gen NAME --setting K [--seconds S]%s   (K = 0..9", P->prog, P->uses_dir ? " [--dir DIR]" : "");
    if (P->label) fprintf(f, "; label: %s", P->label);
    fprintf(f, ")\n       %s --list\ngenerators:\n", P->prog);
    for (size_t i = 0; i < P->ngens; i++) fprintf(f, "  %-*s %s\n", P->name_width, P->gens[i].name, P->gens[i].desc);
}

/* Parses the command line into setting, dir, *gen and *secs.  Returns -1 to go on and run, or
 * the exit code to return from main (--list, --help, a bad option). */
static int label_parse(int argc, char **argv, const struct label_prog *P, const struct label_gen **gen, double *secs)
{
    const char *gname = NULL, *d = getenv("TMPDIR");
    *secs = 1.0;
    setting = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list")) {
            for (size_t g = 0; g < P->ngens; g++) printf("%s %s 10\n", P->gens[g].label ? P->gens[g].label : P->label, P->gens[g].name);
            return 0;
        }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { label_usage(stdout, P); return 0; }
        else if (!strcmp(argv[i], "--gen") && i + 1 < argc) gname = argv[++i];
        else if (!strcmp(argv[i], "--setting") && i + 1 < argc) setting = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) *secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) d = argv[++i];
        else { label_usage(stderr, P); return 2; }
    }
    snprintf(dir, sizeof dir, "%s", d && *d ? d : "/tmp");
    *gen = NULL;
    for (size_t k = 0; gname && k < P->ngens; k++) if (!strcmp(gname, P->gens[k].name)) *gen = &P->gens[k];
    if (!*gen || setting < 0 || setting > 9 || !(*secs > 0 && *secs < 3600)) { label_usage(stderr, P); return 2; }
    return -1;
}

__attribute__((unused))
static int label_main(int argc, char **argv, const struct label_prog *P)
{
    const struct label_gen *g;
    double secs;
    int rc = label_parse(argc, argv, P, &g, &secs);
    if (rc >= 0) return rc;
    g->setup();
    if (nthreads > LABEL_MAX_THREADS) nthreads = LABEL_MAX_THREADS;
    pthread_t th[LABEL_MAX_THREADS];
    uint64_t t0 = now_ns();
    deadline = t0 + (uint64_t)(secs * 1e9);
    for (int i = 1; i < nthreads; i++) pthread_create(&th[i], NULL, g->worker, (void *)(uintptr_t)i);
    g->worker((void *)(uintptr_t)0);
    for (int i = 1; i < nthreads; i++) pthread_join(th[i], NULL);
    uint64_t t1 = now_ns();
    if (g->cleanup) g->cleanup();
    printf("# %s gen=%s setting=%d label=%s %s", P->prog, g->name, setting, P->label, params);
    if (P->uses_dir) printf(" dir=%s", dir);
    printf("\n%llu %llu %s\n", (unsigned long long)t0, (unsigned long long)t1, P->label);
    return 0;
}

#endif
