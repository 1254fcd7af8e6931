/* Calls at a chosen rate for a fixed time, so a test can compare trace sizes of runs that last
 * as long but make very different numbers of calls.  Each call is a malloc/free of 32 bytes and
 * every 16th a 64-byte write to /dev/null; SPIN iterations of arithmetic separate calls.
 *   fault_rate SECONDS SPIN     (SECONDS 0: until killed; "started" is printed and flushed first)
 * stdout: "started", then (when it ends by itself) "done". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: fault_rate SECONDS SPIN\n"); return 2; }
    double secs = atof(argv[1]);
    long spin = atol(argv[2]);
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) return 3;
    printf("started\n");
    fflush(stdout);
    double end = now_s() + secs;
    static char buf[64];
    volatile unsigned long x = 1;
    for (unsigned long i = 0;; i++) {
        void *p = malloc(32);
        *(volatile char *)p = 1;
        free(p);
        if ((i & 15) == 0) (void)!write(fd, buf, sizeof buf);
        for (long k = 0; k < spin; k++) x = x * 6364136223846793005UL + 1;
        if ((i & 255) == 0 && secs > 0 && now_s() >= end) break;
    }
    printf("done\n");
    return 0;
}
