/* Signal handlers that allocate: SIGALRM every 1 ms (ITIMER_REAL) and SIGUSR1 from a second
 * thread interrupt the main thread inside write/read/open/close (all hooked by the preload), and
 * each handler mallocs, writes into and frees a block.  Calling malloc from a handler is unsafe
 * only when it interrupts malloc itself, so the interrupted code here never allocates: whatever
 * the preload does inside those hooks must be safe to re-enter from a handler that allocates.
 *   fault_sig_alloc [MS [MIN_LOOPS [KICK_US]]]
 * MS of wall time (default 1000) and at least MIN_LOOPS iterations (default 20000); KICK_US
 * between SIGUSR1s (default 200; 0: a storm, as fast as pthread_kill goes, so that a signal
 * lands inside any short stretch where the interrupted code holds the allocator's lock).
 * Prints only what does not depend on timing (the main loop's byte count is fixed by its
 * iteration count, and whether the handlers ran at all). */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alrm_runs, usr1_runs, bad;
static volatile int stop;
static long kick_ns = 200000;

static void handler(int sig)
{
    size_t n = 16 + (size_t)(sig == SIGALRM ? alrm_runs % 4000 : usr1_runs % 100000);
    char *p = malloc(n);
    if (!p) { bad = 1; return; }
    memset(p, sig, n);
    char *q = realloc(p, n * 2);
    if (!q) { free(p); bad = 1; return; }
    if (q[n - 1] != (char)sig) bad = 1;
    free(q);
    if (sig == SIGALRM) alrm_runs++; else usr1_runs++;
}

static void *kicker(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    while (!stop) {
        pthread_kill(main_thread, SIGUSR1);
        if (kick_ns) {
            struct timespec ts = { 0, kick_ns };
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    double ms = argc > 1 ? atof(argv[1]) : 1000;
    long min_loops = argc > 2 ? atol(argv[2]) : 20000;
    if (argc > 3) kick_ns = atol(argv[3]) * 1000;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);            /* one handler at a time: they would nest in malloc */
    sigaddset(&sa.sa_mask, SIGALRM);
    sigaddset(&sa.sa_mask, SIGUSR1);
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t self = pthread_self(), kt;
    if (pthread_create(&kt, NULL, kicker, &self)) return 3;
    struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);

    static char buf[4096];
    long long written = 0, readb = 0, loops = 0;
    double end = now_ms() + ms;
    /* A fixed minimum of iterations, then until the time is up: the printed counts use only
     * the fixed part, so they do not depend on the machine's speed. */
    while (loops < min_loops || now_ms() < end) {
        int fd = open("/dev/null", O_WRONLY);
        int z = open("/dev/zero", O_RDONLY);
        if (fd < 0 || z < 0) return 4;
        ssize_t r = read(z, buf, sizeof buf);
        ssize_t w = write(fd, buf, 100 + (size_t)(loops % 1000));
        close(z);
        close(fd);
        if (loops < min_loops) { readb += r; written += w; }
        loops++;
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    stop = 1;
    pthread_join(kt, NULL);
    printf("read %lld written %lld\n", readb, written);
    printf("alarm handler ran: %s, usr1 handler ran: %s, bad: %d\n",
           alrm_runs > 0 ? "yes" : "no", usr1_runs > 0 ? "yes" : "no", (int)bad);
    return 0;
}
