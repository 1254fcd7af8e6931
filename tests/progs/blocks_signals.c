/* A program that blocks every signal (as some daemons and runtimes do) must still be traced,
 * and the preload must leave its signal mask alone: no sampling signal unblocked, none
 * delivered.  It blocks all signals, starts a thread (which inherits the mask), both compute
 * and allocate for a while, then report whether the mask is still complete and whether any
 * signal is pending (a sampling signal left pending would be a tracer bug showing: a daemon that
 * sigwait()s on everything would receive it), and how many threads it had at start. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int mask_full(void)
{
    sigset_t now, all;
    sigprocmask(SIG_BLOCK, NULL, &now);
    sigfillset(&all);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP || s == 32 || s == 33) continue;  /* never blockable / glibc-internal */
        if (sigismember(&all, s) && !sigismember(&now, s)) return 0;
    }
    return 1;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static volatile unsigned long sink;

static void *work(void *arg)
{
    double until = cpu_ms() + 200;
    unsigned long s = 0;
    while (cpu_ms() < until) {
        for (int i = 0; i < 1000; i++) {
            char *p = malloc((size_t)(8 + i % 256));
            if (!p) return NULL;
            p[0] = (char)i;
            s += (unsigned char)p[0];
            free(p);
        }
    }
    sink += s;
    *(int *)arg = mask_full();
    return NULL;
}

/* Threads of this process right now (pitfall 7: a tracer must not add helper threads that
 * could take the program's signals). */
static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

int main(void)
{
    int tasks_at_start = count_tasks();
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    int thread_ok = 0, main_ok = 0;
    pthread_t t;
    if (pthread_create(&t, NULL, work, &thread_ok)) { perror("pthread_create"); return 1; }
    work(&main_ok);
    pthread_join(t, NULL);
    sigset_t pend;
    sigpending(&pend);
    char list[256] = "";
    int pending = 0;
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&pend, s)) {
            pending++;
            snprintf(list + strlen(list), sizeof list - strlen(list), " %d", s);
        }
    printf("blocks_signals: mask intact main=%d thread=%d, pending signals %d%s%s\n", main_ok,
           thread_ok, pending, pending ? ":" : "", list);
    printf("blocks_signals: threads at start %d\n", tasks_at_start);
    return 0;
}
