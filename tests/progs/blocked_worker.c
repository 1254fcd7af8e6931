/* A worker thread started with every signal blocked (as liblzma's threads are: xz -T) computes
 * for 0.5 s of CPU without any call the profiler intercepts, then waits; the main thread exits
 * without joining it (as xz does).  The worker never gets a sampling tick and never writes a
 * SAMPLE of its own: its CPU time must still reach the trace (sampling.sh).  Prints the
 * checksum only. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;
static volatile unsigned long sum;

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *work(void *arg)
{
    (void)arg;
    unsigned long x = 88172645463325252ul, s = 0;
    double until = cpu_s() + 0.5;
    while (cpu_s() < until)
        for (int i = 0; i < 200000; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; s += x & 1; }
    sum = s > 0;
    pthread_mutex_lock(&mu);
    done = 1;
    pthread_cond_broadcast(&cv);
    while (done < 2) pthread_cond_wait(&cv, &mu);      /* forever: main exits without joining */
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    if (pthread_create(&th, NULL, work, NULL)) return 1;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_lock(&mu);
    while (!done) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    printf("worker done: %lu\n", sum);
    exit(0);
}
