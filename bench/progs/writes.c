/* writes: small writes.  CALLS write() calls of SIZE bytes (default 64) to a new file in the
 * given directory; every 1,024 writes the offset goes back to 0 (lseek), so the file stays small
 * and the page cache, not the disk, is what the calls meet.  Measures the per-call cost of the
 * POSIX I/O hooks.
 *
 * usage: writes [CALLS (default 2000000)] [SIZE (default 64)] [DIR (default /tmp)] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    long size = argc > 2 ? strtol(argv[2], NULL, 10) : 64;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    if (size < 1 || size > 65536) { fprintf(stderr, "writes: SIZE 1..65536\n"); return 2; }
    char path[4096];
    snprintf(path, sizeof path, "%s/pp-bench-writes.XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) { perror(path); return 1; }
    char buf[65536];
    for (long i = 0; i < size; i++) buf[i] = (char)('a' + i % 26);
    long total = 0;
    for (long i = 0; i < calls; i++) {
        if (i % 1024 == 0 && lseek(fd, 0, SEEK_SET) < 0) { perror("lseek"); return 1; }
        ssize_t r = write(fd, buf, (size_t)size);
        if (r != size) { perror("write"); return 1; }
        total += r;
    }
    close(fd);
    unlink(path);
    printf("writes calls=%ld bytes=%ld\n", calls, total);
    return 0;
}
