/* 64 threads created and joined in a loop for S seconds; each allocates, frees and writes.
 * After each round the program notes its resident set and its number of open descriptors in
 * LOG (one line per round: "round rss_kb fds"), so a test can see per-thread state that leaks
 * (a tool's thread table, buffers, descriptors).  stdout gets only timing-free lines.
 *   fault_thread_churn SECONDS LOG */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *work(void *arg)
{
    long id = (long)arg;
    void *p[32];
    for (int r = 0; r < 50; r++) {
        for (int i = 0; i < 32; i++) p[i] = malloc((size_t)(16 + (i * 37 + id) % 2000));
        for (int i = 0; i < 32; i++) free(p[i]);
    }
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) { (void)!write(fd, p, sizeof p); close(fd); }
    return NULL;
}

static long rss_kb(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = -1;
    fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static int nfds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1;          /* the directory's own descriptor */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: fault_thread_churn SECONDS LOG\n"); return 2; }
    double secs = atof(argv[1]);
    FILE *log = fopen(argv[2], "w");
    if (!log) { perror(argv[2]); return 2; }
    double end = now_s() + secs;
    long rounds = 0, failed = 0;
    while (rounds < 10 || now_s() < end) {
        pthread_t t[64];
        for (long i = 0; i < 64; i++)
            if (pthread_create(&t[i], NULL, work, (void *)i)) { failed++; t[i] = 0; }
        for (int i = 0; i < 64; i++) if (t[i]) pthread_join(t[i], NULL);
        rounds++;
        fprintf(log, "%ld %ld %d\n", rounds, rss_kb(), nfds());
        fflush(log);
    }
    fclose(log);
    printf("64 threads per round, at least 10 rounds: %s; failed creates %ld\n",
           rounds >= 10 ? "yes" : "no", failed);
    return 0;
}
