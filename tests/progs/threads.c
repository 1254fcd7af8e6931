/* Per-thread state: N threads (argument, default 8) each allocate, free and compute, name
 * themselves (pthread_setname_np), and are joined.  Expected in the trace: a THREAD_START and a
 * THREAD_END per thread and their names.  The printed result is independent of scheduling. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job { int id; unsigned long result; };

static void *worker(void *arg)
{
    struct job *j = arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%d", j->id);
    pthread_setname_np(pthread_self(), name);
    unsigned long sum = 0;
    void *keep[64] = { 0 };
    for (int i = 0; i < 200000; i++) {
        size_t sz = (size_t)(8 + (i * 7 + j->id) % 2000);
        char *p = malloc(sz);
        if (!p) return NULL;
        p[0] = (char)i;
        p[sz - 1] = (char)j->id;
        sum += (unsigned char)p[0] + (unsigned char)p[sz - 1];
        int k = i % 64;
        free(keep[k]);
        keep[k] = p;
    }
    for (int k = 0; k < 64; k++) free(keep[k]);
    j->result = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8;
    if (n < 1 || n > 256) { fprintf(stderr, "threads: 1..256\n"); return 2; }
    pthread_t *t = calloc((size_t)n, sizeof *t);
    struct job *jobs = calloc((size_t)n, sizeof *jobs);
    if (!t || !jobs) return 1;
    for (int i = 0; i < n; i++) {
        jobs[i].id = i;
        if (pthread_create(&t[i], NULL, worker, &jobs[i])) { perror("pthread_create"); return 1; }
    }
    unsigned long total = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += jobs[i].result;
    }
    printf("threads: %d joined, checksum %lu\n", n, total);
    free(t);
    free(jobs);
    return 0;
}
