/* Pitfalls 8 and 10: fork, then exec, once with the environment as it is and once with an EMPTY
 * environment (execve with envp = {NULL}), which drops LD_PRELOAD unless the preload puts it
 * back.  The exec'd images must each start their own trace: /bin/true, and this program again
 * with the argument "empty-env-child" (so its trace can be told apart by argv).
 * Prints only what is the same with and without the preload. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static unsigned long work(int n)
{
    unsigned long sum = 0;
    for (int i = 0; i < n; i++) {
        char *p = malloc((size_t)(16 + i % 512));
        if (!p) return 0;
        memset(p, i & 0xff, 16);
        sum += (unsigned char)p[i % 16];
        free(p);
    }
    return sum;
}

static int wait_for(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "empty-env-child")) {
        /* We were exec'd with no environment at all. */
        printf("empty-env child: work %lu\n", work(20000));
        return 0;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) { perror("readlink"); return 1; }
    self[n] = 0;
    printf("parent: work %lu\n", work(10000));
    fflush(stdout);

    pid_t a = fork();
    if (a < 0) { perror("fork"); return 1; }
    if (a == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    pid_t b = fork();
    if (b < 0) { perror("fork"); return 1; }
    if (b == 0) {
        char *args[] = { self, "empty-env-child", NULL };
        char *envp[] = { NULL };
        execve(self, args, envp);
        _exit(127);
    }
    int sa = wait_for(a), sb = wait_for(b);
    printf("parent: true exited %d, empty-env child exited %d\n", sa, sb);
    return sa || sb ? 1 : 0;
}
