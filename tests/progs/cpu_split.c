/* Spends CPU 3:1 in two functions (no calls inside the loops), on two threads, long enough for
 * >= 2,000 samples: the sampling test checks the shares.  Arguments: CPU seconds per thread
 * (default 4.5); "join": the main thread only waits, two created threads compute (one with a
 * 256 KiB stack).
 * (CPU-time timers fire on scheduler ticks, so a thread gets at most HZ samples a second.) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Thread CPU time, so the sample count does not depend on how busy the machine is. */
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }

__attribute__((noinline)) static double three_parts(long n)
{
    volatile double x = 0;
    for (long i = 0; i < n; i++) x += (double)i * 0.5;   /* three_parts loop */
    return x;
}

__attribute__((noinline)) static double one_part(long n)
{
    volatile double x = 0;
    for (long i = 0; i < n; i++) x += (double)i * 0.25;  /* one_part loop */
    return x;
}

static double secs = 4.5;
static void *work(void *arg)
{
    long unit = 1000000;
    double s = 0, t0 = now();
    while (now() - t0 < secs) { s += three_parts(3 * unit); s += one_part(unit); }
    *(double *)arg = s;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1) secs = atof(argv[1]);
    double s[2];
    pthread_t t, u;
    if (argc > 2 && !strcmp(argv[2], "join")) {
        pthread_attr_t small;
        pthread_attr_init(&small);
        pthread_attr_setstacksize(&small, 256 * 1024);
        pthread_create(&t, 0, work, &s[1]);
        pthread_create(&u, &small, work, &s[0]);
        pthread_join(u, 0);
    } else {
        pthread_create(&t, 0, work, &s[1]);
        work(&s[0]);
    }
    pthread_join(t, 0);
    printf("done %d\n", s[0] > 0 && s[1] > 0);
    return 0;
}
