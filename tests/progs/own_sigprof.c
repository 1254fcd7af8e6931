/* Installs its own SIGPROF handler and ITIMER_PROF, the way gprof-style code does: it must keep
 * receiving its own ticks (the profiler stands aside) and print the same result. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t ticks;
static void on_prof(int s) { (void)s; ticks++; }

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;
    sigaction(SIGPROF, &sa, NULL);
    struct sigaction back;
    sigaction(SIGPROF, NULL, &back);
    struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
    setitimer(ITIMER_PROF, &it, NULL);
    volatile double x = 0;
    while (ticks < 50) for (int i = 0; i < 100000; i++) x += i;
    it.it_value.tv_usec = it.it_interval.tv_usec = 0;
    setitimer(ITIMER_PROF, &it, NULL);
    printf("ticks>=50 handler_is_mine=%d\n", back.sa_handler == on_prof);
    return 0;
}
