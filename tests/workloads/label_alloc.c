/* Labelled workload: allocation-bound phases (time in malloc/free/realloc).
 *
 *   label_alloc --gen churn|realloc|threads|large --setting K [--seconds S]   (K = 0..9)
 *   label_alloc --list
 *
 * churn:   a live set of 64 - 64 Ki objects of 8 B - 4 KiB, one random object freed and replaced
 *          per step (small-object churn, as an allocation-heavy interpreter or parser does).
 * realloc: 1-64 buffers grown by realloc in 8-256 B steps up to 4 KiB - 1 MiB, then freed.
 * threads: 2-8 threads, each churning its own live set; half the settings hand objects to a
 *          neighbour thread through a small lock-free ring, so frees are cross-thread.
 * large:   malloc/calloc/free of 128 KiB - 4 MiB blocks (beyond glibc's mmap threshold: each
 *          one is an mmap and a munmap), touching one byte per page of a few of them.
 * The program touches little of what it allocates, so the time is the allocator's.
 *
 * Output as label_cpu: "# ..." then "start_ns end_ns alloc" after the phase. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "label_main.h"

#define LABEL "alloc"
static const char *prog = "label_alloc";

static volatile uint64_t sink;

static uint64_t xs(uint64_t *x) { *x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17; return *x; }

/* ---- churn */
static const int churn_live[10] = { 64, 256, 1024, 4096, 16384, 65536, 512, 2048, 8192, 32768 };
static const int churn_max[10] = { 64, 256, 4096, 128, 1024, 64, 2048, 32, 512, 256 };
static void churn_setup(void)
{
    nthreads = 1;
    snprintf(params, sizeof params, "live=%d size=8-%d", churn_live[setting], churn_max[setting]);
}
static void churn_loop(int live, int maxsz, uint64_t seed)
{
    void **obj = calloc((size_t)live, sizeof *obj);
    uint64_t x = seed | 1;
    while (now_ns() < deadline) {
        for (int i = 0; i < 4096; i++) {
            size_t k = (size_t)(xs(&x) % (uint64_t)live);
            free(obj[k]);
            size_t sz = 8 + (size_t)(xs(&x) % (uint64_t)(maxsz - 7));
            obj[k] = malloc(sz);
            if (obj[k]) *(char *)obj[k] = (char)i;
        }
    }
    for (int k = 0; k < live; k++) free(obj[k]);
    free(obj);
}
static void *churn_worker(void *arg)
{
    churn_loop(churn_live[setting], churn_max[setting], 0x1234567ull + (uintptr_t)arg);
    return NULL;
}

/* ---- realloc growth */
static const int re_bufs[10] = { 1, 4, 16, 64, 1, 8, 32, 2, 16, 4 };
static const int re_step[10] = { 8, 16, 64, 256, 32, 8, 128, 16, 8, 64 };
static const int re_limit_kib[10] = { 4, 64, 16, 256, 1024, 32, 128, 512, 8, 64 };
static void realloc_setup(void)
{
    nthreads = 1;
    snprintf(params, sizeof params, "buffers=%d step=%d limit_kib=%d", re_bufs[setting], re_step[setting], re_limit_kib[setting]);
}
static void *realloc_worker(void *arg)
{
    int nb = re_bufs[setting];
    size_t step = (size_t)re_step[setting], limit = (size_t)re_limit_kib[setting] << 10;
    char **b = calloc((size_t)nb, sizeof *b);
    size_t *len = calloc((size_t)nb, sizeof *len);
    uint64_t x = 0xabcdefull + (uintptr_t)arg;
    while (now_ns() < deadline) {
        for (int i = 0; i < 1024; i++) {
            int k = (int)(xs(&x) % (uint64_t)nb);
            if (len[k] + step > limit) { free(b[k]); b[k] = NULL; len[k] = 0; continue; }
            char *n = realloc(b[k], len[k] + step);
            if (!n) continue;
            b[k] = n;
            n[len[k]] = (char)i;   /* one byte per step: the program's own work stays small */
            len[k] += step;
        }
    }
    for (int k = 0; k < nb; k++) free(b[k]);
    free(b); free(len);
    return NULL;
}

/* ---- many threads; odd settings pass objects to the next thread to free */
static const int th_n[10] = { 2, 3, 4, 6, 8, 2, 3, 4, 6, 8 };
static const int th_max[10] = { 64, 256, 128, 32, 512, 64, 256, 128, 32, 512 };
#define RING 1024
typedef struct ring { _Atomic size_t head, tail; void *slot[RING]; char pad[64]; } ring;
static ring *rings;
static void threads_setup(void)
{
    nthreads = th_n[setting];
    rings = calloc((size_t)nthreads, sizeof *rings);
    snprintf(params, sizeof params, "threads=%d size=8-%d cross_thread_free=%d", nthreads, th_max[setting], setting % 2);
}
static void *threads_worker(void *arg)
{
    int t = (int)(uintptr_t)arg;
    if (!(setting % 2)) { churn_loop(512, th_max[setting], 0x777ull + (uint64_t)t); return NULL; }
    /* cross-thread: allocate into our ring (single producer), free what the previous thread put
     * into its ring (single consumer) */
    ring *mine = &rings[t], *theirs = &rings[(t + nthreads - 1) % nthreads];
    uint64_t x = 0x999ull + (uint64_t)t;
    while (now_ns() < deadline) {
        for (int i = 0; i < 1024; i++) {
            size_t h = atomic_load_explicit(&mine->head, memory_order_relaxed);
            if (h - atomic_load_explicit(&mine->tail, memory_order_acquire) < RING) {
                void *p = malloc(8 + (size_t)(xs(&x) % (uint64_t)(th_max[setting] - 7)));
                mine->slot[h % RING] = p;
                atomic_store_explicit(&mine->head, h + 1, memory_order_release);
            }
            size_t tl = atomic_load_explicit(&theirs->tail, memory_order_relaxed);
            if (tl != atomic_load_explicit(&theirs->head, memory_order_acquire)) {
                free(theirs->slot[tl % RING]);
                atomic_store_explicit(&theirs->tail, tl + 1, memory_order_release);
            }
        }
    }
    return NULL;
}
static void threads_cleanup(void)
{
    for (int t = 0; rings && t < nthreads; t++)
        for (size_t i = rings[t].tail; i != rings[t].head; i++) free(rings[t].slot[i % RING]);
    free(rings);
}

/* ---- large blocks (mmap'd by glibc) */
static const int large_kib[10] = { 128, 256, 512, 1024, 2048, 4096, 192, 768, 1536, 3072 };
static void large_setup(void)
{
    nthreads = setting >= 7 ? 2 : 1;
    snprintf(params, sizeof params, "block_kib=%d call=%s threads=%d", large_kib[setting], setting % 2 ? "calloc" : "malloc", nthreads);
}
static void *large_worker(void *arg)
{
    size_t sz = (size_t)large_kib[setting] << 10;
    uint64_t n = (uintptr_t)arg;
    while (now_ns() < deadline) {
        char *p = setting % 2 ? calloc(1, sz) : malloc(sz);
        if (p && ++n % 16 == 0) for (size_t i = 0; i < sz; i += 4096) p[i] = 1;
        if (p) sink += (uint64_t)p[sz / 2];
        free(p);
    }
    return NULL;
}

static const struct label_gen gens[] = {
    { "churn", "live set of 64-64Ki objects of 8 B - 4 KiB, random replace", churn_setup, churn_worker, NULL, NULL },
    { "realloc", "1-64 buffers grown by realloc in 8-256 B steps to 4 KiB - 1 MiB", realloc_setup, realloc_worker, NULL, NULL },
    { "threads", "2-8 threads churning; odd settings free across threads", threads_setup, threads_worker, threads_cleanup, NULL },
    { "large", "malloc/calloc+free of 128 KiB - 4 MiB blocks (mmap'd), 1-2 threads", large_setup, large_worker, NULL, NULL },
};
#define NGENS (sizeof gens / sizeof gens[0])

int main(int argc, char **argv)
{
    const struct label_prog P = { prog, LABEL, 0, 8, gens, NGENS };
    return label_main(argc, argv, &P);
}
