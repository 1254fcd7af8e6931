/* Labelled workload: wait-bound phases (threads blocked on locks, conditions, timers, polls).
 *
 *   label_wait --gen mutex|cond|sleep|sem --setting K [--seconds S]   (K = 0..9)
 *   label_wait --list
 *
 * mutex: 3-8 threads contend for one mutex held 20 us - 1 ms per turn, either sleeping inside
 *        the lock (the "I/O under a lock" bug) or spinning (then one core is busy, the others
 *        wait).
 * cond:  ping-pong between 1-4 pairs of threads over condition variables, with 0-50 us of work
 *        or a 0.1-2 ms producer delay per hand-off (latency-bound hand-offs).
 * sleep: nanosleep / usleep / poll / select with 0.1-10 ms timeouts between short bursts of work.
 * sem:   1-4 workers sem_wait for a poster thread that posts every 0.2-5 ms.
 *
 * Output as label_cpu: "# ..." then "start_ns end_ns wait" after the phase. */
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>
#include "label_main.h"

#define LABEL "wait"
static const char *prog = "label_wait";

static volatile uint64_t sink;
static volatile int stop;

static void spin_us(unsigned us)
{
    uint64_t end = now_ns() + us * 1000ull, acc = 0;
    while (now_ns() < end) for (int i = 0; i < 100; i++) acc += (uint64_t)i * i;
    sink += acc;
}
static void sleep_us(unsigned us)
{
    struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

/* ---- mutex contention */
static const int mx_threads[10] = { 3, 4, 6, 8, 3, 4, 6, 8, 4, 5 };
static const int mx_hold_us[10] = { 200, 100, 50, 20, 1000, 500, 200, 100, 300, 50 };
static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
static void mutex_setup(void)
{
    nthreads = mx_threads[setting];
    snprintf(params, sizeof params, "threads=%d hold_us=%d inside=%s", nthreads, mx_hold_us[setting], setting < 6 ? "sleep" : "spin");
}
static void *mutex_worker(void *arg)
{
    (void)arg;
    while (now_ns() < deadline) {
        pthread_mutex_lock(&mx);
        if (setting < 6) sleep_us((unsigned)mx_hold_us[setting]);
        else spin_us((unsigned)mx_hold_us[setting]);
        pthread_mutex_unlock(&mx);
    }
    return NULL;
}

/* ---- condition-variable ping-pong: pair p = threads 2p and 2p+1 */
static const int cv_pairs[10] = { 1, 2, 4, 1, 2, 1, 3, 2, 1, 4 };
static const int cv_work_us[10] = { 0, 5, 10, 50, 0, 0, 20, 0, 5, 0 };
static const int cv_delay_us[10] = { 0, 0, 0, 0, 100, 500, 0, 1000, 2000, 200 };
typedef struct pair { pthread_mutex_t m; pthread_cond_t c; int turn; } pair;
static pair pairs[4];
static void cond_setup(void)
{
    nthreads = 2 * cv_pairs[setting];
    for (int p = 0; p < cv_pairs[setting]; p++) {
        pthread_mutex_init(&pairs[p].m, NULL);
        pthread_cond_init(&pairs[p].c, NULL);
        pairs[p].turn = 0;
    }
    snprintf(params, sizeof params, "pairs=%d work_us=%d producer_delay_us=%d", cv_pairs[setting], cv_work_us[setting], cv_delay_us[setting]);
}
static void *cond_worker(void *arg)
{
    int t = (int)(uintptr_t)arg, me = t % 2;
    pair *pr = &pairs[t / 2];
    for (;;) {
        pthread_mutex_lock(&pr->m);
        while (pr->turn != me && !stop) pthread_cond_wait(&pr->c, &pr->m);
        if (stop) { pthread_cond_broadcast(&pr->c); pthread_mutex_unlock(&pr->m); break; }
        pthread_mutex_unlock(&pr->m);
        if (cv_work_us[setting]) spin_us((unsigned)cv_work_us[setting]);
        if (me == 0 && cv_delay_us[setting]) sleep_us((unsigned)cv_delay_us[setting]);
        pthread_mutex_lock(&pr->m);
        pr->turn = !me;
        if (now_ns() >= deadline) stop = 1;
        pthread_cond_broadcast(&pr->c);
        pthread_mutex_unlock(&pr->m);
    }
    return NULL;
}

/* ---- sleep / poll / select with bursts of work */
static const int sl_us[10] = { 100, 500, 1000, 5000, 10000, 200, 2000, 300, 3000, 800 };
static const char *const sl_call[4] = { "nanosleep", "usleep", "poll", "select" };
static void sleep_setup(void)
{
    nthreads = setting >= 8 ? 2 : 1;
    snprintf(params, sizeof params, "call=%s timeout_us=%d work_us=%d threads=%d", sl_call[setting % 4], sl_us[setting], sl_us[setting] / 20, nthreads);
}
static void *sleep_worker(void *arg)
{
    (void)arg;
    int fds[2];
    if (pipe(fds)) return NULL;   /* never written: poll/select time out */
    unsigned us = (unsigned)sl_us[setting];
    while (now_ns() < deadline) {
        spin_us(us / 20);
        switch (setting % 4) {
        case 0: sleep_us(us); break;
        case 1: usleep(us); break;
        case 2: { struct pollfd p = { fds[0], POLLIN, 0 }; poll(&p, 1, (int)(us + 999) / 1000); break; }
        default: { fd_set r; FD_ZERO(&r); FD_SET(fds[0], &r); struct timeval tv = { 0, (long)us }; select(fds[0] + 1, &r, NULL, NULL, &tv); break; }
        }
    }
    close(fds[0]); close(fds[1]);
    return NULL;
}

/* ---- semaphore: thread 0 posts, the others wait */
static const int sem_workers[10] = { 1, 2, 3, 4, 1, 2, 3, 4, 2, 1 };
static const int sem_every_us[10] = { 200, 500, 1000, 2000, 5000, 300, 800, 1500, 3000, 100 };
static sem_t sem;
static void sem_setup(void)
{
    nthreads = 1 + sem_workers[setting];
    sem_init(&sem, 0, 0);
    snprintf(params, sizeof params, "waiters=%d post_every_us=%d", sem_workers[setting], sem_every_us[setting]);
}
static void *sem_worker(void *arg)
{
    if ((uintptr_t)arg == 0) {
        while (now_ns() < deadline) { sleep_us((unsigned)sem_every_us[setting]); sem_post(&sem); }
        stop = 1;
        for (int i = 1; i < nthreads; i++) sem_post(&sem);
        return NULL;
    }
    while (!stop) { sem_wait(&sem); spin_us(5); }
    return NULL;
}

static const struct label_gen gens[] = {
    { "mutex", "3-8 threads on one mutex held 20 us - 1 ms (sleeping or spinning inside)", mutex_setup, mutex_worker, NULL, NULL },
    { "cond", "condition-variable ping-pong, 1-4 pairs, with work or producer delays", cond_setup, cond_worker, NULL, NULL },
    { "sleep", "nanosleep/usleep/poll/select of 0.1-10 ms between short bursts", sleep_setup, sleep_worker, NULL, NULL },
    { "sem", "1-4 threads in sem_wait for a poster every 0.1-5 ms", sem_setup, sem_worker, NULL, NULL },
};
#define NGENS (sizeof gens / sizeof gens[0])

int main(int argc, char **argv)
{
    const struct label_prog P = { prog, LABEL, 0, 8, gens, NGENS };
    return label_main(argc, argv, &P);
}
