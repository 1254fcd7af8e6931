/* RLIMIT_NOFILE set low.  Opens /dev/null until EMFILE and prints how many descriptors it got
 * (under a low limit one descriptor taken by a tool shows as one fewer), closes them, then
 * lowers its own soft limit to 8 (or keeps a lower one) and does the same again, then writes and reads back a file.
 *   fault_nofile DIR   (run it under `ulimit -n N`) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int fill(const char *label)
{
    int fds[4096], n = 0, err = 0;
    while (n < 4096) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) { err = errno; break; }
        fds[n++] = fd;
    }
    printf("%s: opened %d more descriptors, then %s\n", label, n, err ? strerror(err) : "stopped");
    for (int i = 0; i < n; i++) close(fds[i]);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: fault_nofile DIR\n"); return 2; }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("soft limit %ld\n", (long)rl.rlim_cur);
    fflush(stdout);
    fill("at start");
    if (rl.rlim_cur > 8) rl.rlim_cur = 8;
    if (setrlimit(RLIMIT_NOFILE, &rl)) { perror("setrlimit"); return 3; }
    char label[32];
    snprintf(label, sizeof label, "limit %ld", (long)rl.rlim_cur);
    fill(label);
    char path[4096];
    snprintf(path, sizeof path, "%s/nofile.txt", argv[1]);
    FILE *f = fopen(path, "w");
    if (!f) { perror("fopen"); return 4; }
    for (int i = 0; i < 2000; i++) fprintf(f, "%d\n", i);
    if (fclose(f)) { perror("fclose"); return 5; }
    f = fopen(path, "r");
    if (!f) { perror("fopen r"); return 6; }
    long sum = 0; int x;
    while (fscanf(f, "%d", &x) == 1) sum += x;
    fclose(f);
    printf("read back sum %ld\n", sum);
    return 0;
}
