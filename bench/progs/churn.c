/* churn: allocation churn.  PAIRS malloc/free pairs in all, split over THREADS threads, mixed
 * small sizes (16..512 bytes, a fixed xorshift sequence, so every run does the same calls).
 * Each thread keeps a ring of 64 live blocks: each step frees the oldest and allocates a new one,
 * touching it, so neither the compiler nor the allocator can skip the work.  Measures the
 * per-call cost of the allocation hooks (wall, instructions, trace bytes per thread-second).
 *
 * usage: churn [PAIRS (default 32000000)] [THREADS (default 1)] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 64

struct job { uint64_t pairs; uint64_t seed; uint64_t sum; uint64_t bytes; };

static void *run(void *arg)
{
    struct job *j = arg;
    unsigned char *ring[RING] = { 0 };
    uint64_t x = j->seed, sum = 0, bytes = 0;
    for (uint64_t i = 0; i < j->pairs; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t size = 16 + (size_t)(x % 497);
        unsigned k = (unsigned)(i % RING);
        if (ring[k]) { sum += ring[k][0]; free(ring[k]); }
        ring[k] = malloc(size);
        bytes += size;
        if (!ring[k]) { perror("malloc"); exit(1); }
        ring[k][0] = (unsigned char)x;
        ring[k][size - 1] = (unsigned char)i;
    }
    for (unsigned k = 0; k < RING; k++) free(ring[k]);
    j->sum = sum;
    j->bytes = bytes;
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t pairs = argc > 1 ? strtoull(argv[1], NULL, 10) : 32000000u;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 64) { fprintf(stderr, "churn: 1..64 threads\n"); return 2; }
    struct job jobs[64];
    pthread_t tid[64];
    for (int i = 0; i < threads; i++) {
        jobs[i].pairs = pairs / (uint64_t)threads;
        jobs[i].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        jobs[i].sum = 0;
        jobs[i].bytes = 0;
    }
    if (threads == 1) run(&jobs[0]);
    else {
        for (int i = 0; i < threads; i++)
            if (pthread_create(&tid[i], NULL, run, &jobs[i])) { fprintf(stderr, "churn: pthread_create\n"); return 1; }
        for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    }
    uint64_t sum = 0, bytes = 0;
    for (int i = 0; i < threads; i++) { sum += jobs[i].sum; bytes += jobs[i].bytes; }
    printf("churn pairs=%llu threads=%d bytes=%llu check=%llu\n", (unsigned long long)pairs, threads,
           (unsigned long long)bytes, (unsigned long long)sum);
    return 0;
}
