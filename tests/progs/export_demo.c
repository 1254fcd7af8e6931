/* A small run with one of everything `phaseprof export` shows: two threads (main and "cruncher"),
 * file writes each followed by fsync (slow calls: IO_EVENT slices) to the path given as argv[1],
 * allocation churn, a mark and a marked phase, CPU work, and a forked child that does some work
 * of its own.  Prints nothing; exits 0.
 *
 * usage: export_demo FILE */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "phaseprof/phaseprof.h"

static volatile double sink;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU work for about `sec` seconds. */
static void spin(double sec)
{
    double end = now() + sec, x = 1;
    while (now() < end)
        for (int i = 0; i < 10000; i++) x = x * 1.0000001 + 0.5 / (i + 1);
    sink = x;
}

static void churn(double sec)
{
    double end = now() + sec;
    while (now() < end) {
        void *p[64];
        for (int i = 0; i < 64; i++) { p[i] = malloc(256 + i * 512); memset(p[i], i, 16); }
        for (int i = 0; i < 64; i++) free(p[i]);
    }
}

static void *cruncher(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "cruncher");
    spin(0.3);
    churn(0.2);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: export_demo FILE\n"); return 2; }
    pthread_t th;
    pthread_create(&th, NULL, cruncher, NULL);

    PHASEPROF_MARK("start");
    PHASEPROF_PHASE_BEGIN("write");
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror(argv[1]); return 1; }
    static char block[1 << 16];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 20; i++) {
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) { perror("write"); return 1; }
        fsync(fd);
    }
    close(fd);
    PHASEPROF_PHASE_END("write");

    pid_t child = fork();
    if (child == 0) {
        spin(0.2);
        churn(0.1);
        _exit(0);
    }
    churn(0.2);
    spin(0.2);
    pthread_join(th, NULL);
    int st;
    waitpid(child, &st, 0);
    PHASEPROF_MARK("done");
    return 0;
}
