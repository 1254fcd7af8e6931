/* A thread blocked 1 s in read() on a pipe while another computes (and is sampled): the read must
 * not see EINTR, and the output is the same as without the profiler. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fds[2];
static void *reader(void *a)
{
    (void)a;
    char c;
    ssize_t n = read(fds[0], &c, 1);
    printf("read=%zd %s\n", n, n < 0 ? strerror(errno) : "ok");
    return 0;
}

int main(void)
{
    if (pipe(fds)) return 1;
    pthread_t t;
    pthread_create(&t, 0, reader, 0);
    volatile double x = 0;               /* ~1 s of CPU on this thread meanwhile */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do { for (int i = 0; i < 100000; i++) x += i; clock_gettime(CLOCK_MONOTONIC, &b); }
    while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < 1.0);
    if (write(fds[1], "x", 1) != 1) return 1;
    pthread_join(t, 0);
    return 0;
}
