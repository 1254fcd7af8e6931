/* Pitfall 9: vfork shares the parent's memory and runs no atfork handler, so the preload must do
 * nothing in the child that touches shared state.  Three vforks: one execs /bin/true, one execs a
 * path that does not exist and _exit(127)s, one only _exit(7)s.  Then the parent goes on
 * allocating and writing: if the child corrupted our state the parent breaks or its trace does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static int wait_for(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static unsigned long churn(int n)
{
    unsigned long s = 0;
    for (int i = 0; i < n; i++) {
        char *p = malloc((size_t)(32 + i % 100));
        if (!p) return 0;
        p[0] = (char)i;
        s += (unsigned char)p[0];
        free(p);
    }
    return s;
}

/* The vfork child never returns from here: it execs or _exits. */
static pid_t __attribute__((noinline)) spawn_vfork(const char *path, char *const argv[], int code)
{
    pid_t pid = vfork();
    if (pid == 0) {
        if (path) execv(path, argv);
        _exit(code);
    }
    return pid;
}

int main(void)
{
    static char *const true_argv[] = { "true", NULL };
    static char *const none_argv[] = { "no-such-program", NULL };
    int rounds = 20, st_true = 0, st_none = 0, st_exit = 0;
    unsigned long sum = 0;
    for (int r = 0; r < rounds; r++) {
        sum += churn(1000);
        pid_t a = spawn_vfork("/bin/true", true_argv, 126);
        pid_t b = spawn_vfork("/nonexistent/no-such-program", none_argv, 127);
        pid_t c = spawn_vfork(NULL, NULL, 7);
        if (a < 0 || b < 0 || c < 0) { perror("vfork"); return 1; }
        st_true += wait_for(a);
        st_none += wait_for(b);
        st_exit += wait_for(c);
    }
    printf("vfork: %d rounds, statuses %d %d %d, churn %lu\n", rounds, st_true, st_none, st_exit,
           sum + churn(5000));
    return 0;
}
