/* creat: what one new file costs on a filesystem.  Every traced process creates its trace file
 * once, so this is a floor under the start-up cost that no preload code can remove: on some
 * filesystems (the dev VM's ext4: 0.5-0.9 ms of kernel time per inode) it is most of it.
 * Creates N files in DIR the way the preload creates a trace (O_CREAT | O_EXCL | O_APPEND),
 * closes each, prints the mean microseconds per create, then unlinks them (not timed).
 *
 * usage: creat DIR [N (default 200)] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: creat DIR [N]\n"); return 2; }
    int n = argc > 2 ? atoi(argv[2]) : 200;
    if (n < 1) n = 1;
    char path[4096];
    double t0 = now_us();
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/pp-creat-%ld-%d", argv[1], (long)getpid(), i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
        if (fd < 0) { perror(path); return 1; }
        close(fd);
    }
    double per = (now_us() - t0) / n;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/pp-creat-%ld-%d", argv[1], (long)getpid(), i);
        unlink(path);
    }
    printf("%.1f\n", per);
    return 0;
}
