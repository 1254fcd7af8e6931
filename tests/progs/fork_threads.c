/* Pitfalls 8 and 15: fork from a multi-threaded program while other threads allocate (and so may
 * hold allocator or tracer locks at the moment of fork).  Four threads churn malloc/free until
 * told to stop; the main thread forks 20 children one after another; each child allocates,
 * writes a line to a pipe-free place (/dev/null) and exit()s, which runs the tracer's exit path
 * in the child.  alarm() in each child turns a deadlock into a visible SIGALRM death. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static atomic_int stop;

static void *churn(void *arg)
{
    (void)arg;
    void *keep[32] = { 0 };
    unsigned i = 0;
    while (!atomic_load(&stop)) {
        unsigned k = i % 32;
        free(keep[k]);
        keep[k] = malloc(16 + (i * 131) % 8192);
        i++;
    }
    for (int k = 0; k < 32; k++) free(keep[k]);
    return NULL;
}

int main(void)
{
    enum { THREADS = 4, CHILDREN = 20 };
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, churn, NULL)) { perror("pthread_create"); return 1; }
    int ok = 0, bad = 0;
    for (int c = 0; c < CHILDREN; c++) {
        usleep(2000);                  /* let the threads get going between forks */
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            alarm(20);
            unsigned long s = 0;
            for (int i = 0; i < 10000; i++) {
                char *p = malloc((size_t)(1 + i % 1000));
                if (!p) _exit(3);
                p[0] = 1;
                s += (unsigned char)p[0];
                free(p);
            }
            int fd = open("/dev/null", O_WRONLY);
            dprintf(fd, "child %d: %lu\n", c, s);
            close(fd);
            exit(s == 10000 ? 0 : 4);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0)
            if (errno != EINTR) { perror("waitpid"); return 1; }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
        else { bad++; fprintf(stderr, "child %d: status %#x\n", c, (unsigned)st); }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    printf("fork_threads: %d children ok, %d failed\n", ok, bad);
    return bad ? 1 : 0;
}
