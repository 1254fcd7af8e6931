/* Pitfalls 9 and 10: posix_spawn and posix_spawnp, with a cleaned environment (no LD_PRELOAD,
 * no PHASEPROF_*), must still trace the spawned image and must not disturb the parent.
 *   posix_spawn  /bin/true                        envp = {NULL}
 *   posix_spawnp true                             envp = {"PATH=/usr/bin:/bin", NULL}
 *   posix_spawn  this program "spawned-child"     envp = {NULL}, stdout → /dev/null by a file action
 * The spawned child writes to stdout (discarded), so it has I/O worth tracing. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
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

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "spawned-child")) {
        for (int i = 0; i < 1000; i++) printf("line %d\n", i);
        return 3;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) { perror("readlink"); return 1; }
    self[n] = 0;

    char *empty[] = { NULL };
    char *pathonly[] = { "PATH=/usr/bin:/bin", NULL };
    char *true_argv[] = { "true", NULL };
    char *child_argv[] = { self, "spawned-child", NULL };
    pid_t p1, p2, p3;
    int r;
    if ((r = posix_spawn(&p1, "/bin/true", NULL, NULL, true_argv, empty))) {
        fprintf(stderr, "posix_spawn: %s\n", strerror(r)); return 1;
    }
    if ((r = posix_spawnp(&p2, "true", NULL, NULL, true_argv, pathonly))) {
        fprintf(stderr, "posix_spawnp: %s\n", strerror(r)); return 1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if ((r = posix_spawn(&p3, self, &fa, NULL, child_argv, empty))) {
        fprintf(stderr, "posix_spawn self: %s\n", strerror(r)); return 1;
    }
    posix_spawn_file_actions_destroy(&fa);
    /* A spawn that fails must report the same error with and without the preload. */
    pid_t p4;
    r = posix_spawn(&p4, "/nonexistent/program", NULL, NULL, true_argv, empty);
    int s1 = wait_for(p1), s2 = wait_for(p2), s3 = wait_for(p3);
    int s4 = r ? -r : wait_for(p4);
    printf("spawn: statuses %d %d %d, missing program: %d\n", s1, s2, s3, s4);
    return 0;
}
