/* The main shared by the paired fix workloads tests/workloads/pair_{io,alloc,wait,cpu}.c (issue 5,
 * item 5: training data for the speedup regressor).  Each kind of fix has a slow variant and its
 * fixed variant, which do the same work and give the same result; only the fixable part differs.
 *
 *   PROG --kind NAME --variant slow|fixed --setting K [--dir DIR] [--scale X]
 *   PROG --list        one "KIND COST NSETTINGS [FUNCTIONS]" line per kind (COST: cpu, io, alloc
 *                      or wait: the cost the fix makes faster; FUNCTIONS, for the cpu kinds: the
 *                      comma-separated functions the fix changes, whose CPU time is its cost)
 *   PROG --help | -h   usage on stdout, exit 0; a bad or missing option: usage on stderr, exit 2
 *
 * A run does a fixed amount of work (not a fixed time: the fixed variant must finish sooner),
 * interleaving the fixable operation with an unfixable part — compute (pair_compute) and a bit of
 * other I/O (pair_other_io) — in proportions the setting chooses, so the whole-program speedups
 * spread from barely anything to several times.  --scale multiplies the amount of work (default
 * 1).  Files go to DIR (default $TMPDIR, else /tmp), named PROG.PID.*, removed before exit.
 *
 * Output: "# PROG kind=K variant=V setting=S cost=C PARAMS" then "t0 t1 result" (the work's
 * CLOCK_MONOTONIC span and a checksum that both variants print alike). */
#ifndef PHASEPROF_PAIR_MAIN_H
#define PHASEPROF_PAIR_MAIN_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t pair_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* State the kinds share with the main: set by pair_main before run(). */
static int setting, fixed;
static double scale = 1.0;
static char params[256], dir[2048];
static const char *prog_name;

struct pair_kind {
    const char *name, *cost, *desc;
    int nsettings;
    uint64_t (*run)(void);      /* does the work; returns a checksum equal for both variants */
    const char *fix_funcs;      /* cpu kinds: the functions the fix changes (noinline, comma-separated) */
};

static void pair_fatal(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog_name, what, strerror(errno));
    exit(1);
}

__attribute__((unused))
static void pair_path(char *out, size_t n, const char *what)
{
    snprintf(out, n, "%s/%s.%d.%s", dir, prog_name, (int)getpid(), what);
}

/* Work amounts scaled by --scale, at least 1. */
static long scaled(long n)
{
    double v = (double)n * scale;
    return v < 1 ? 1 : (long)v;
}

/* The unfixable compute: a dependent multiply-xorshift chain (about 1.5 ns an iteration), which
 * no compiler can shorten.  A function of its own, as in a real program: its CPU samples are
 * not the fixable code's. */
__attribute__((noinline, unused)) static uint64_t pair_compute(long iters, uint64_t x)
{
    for (long i = 0; i < iters; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 29;
    }
    return x;
}

__attribute__((unused))
static void pair_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) pair_fatal("write");
        c += w; n -= (size_t)w;
    }
}

/* The unfixable other I/O: writes and reads back `kib` KiB in 16 KiB blocks. */
__attribute__((unused))
static uint64_t pair_other_io(int kib)
{
    char path[2300], buf[16384];
    pair_path(path, sizeof path, "other");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) pair_fatal(path);
    memset(buf, 'o', sizeof buf);
    for (int i = 0; i < kib / 16; i++) pair_write_all(fd, buf, sizeof buf);
    uint64_t sum = 0;
    if (lseek(fd, 0, SEEK_SET) < 0) pair_fatal("lseek");
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) sum += (uint64_t)r;
    close(fd);
    unlink(path);
    return sum;
}

static void pair_usage(FILE *f, const struct pair_kind *k, size_t nk)
{
    fprintf(f, "usage: %s --kind NAME --variant slow|fixed --setting K [--dir DIR] [--scale X]\n"
               "       %s --list\nkinds (cost the fix speeds up, settings):\n", prog_name, prog_name);
    for (size_t i = 0; i < nk; i++) fprintf(f, "  %-12s %-5s 0..%d  %s\n", k[i].name, k[i].cost, k[i].nsettings - 1, k[i].desc);
}

static int pair_main(int argc, char **argv, const char *prog, const struct pair_kind *kinds, size_t nk)
{
    const char *kname = NULL, *var = NULL, *d = getenv("TMPDIR");
    prog_name = prog;
    setting = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list")) {
            for (size_t k = 0; k < nk; k++)
                printf("%s %s %d%s%s\n", kinds[k].name, kinds[k].cost, kinds[k].nsettings,
                       kinds[k].fix_funcs ? " " : "", kinds[k].fix_funcs ? kinds[k].fix_funcs : "");
            return 0;
        }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { pair_usage(stdout, kinds, nk); return 0; }
        else if (!strcmp(argv[i], "--kind") && i + 1 < argc) kname = argv[++i];
        else if (!strcmp(argv[i], "--variant") && i + 1 < argc) var = argv[++i];
        else if (!strcmp(argv[i], "--setting") && i + 1 < argc) setting = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) d = argv[++i];
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc) scale = atof(argv[++i]);
        else { pair_usage(stderr, kinds, nk); return 2; }
    }
    snprintf(dir, sizeof dir, "%s", d && *d ? d : "/tmp");
    const struct pair_kind *kind = NULL;
    for (size_t k = 0; kname && k < nk; k++) if (!strcmp(kname, kinds[k].name)) kind = &kinds[k];
    fixed = var && !strcmp(var, "fixed");
    if (!kind || !var || (!fixed && strcmp(var, "slow")) || setting < 0 || setting >= kind->nsettings
        || !(scale > 0 && scale <= 1000)) {
        pair_usage(stderr, kinds, nk);
        return 2;
    }
    uint64_t t0 = pair_now_ns();
    uint64_t sum = kind->run();
    uint64_t t1 = pair_now_ns();
    printf("# %s kind=%s variant=%s setting=%d cost=%s %s\n", prog, kind->name, var, setting, kind->cost, params);
    printf("%llu %llu %llu\n", (unsigned long long)t0, (unsigned long long)t1, (unsigned long long)sum);
    return 0;
}

#endif
