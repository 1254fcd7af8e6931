/* Labelled workload: CPU-bound phases, for training and scoring the bottleneck classifier.
 *
 *   label_cpu --gen int|float|branchy|objects --setting K [--seconds S]     (K = 0..9)
 *   label_cpu --list
 *
 * Four generators, ten settings each (thread counts 1-3 and different kernels, so the forest
 * sees compute at many shapes): int (integer hashing, a small sieve, bit twiddling), float
 * (a dependent FMA chain, a vectorizable polynomial, sqrt/div), branchy (unpredictable branches
 * over an L1-resident array, binary search, an opcode interpreter), objects (small heap objects
 * allocated, computed on and freed, as compilers and interpreters do).  Everything lives in L1/L2:
 * no memory-bound kernel here (that is label_memory).
 *
 * Output (stdout, after the phase, so printing is not part of it): a comment line naming the
 * generator and its parameters, then "start_ns end_ns cpu" (CLOCK_MONOTONIC), the format
 * tests/workloads/schedule prints and score.py reads.  The phase covers only the timed kernel
 * (threads start and join inside it); set-up before it is unlabelled. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "label_main.h"

#define LABEL "cpu"
static const char *prog = "label_cpu";

static volatile uint64_t sink;
static volatile double fsink;

static const int threads_of[10] = { 1, 2, 1, 3, 1, 2, 1, 2, 3, 1 };

/* ---- int: variant setting % 3 */
static void *int_worker(void *arg)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(uintptr_t)(arg) + 1, acc = 0;
    int v = setting % 3;
    unsigned char sieve[8192];
    while (now_ns() < deadline) {
        if (v == 0) {
            for (int i = 0; i < 20000; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; acc += x * 0xff51afd7ed558ccdull; }
        } else if (v == 1) {
            memset(sieve, 1, sizeof sieve);
            for (size_t i = 2; i * i < sizeof sieve; i++)
                if (sieve[i]) for (size_t j = i * i; j < sizeof sieve; j += i) sieve[j] = 0;
            for (size_t i = 0; i < sizeof sieve; i++) acc += sieve[i];
        } else {
            for (int i = 0; i < 20000; i++) { acc += (uint64_t)__builtin_popcountll(x) + (x >> (acc & 31)); x = x * 6364136223846793005ull + 1442695040888963407ull; }
        }
    }
    sink += acc;
    return NULL;
}

/* ---- float */
static void *float_worker(void *arg)
{
    int v = setting % 3;
    double a = 1.0 + (double)(uintptr_t)arg * 1e-3, acc = 0;
    double arr[1024];
    for (int i = 0; i < 1024; i++) arr[i] = (double)i / 1024.0;
    while (now_ns() < deadline) {
        if (v == 0) {
            for (int i = 0; i < 50000; i++) a = a * 0.9999999 + 1e-7;   /* dependent chain */
            acc += a;
        } else if (v == 1) {
            for (int r = 0; r < 20; r++)
                for (int i = 0; i < 1024; i++) { double t = arr[i]; arr[i] = ((0.3 * t + 0.2) * t + 0.1) * t + 0.05 - t * 0.4; }
            acc += arr[17];
        } else {
            for (int i = 1; i < 20000; i++) acc += sqrt((double)i + a) / ((double)i + 0.5);
        }
    }
    fsink += acc;
    return NULL;
}

/* ---- branchy: array size grows with the setting (1-32 KiB, all in L1/L2) */
static void *branchy_worker(void *arg)
{
    int v = setting % 3;
    size_t n = (size_t)1024 << (setting % 6);
    unsigned char *d = malloc(n);
    uint32_t *sorted = malloc(n * sizeof *sorted);
    uint64_t x = 88172645463325252ull ^ (uint64_t)(uintptr_t)arg, acc = 0;
    for (size_t i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; d[i] = (unsigned char)x; sorted[i] = (uint32_t)(i * 7); }
    while (now_ns() < deadline) {
        if (v == 0) {
            for (size_t i = 0; i < n; i++) { if (d[i] & 1) acc += d[i]; else if (d[i] & 2) acc ^= i; else acc -= 3; }
        } else if (v == 1) {
            for (int q = 0; q < 4000; q++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                uint32_t key = (uint32_t)(x % (n * 7)), lo = 0, hi = (uint32_t)n;
                while (lo < hi) { uint32_t mid = (lo + hi) / 2; if (sorted[mid] < key) lo = mid + 1; else hi = mid; }
                acc += lo;
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                switch (d[i] % 6) {
                case 0: acc += 1; break;
                case 1: acc *= 3; break;
                case 2: acc ^= d[i]; break;
                case 3: acc -= i; break;
                case 4: acc = (acc << 1) | (acc >> 63); break;
                default: acc += d[(i * 31) % n]; break;
                }
            }
        }
    }
    sink += acc;
    free(d); free(sorted);
    return NULL;
}

/* ---- objects: what compilers and interpreters do — many small heap objects, each worked on for
 * far longer than malloc and free take.  The allocation rate spans 20 thousand to a million a
 * second per thread (work per object from setting), with the allocator's share of the time still
 * under a tenth: a high call rate alone does not make a phase allocation-bound. */
struct node { struct node *next; uint64_t key; uint64_t pad[1]; };

static void *objects_worker(void *arg)
{
    static const int work_of[10] = { 150, 5000, 400, 2000, 250, 1000, 600, 3000, 800, 300 };
    int work = work_of[setting];
    uint64_t x = 0x2545f4914f6cdd1dull ^ (uint64_t)(uintptr_t)arg, acc = 0;
    struct node *live[64] = { 0 };
    unsigned k = 0;
    while (now_ns() < deadline) {
        for (int r = 0; r < 64; r++, k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            size_t sz = sizeof(struct node) + (size_t)(x % 200);
            struct node *nd = malloc(sz);
            if (!nd) abort();
            nd->key = x;
            nd->next = live[(k + 1) & 63];
            for (int i = 0; i < work; i++) nd->key = nd->key * 6364136223846793005ull + (uint64_t)i;
            acc += nd->key;
            free(live[k & 63]);              /* the oldest of 64 live objects */
            live[k & 63] = nd;
        }
    }
    for (int i = 0; i < 64; i++) free(live[i]);
    sink += acc;
    return NULL;
}

static void cpu_setup(void)
{
    nthreads = threads_of[setting];
    snprintf(params, sizeof params, "threads=%d variant=%d", nthreads, setting % 3);
}

static const struct label_gen gens[] = {
    { "int", "integer hashing / sieve / bit twiddling, 1-3 threads", cpu_setup, int_worker, NULL, NULL },
    { "float", "dependent FMA chain / vectorizable polynomial / sqrt+div, 1-3 threads", cpu_setup, float_worker, NULL, NULL },
    { "branchy", "unpredictable branches / binary search / opcode switch over 1-32 KiB, 1-3 threads", cpu_setup, branchy_worker, NULL, NULL },
    { "objects", "small heap objects each computed on for 0.1-3 us (20 K-1 M allocations/s), 1-3 threads", cpu_setup, objects_worker, NULL, NULL },
};
#define NGENS (sizeof gens / sizeof gens[0])

int main(int argc, char **argv)
{
    const struct label_prog P = { prog, LABEL, 0, 8, gens, NGENS };
    return label_main(argc, argv, &P);
}
