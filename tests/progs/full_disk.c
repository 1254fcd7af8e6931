/* A trace that cannot be written must not change the program.  Run with a small RLIMIT_FSIZE
 * (`ulimit -f 16`) and PHASEPROF_EVENTS=all: the trace outgrows the limit within milliseconds
 * while everything this program writes stays far below it.  Without care the kernel sends
 * SIGXFSZ (death by signal) or the program's own writes see EFBIG; with care the preload stops
 * tracing with one "phaseprof[PID]:" line on stderr and the program prints what it always does.
 * It also writes its own small file (argument) and reads it back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "full_disk.out";
    unsigned long sum = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 100000; i++) {
            unsigned char *p = malloc((size_t)(24 + i % 300));
            if (!p) return 1;
            p[0] = (unsigned char)i;
            sum += p[0];
            free(p);
        }
        FILE *f = fopen(path, "w");
        if (!f) { printf("fopen: %s\n", strerror(errno)); return 1; }
        for (int i = 0; i < 100; i++) fprintf(f, "round %d line %d\n", round, i);
        if (fclose(f)) { printf("fclose: %s\n", strerror(errno)); return 1; }
        int fd = open(path, O_RDONLY);
        char buf[8192];
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
        if (fd >= 0) close(fd);
        printf("round %d: checksum %lu, read back %zd bytes\n", round, sum, n);
    }
    fprintf(stderr, "full_disk: done\n");
    return 0;
}
