/* Pitfall 12, daemons that close every descriptor: closes 3..1023 with close(), then the same
 * range with close_range(), then everything from 3 with closefrom(), reporting how many closes
 * succeeded and what open() returns afterwards; then keeps writing to stdout and to a new file
 * (DIR/fd_closer.out) and reads it back.  Usage: fd_closer DIR.
 * With the preload, every line of output must be the same as without it (our trace descriptor
 * must look closed: close() of it answers EBADF) and the trace must still be complete. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>

static int open_some(const char *dir, int n)
{
    char path[4096];
    int last = -1;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/fd_closer.%d", dir, i);
        last = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    return last;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: fd_closer DIR\n"); return 2; }
    const char *dir = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);   /* line by line: the writes interleave with the closes */

    int ok = 0, ebadf = 0, other = 0;
    for (int fd = 3; fd < 1024; fd++) {
        if (close(fd) == 0) ok++;
        else if (errno == EBADF) ebadf++;
        else other++;
    }
    printf("close loop: ok=%d ebadf=%d other=%d\n", ok, ebadf, other);
    int fd = open_some(dir, 5);
    printf("after close loop, 5 opens, last fd=%d\n", fd);

    int r = close_range(3, ~0U, 0);
    printf("close_range(3, max): %d\n", r);
    fd = open_some(dir, 3);
    printf("after close_range, 3 opens, last fd=%d\n", fd);
    r = close_range(3, 3, CLOSE_RANGE_CLOEXEC);
    printf("close_range cloexec on 3: %d flags=%d\n", r, fcntl(3, F_GETFD));

    closefrom(3);
    errno = 0;
    r = fcntl(3, F_GETFD);
    printf("closefrom(3): fcntl(3)=%d errno=%s\n", r, strerror(errno));

    /* Keep working: stdout and a new file, written and read back. */
    char path[4096];
    snprintf(path, sizeof path, "%s/fd_closer.out", dir);
    FILE *f = fopen(path, "w+");
    if (!f) { perror("fopen"); return 1; }
    printf("new file fd=%d\n", fileno(f));
    for (int i = 0; i < 20000; i++) fprintf(f, "line %d\n", i);
    fflush(f);
    int wfd = open(path, O_WRONLY | O_APPEND);
    printf("second descriptor fd=%d\n", wfd);
    for (int i = 0; i < 100; i++) if (write(wfd, "tail\n", 5) != 5) { perror("write"); return 1; }
    close(wfd);
    rewind(f);
    long lines = 0, bytes = 0;
    char buf[256];
    while (fgets(buf, sizeof buf, f)) { lines++; bytes += (long)strlen(buf); }
    fclose(f);
    printf("read back: lines=%ld bytes=%ld\n", lines, bytes);
    for (int i = 0; i < 1000; i++) printf("stdout line %d\n", i);
    return 0;
}
