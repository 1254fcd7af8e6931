/* Labelled workload: memory-bound phases (working sets beyond the last-level cache).
 *
 *   label_memory --gen stream|chase|strided --setting K [--seconds S]     (K = 0..9)
 *   label_memory --list
 *
 * stream: read-sum / copy / fill over 64-128 MiB arrays (bandwidth-bound), 1-2 threads.
 * chase: a random single-cycle pointer chase (Sattolo) through 48-128 MiB (latency-bound), 1-2
 *        threads starting at different points of the cycle.
 * strided: read-modify-write touching one word every 64 B - 8 KiB over 64-128 MiB (a cache line
 *        or a TLB entry per access).
 * Without hardware counters these look like compute (the CPU is busy either way): phaseprof then
 * says "cpu" with the note compute_or_memory, and models trained on software counters merge
 * this label into cpu (train --map memory=cpu).  With PAPI the misses per kilo-instruction tell.
 * Sizes stay at or below 128 MiB so two-core CI machines with little free memory can run it.
 *
 * Output as label_cpu: "# ..." then "start_ns end_ns memory" after the phase.  Filling the arrays
 * (and building the cycle) happens before the phase. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "label_main.h"

#define LABEL "memory"
static const char *prog = "label_memory";

static volatile uint64_t sink;
static size_t nwords;          /* 64-bit words in the array */
static uint64_t *arr, *arr2;

static void *xalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) { fprintf(stderr, "%s: cannot allocate %zu bytes\n", prog, n); exit(1); }
    return p;
}

/* ---- stream */
static const int stream_mib[10] = { 64, 96, 128, 80, 112, 64, 128, 96, 80, 112 };
static void stream_setup(void)
{
    nthreads = setting >= 5 ? 2 : 1;
    nwords = (size_t)stream_mib[setting] << 17;   /* MiB * 2^20 / 8 */
    int copy = setting % 3 == 1;
    arr = xalloc(nwords * 8 / (copy ? 2 : 1));
    if (copy) arr2 = xalloc(nwords * 8 / 2);
    size_t n = nwords / (copy ? 2 : 1);
    for (size_t i = 0; i < n; i++) arr[i] = i;
    if (copy) memset(arr2, 0, n * 8);
    snprintf(params, sizeof params, "mib=%d op=%s threads=%d", stream_mib[setting],
             setting % 3 == 0 ? "sum" : copy ? "copy" : "fill", nthreads);
}
static void *stream_worker(void *arg)
{
    int t = (int)(uintptr_t)arg, op = setting % 3;
    size_t n = op == 1 ? nwords / 2 : nwords;
    size_t lo = n / (size_t)nthreads * (size_t)t, hi = n / (size_t)nthreads * (size_t)(t + 1);
    uint64_t acc = 0, pass = 0;
    while (now_ns() < deadline) {
        if (op == 0) for (size_t i = lo; i < hi; i++) acc += arr[i];
        else if (op == 1) memcpy(arr2 + lo, arr + lo, (hi - lo) * 8);
        else for (size_t i = lo; i < hi; i++) arr[i] = pass + i;
        pass++;
    }
    sink += acc + pass;
    return NULL;
}

/* ---- chase: one random cycle through the array (Sattolo's shuffle) */
static const int chase_mib[10] = { 64, 48, 96, 64, 128, 96, 64, 128, 80, 112 };
static void chase_setup(void)
{
    nthreads = setting % 2 ? 2 : 1;
    nwords = (size_t)chase_mib[setting] << 17;
    arr = xalloc(nwords * 8);
    for (size_t i = 0; i < nwords; i++) arr[i] = i;
    uint64_t x = 0x2545F4914F6CDD1Dull + (uint64_t)setting;
    for (size_t i = nwords - 1; i > 0; i--) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t j = (size_t)(x % i);
        uint64_t t = arr[i]; arr[i] = arr[j]; arr[j] = t;
    }
    snprintf(params, sizeof params, "mib=%d threads=%d", chase_mib[setting], nthreads);
}
static void *chase_worker(void *arg)
{
    uint64_t p = (uint64_t)(uintptr_t)arg * (nwords / 2), steps = 0;
    while (now_ns() < deadline) {
        for (int i = 0; i < 100000; i++) p = arr[p];
        steps++;
    }
    sink += p + steps;
    return NULL;
}

/* ---- strided read-modify-write */
static const int stride_bytes[10] = { 64, 128, 256, 512, 1024, 2048, 4096, 8192, 192, 4160 };
static void strided_setup(void)
{
    nthreads = setting >= 7 ? 2 : 1;
    nwords = (size_t)(setting % 2 ? 128 : 64) << 17;
    arr = xalloc(nwords * 8);
    for (size_t i = 0; i < nwords; i++) arr[i] = i;
    snprintf(params, sizeof params, "mib=%d stride=%d threads=%d", setting % 2 ? 128 : 64, stride_bytes[setting], nthreads);
}
static void *strided_worker(void *arg)
{
    size_t step = (size_t)stride_bytes[setting] / 8, off = (size_t)(uintptr_t)arg;
    uint64_t acc = 0;
    while (now_ns() < deadline) {
        for (size_t s = off; s < step; s += (size_t)nthreads)   /* every word once per pass */
            for (size_t i = s; i < nwords && now_ns() < deadline; i += step * 4096) {
                size_t e = i + step * 4096 < nwords ? i + step * 4096 : nwords;
                for (size_t k = i; k < e; k += step) { arr[k] += 1; acc += arr[k]; }
            }
    }
    sink += acc;
    return NULL;
}

static const struct label_gen gens[] = {
    { "stream", "sum / copy / fill over 64-128 MiB, 1-2 threads", stream_setup, stream_worker, NULL, NULL },
    { "chase", "random pointer chase through 48-128 MiB, 1-2 threads", chase_setup, chase_worker, NULL, NULL },
    { "strided", "read-modify-write every 64 B - 8 KiB over 64-128 MiB", strided_setup, strided_worker, NULL, NULL },
};
#define NGENS (sizeof gens / sizeof gens[0])

int main(int argc, char **argv)
{
    const struct label_prog P = { prog, LABEL, 0, 8, gens, NGENS };
    int rc = label_main(argc, argv, &P);
    free(arr); free(arr2);
    return rc;
}
