/* Pitfall 12, programs that dup2 onto descriptors they do not own: opens DIR/dup2_onto.out and
 * dup2s it onto every descriptor 3..LAST (default 1023, never above RLIMIT_NOFILE-1), then
 * dup3s it onto the same range again, then writes one line through every one of them, closes
 * them all, and prints what it read back.  Usage: dup2_onto DIR [LAST].
 * With the preload the output must not change: our trace descriptor moves out of the way of each
 * dup2, and the file gets exactly the lines the program wrote. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: dup2_onto DIR [LAST]\n"); return 2; }
    int last = argc > 2 ? atoi(argv[2]) : 1023;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur - 1 < last)
        last = (int)rl.rlim_cur - 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/dup2_onto.out", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (fd < 0) { perror("open"); return 1; }
    int src = fcntl(fd, F_DUPFD, last + 1 > 2000 ? 2000 : last + 1);   /* above the range */
    if (src < 0) src = fd;
    int ok = 0, bad = 0;
    for (int i = 3; i <= last; i++) {
        if (i == src) continue;
        if (dup2(src, i) == i) ok++; else bad++;
    }
    printf("dup2: ok=%d failed=%d\n", ok, bad);
    ok = bad = 0;
    for (int i = 3; i <= last; i++) {
        if (i == src) continue;
        if (dup3(src, i, O_CLOEXEC) == i) ok++; else bad++;
    }
    printf("dup3: ok=%d failed=%d\n", ok, bad);
    char line[64];
    long wrote = 0;
    for (int i = 3; i <= last; i++) {
        int n = snprintf(line, sizeof line, "via fd %d\n", i);
        if (write(i, line, (size_t)n) == n) wrote += n;
    }
    printf("wrote %ld bytes\n", wrote);
    for (int i = 3; i <= last; i++) if (i != src) close(i);
    off_t size = lseek(src, 0, SEEK_END);
    printf("file size %ld\n", (long)size);
    lseek(src, 0, SEEK_SET);
    char buf[65536];
    long got = 0;
    for (ssize_t r; (r = read(src, buf, sizeof buf)) > 0;) got += r;
    printf("read back %ld bytes\n", got);
    close(src);
    return 0;
}
