/* Labelled workload: mixes — phases with two costs at once, and runs of several labelled phases.
 *
 *   label_mixed --gen io_cpu|alloc_cpu|wait_cpu|sequence --setting K [--seconds S] [--dir DIR]
 *   label_mixed --list                                                        (K = 0..9)
 *
 * io_cpu:    every millisecond, compute for a share of it and write 64 B records for the rest;
 *            the I/O share runs 10% ... 90% over the settings.
 * alloc_cpu: the same with malloc/free churn instead of writes.
 * wait_cpu:  one thread computes while 1-4 others sleep on a mutex held 0.1-1 ms at a time by
 *            each other (two costs in parallel threads, not in time slices).
 * These are labelled "mixed": they are the cases where the classifier should not be sure (the
 * analyzer reports low confidence as mixed with the top two classes).  The comment line gives
 * the intended shares.
 * sequence:  cpu, io, alloc and wait phases back to back (seconds/4 each), in an order and with
 *            kernels that change with the setting: several "start end label" lines, one per
 *            phase, each with its own class, to test phase cutting and per-phase labels.
 *
 * Output (after the last phase): "# ..." then "start_ns end_ns LABEL" per phase, CLOCK_MONOTONIC;
 * phases are contiguous. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "label_main.h"

static const char *prog = "label_mixed";

static volatile uint64_t sink;
static char path[2300];

static void spin_until(uint64_t end)
{
    uint64_t acc = 0, x = 88172645463325252ull;
    while (now_ns() < end)
        for (int i = 0; i < 200; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; acc += x; }
    sink += acc;
}
static void sleep_us(unsigned us)
{
    struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}
static int open_out(void)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno)); exit(1); }
    return fd;
}
static void writes_until(int fd, uint64_t end, size_t rec)
{
    static char buf[4096];
    static size_t total;
    while (now_ns() < end) {
        for (int i = 0; i < 8; i++) if (write(fd, buf, rec) < 0) break;
        total += 8 * rec;
        if (total > (32u << 20)) { if (ftruncate(fd, 0)) break; lseek(fd, 0, SEEK_SET); total = 0; }
    }
}
static void *obj[4096];
static void churn_until(uint64_t end, int live, size_t maxsz)
{
    static uint64_t x = 0x5deece66dull;
    while (now_ns() < end)
        for (int i = 0; i < 64; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            size_t k = (size_t)(x % (uint64_t)live);
            free(obj[k]);
            obj[k] = malloc(8 + (size_t)((x >> 20) % maxsz));
        }
}
static void churn_free(void) { for (int k = 0; k < 4096; k++) { free(obj[k]); obj[k] = NULL; } }

/* share of each millisecond spent on the second cost */
static double share_of(int k) { static const double s[10] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.5 }; return s[k]; }

static void run_slices(double secs, int alloc, char *note, size_t nn)
{
    double sh = share_of(setting);
    uint64_t slice = setting == 9 ? 5000000ull : 1000000ull;   /* setting 9: 5 ms slices */
    int fd = alloc ? -1 : open_out();
    uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
    while (now_ns() < end) {
        uint64_t t = now_ns();
        spin_until(t + (uint64_t)((1 - sh) * (double)slice));
        if (alloc) churn_until(t + slice, 256 << (setting % 4), 512);
        else writes_until(fd, t + slice, 64);
    }
    if (fd >= 0) { close(fd); unlink(path); }
    else churn_free();
    snprintf(note, nn, "%s_share=%.1f cpu_share=%.1f slice_ms=%d", alloc ? "alloc" : "io", sh, 1 - sh, (int)(slice / 1000000));
}

/* wait_cpu: thread 0 computes, threads 1..n contend for a mutex they sleep under */
static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
static void *waiter(void *arg)
{
    unsigned hold = (unsigned)(uintptr_t)arg;
    while (now_ns() < deadline) { pthread_mutex_lock(&mx); sleep_us(hold); pthread_mutex_unlock(&mx); }
    return NULL;
}
static void run_wait_cpu(double secs, char *note, size_t nn)
{
    int n = 1 + setting % 4;
    unsigned hold = 100u * (unsigned)(1 + setting);
    pthread_t th[8];
    deadline = now_ns() + (uint64_t)(secs * 1e9);
    for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, waiter, (void *)(uintptr_t)hold);
    spin_until(deadline);
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    snprintf(note, nn, "compute_threads=1 waiting_threads=%d hold_us=%u", n, hold);
}

/* sequence: four phases; the setting rotates the order and picks each phase's kernel */
static void run_sequence(double secs, uint64_t *b, const char **lab)
{
    static const char *const kinds[4] = { "cpu", "io", "alloc", "wait" };
    uint64_t per = (uint64_t)(secs / 4 * 1e9);
    int fd = open_out();
    b[0] = now_ns();
    for (int p = 0; p < 4; p++) {
        int k = (p + setting) % 4;
        if (setting >= 5 && p % 2) k = (k + 2) % 4;     /* a different order for the upper half */
        lab[p] = kinds[k];
        uint64_t end = b[0] + per * (uint64_t)(p + 1);
        switch (k) {
        case 0: spin_until(end); break;
        case 1: writes_until(fd, end, (size_t)16 << (setting % 5)); break;
        case 2: churn_until(end, 128 << (setting % 5), 256); churn_free(); break;
        default: while (now_ns() + 100000 < end) sleep_us(200 + 200 * (unsigned)(setting % 5)); spin_until(end); break;
        }
        b[p + 1] = now_ns();
    }
    close(fd);
    unlink(path);
}

static const struct label_gen gens[4] = {
    { "io_cpu", "1 ms slices: compute, then 64 B writes for 10-90% of the slice", NULL, NULL, NULL, "mixed" },
    { "alloc_cpu", "1 ms slices: compute, then malloc/free churn for 10-90% of the slice", NULL, NULL, NULL, "mixed" },
    { "wait_cpu", "one computing thread beside 1-4 threads waiting on a mutex", NULL, NULL, NULL, "mixed" },
    { "sequence", "cpu, io, alloc, wait phases back to back, order and kernels by setting", NULL, NULL, NULL, "sequence" },
};

int main(int argc, char **argv)
{
    const struct label_prog P = { prog, NULL, 1, 10, gens, 4 };
    const struct label_gen *gen;
    double secs;
    int rc = label_parse(argc, argv, &P, &gen, &secs);
    if (rc >= 0) return rc;
    int g = (int)(gen - gens);
    snprintf(path, sizeof path, "%s/%s.%d.out", dir, prog, (int)getpid());
    char note[256] = "";
    if (g == 3) {
        uint64_t b[5];
        const char *lab[4];
        run_sequence(secs, b, lab);
        printf("# %s gen=sequence setting=%d label=sequence phases=4\n", prog, setting);
        for (int p = 0; p < 4; p++) printf("%llu %llu %s\n", (unsigned long long)b[p], (unsigned long long)b[p + 1], lab[p]);
        return 0;
    }
    uint64_t t0 = now_ns();
    if (g == 0) run_slices(secs, 0, note, sizeof note);
    else if (g == 1) run_slices(secs, 1, note, sizeof note);
    else run_wait_cpu(secs, note, sizeof note);
    uint64_t t1 = now_ns();
    printf("# %s gen=%s setting=%d label=mixed %s\n%llu %llu mixed\n", prog, gens[g].name, setting, note,
           (unsigned long long)t0, (unsigned long long)t1);
    return 0;
}
