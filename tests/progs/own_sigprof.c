/* A program that uses SIGPROF itself, which the profiler samples with too.
 *   own_sigprof [handler]  its own handler and ITIMER_PROF, as gprof-style code does: it must get
 *                          its own ticks, all of them and only them (the profiler's ticks share
 *                          the signal and must never reach it), and see its own handler when it
 *                          asks;
 *   own_sigprof ignore     SIG_IGN, then raise(SIGPROF): survives;
 *   own_sigprof default    raise(SIGPROF) with no handler: dies of it (status 128+27 in a shell),
 *                          as without the profiler;
 *   own_sigprof pending    its handler, SIGPROF blocked, raised: the handler must not run until
 *                          the signal is unblocked, and then once, with the siginfo it was sent
 *                          with (the profiler keeps its own signal unblocked underneath).
 * Prints only what must be the same with and without the profiler. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t ticks, code_ok;
static void on_prof(int s) { (void)s; ticks++; }
static void on_prof_info(int s, siginfo_t *si, void *uc)
{
    (void)s; (void)uc;
    ticks++;
    code_ok = si->si_code == SI_TKILL || si->si_code == SI_USER;   /* raise() is tgkill */
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "handler";
    if (!strcmp(mode, "ignore")) {
        signal(SIGPROF, SIG_IGN);
        raise(SIGPROF);
        printf("survived an ignored SIGPROF\n");
        return 0;
    }
    if (!strcmp(mode, "pending")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_prof_info;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGPROF, &sa, NULL);
        sigset_t one, cur;
        sigemptyset(&one);
        sigaddset(&one, SIGPROF);
        sigprocmask(SIG_BLOCK, &one, NULL);
        raise(SIGPROF);
        volatile double x = 0;
        for (int i = 0; i < 20000000; i++) x += i;        /* CPU time: the profiler ticks meanwhile */
        int before = ticks;
        sigprocmask(SIG_BLOCK, NULL, &cur);
        int shown_blocked = sigismember(&cur, SIGPROF) == 1;
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        printf("held while blocked: %s, shown blocked: %s, delivered on unblock: %s\n",
               before == 0 ? "yes" : "no", shown_blocked ? "yes" : "no",
               ticks == 1 && code_ok ? "once, as sent" : "no");
        return 0;
    }
    if (!strcmp(mode, "default")) {
        raise(SIGPROF);
        printf("not reached: SIGPROF's default action terminates\n");
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;
    sigaction(SIGPROF, &sa, NULL);
    struct sigaction back;
    sigaction(SIGPROF, NULL, &back);
    struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
    double c0 = cpu_s();
    setitimer(ITIMER_PROF, &it, NULL);
    volatile double x = 0;
    while (cpu_s() - c0 < 1.0) for (int i = 0; i < 100000; i++) x += i;
    it.it_value.tv_usec = it.it_interval.tv_usec = 0;
    setitimer(ITIMER_PROF, &it, NULL);
    double expect = (cpu_s() - c0) / 0.010;
    /* ITIMER_PROF counts process CPU time; each of its ticks is one signal.  Twice as many would
     * be the profiler's 10 ms ticks reaching the program too. */
    int ok = ticks >= 0.7 * expect && ticks <= 1.3 * expect;
    printf("own ticks, all and only them: %s; handler_is_mine=%d\n", ok ? "yes" : "no", back.sa_handler == on_prof);
    return 0;
}
