/* brun: the bench's process runner.  Runs a command N times in a row (fork + execvp, one at a
 * time) and prints, per batch, the wall time in seconds (CLOCK_MONOTONIC, ns resolution), the
 * largest peak RSS of any run in KiB (wait4's ru_maxrss) and the last exit status.  Settings for
 * the child only (-E NAME=VALUE, e.g. LD_PRELOAD) are applied after fork, so the runner itself is
 * never traced.  -t SECONDS kills a run that takes longer (SIGKILL) and stops the batch; its
 * status is then "timeout".  Output, one line:  "<wall_s> <maxrss_kib> <status>".
 *
 * usage: brun [-n N] [-t SECONDS] [-E NAME=VALUE]... [-i STDIN] [-o STDOUT] [-e STDERR] -- CMD ARGS... */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static volatile pid_t child;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    if (child > 0) kill(child, SIGKILL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void redirect(const char *path, int fd, int flags)
{
    if (!path) return;
    int f = open(path, flags, 0644);
    if (f < 0 || dup2(f, fd) < 0) { perror(path); _exit(126); }
    if (f != fd) close(f);
}

int main(int argc, char **argv)
{
    long n = 1, limit = 0;
    const char *in = NULL, *out = NULL, *err = NULL;
    char *envs[32];
    int nenv = 0, c;
    while ((c = getopt(argc, argv, "+n:t:E:i:o:e:")) != -1) {
        switch (c) {
        case 'n': n = strtol(optarg, NULL, 10); break;
        case 't': limit = strtol(optarg, NULL, 10); break;
        case 'E': if (nenv < 32) envs[nenv++] = optarg; break;
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'e': err = optarg; break;
        default:
            fprintf(stderr, "usage: brun [-n N] [-t SECONDS] [-E NAME=VALUE]... [-i IN] [-o OUT] [-e ERR] -- CMD ARGS...\n");
            return 2;
        }
    }
    if (optind >= argc || n < 1) { fprintf(stderr, "brun: no command\n"); return 2; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);      /* no SA_RESTART: wait4 returns EINTR, then waits again */
    long maxrss = 0;
    int status = 0;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            signal(SIGALRM, SIG_DFL);
            for (int k = 0; k < nenv; k++) {
                char *eq = strchr(envs[k], '=');
                if (!eq) continue;
                *eq = 0;
                if (eq[1]) setenv(envs[k], eq + 1, 1); else unsetenv(envs[k]);
            }
            redirect(in, 0, O_RDONLY);
            redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC);
            redirect(err, 2, O_WRONLY | O_CREAT | O_APPEND);
            execvp(argv[optind], argv + optind);
            fprintf(stderr, "brun: %s: %s\n", argv[optind], strerror(errno));
            _exit(127);
        }
        child = pid;
        if (limit > 0) alarm((unsigned)limit);
        struct rusage ru;
        int st;
        while (wait4(pid, &st, 0, &ru) < 0) {
            if (errno != EINTR) { perror("wait4"); return 1; }
        }
        alarm(0);
        child = 0;
        if (ru.ru_maxrss > maxrss) maxrss = ru.ru_maxrss;
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (timed_out) break;
    }
    double wall = now_s() - t0;
    if (timed_out) printf("%.6f %ld timeout\n", wall, maxrss);
    else printf("%.6f %ld %d\n", wall, maxrss, status);
    return 0;
}
