/* Pitfall 11: every way out of a process.  `exit_paths MODE [MS]` works for MS ms of CPU time
 * (default 150: allocation churn and small writes to /dev/null, so the trace writes chunks as it
 * goes when PHASEPROF_FLUSH_MS is small), leaves a line in stdio's buffer, then leaves by MODE:
 *   return  main returns 5           exit   exit(6)           _exit  _exit(7)   _Exit  _Exit(8)
 *   abort   abort() → SIGABRT        sigterm raise(SIGTERM)   kill9  kill(getpid(), SIGKILL)
 * A line written with write(2) before leaving is always seen.  The buffered stdio line is lost
 * by _exit, _Exit and the signals, kept by return and exit: the preload must not change which. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* CPU time, not wall time: on a loaded machine the program still does the same amount of work
 * and the trace gets as many intervals. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: exit_paths return|exit|_exit|_Exit|abort|sigterm|kill9 [MS]\n");
        return 2;
    }
    const char *mode = argv[1];
    double ms = argc > 2 ? atof(argv[2]) : 150;
    int fd = open("/dev/null", O_WRONLY);
    char line[64];
    memset(line, 'x', sizeof line);
    double end = now_ms() + ms;
    unsigned long rounds = 0;
    while (now_ms() < end) {
        for (int i = 0; i < 200; i++) {
            void *p = malloc((size_t)(16 + (i * 37) % 4000));
            if (!p) return 1;
            free(p);
            if (write(fd, line, sizeof line) < 0) return 1;
        }
        rounds++;
    }
    (void)rounds;  /* depends on speed: never printed */
    char msg[128];
    int n = snprintf(msg, sizeof msg, "exit_paths %s: leaving\n", mode);
    if (write(1, msg, (size_t)n) < 0) return 1;
    printf("buffered line of %s (lost unless stdio is flushed)\n", mode);
    if (!strcmp(mode, "return")) return 5;
    if (!strcmp(mode, "exit")) exit(6);
    if (!strcmp(mode, "_exit")) _exit(7);
    if (!strcmp(mode, "_Exit")) _Exit(8);
    if (!strcmp(mode, "abort")) abort();
    if (!strcmp(mode, "sigterm")) { raise(SIGTERM); return 99; }
    if (!strcmp(mode, "kill9")) { kill(getpid(), SIGKILL); return 99; }
    fprintf(stderr, "exit_paths: unknown mode %s\n", mode);
    return 2;
}
