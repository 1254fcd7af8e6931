/* The timestamps a program's writes leave on its files must not depend on the recorder.
 *
 * Linux 6.13+ (multigrain timestamps; ext4, xfs, btrfs, tmpfs): a write stamps the file with the
 * coarse clock (the last tick) unless someone read the file's ctime or mtime since the last
 * change, in which case it takes a fine-grained stamp and dirties the inode.  A recorder that
 * fstat's a descriptor to learn what it is (file, pipe, tty) reads those times: the program's
 * next write then gets a fine-grained stamp, and a loop of open, write, close runs ~40% slower.
 *
 *   stamps DIR [--query]
 * creates FILES files in DIR; for each: open (create), write, write, close, then statx of its
 * birth and change times.  Two writes right after the create normally find the coarse clock
 * where the create left it, so the change time stays the birth time; a fine-grained stamp moves
 * it.  Prints whether it moved on most files (a tick falling in between moves it on a few).
 * Then a log file opened, written and closed 100 times.
 * --query: the program itself fstat's after the first write, which shows whether this kernel and
 * filesystem make the difference at all.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILES 200

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: stamps DIR [--query]\n"); return 2; }
    int query = argc > 2 && !strcmp(argv[2], "--query"), fine = 0;
    char path[4096], rec[64];
    memset(rec, 'r', sizeof rec);
    for (int i = 0; i < FILES; i++) {
        snprintf(path, sizeof path, "%s/stamp.%d", argv[1], i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) { perror(path); return 1; }
        if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec) { perror("write"); return 1; }
        if (query) { struct stat st; fstat(fd, &st); }
        if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec) { perror("write"); return 1; }
        close(fd);
        struct statx sx;
        if (statx(AT_FDCWD, path, 0, STATX_CTIME | STATX_BTIME, &sx)) { perror("statx"); return 1; }
        if (!(sx.stx_mask & STATX_BTIME)) { printf("no birth times here\n"); return 0; }
        if (sx.stx_ctime.tv_sec != sx.stx_btime.tv_sec || sx.stx_ctime.tv_nsec != sx.stx_btime.tv_nsec)
            fine++;
        unlink(path);
    }
    /* a log reopened per record: each open of the same path is the same kind of file */
    snprintf(path, sizeof path, "%s/stamp.log", argv[1]);
    for (int i = 0; i < 100; i++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0 || write(fd, rec, sizeof rec) != (ssize_t)sizeof rec) { perror(path); return 1; }
        close(fd);
    }
    unlink(path);
    printf("the writes moved the change time on most files: %s\n", fine > FILES / 2 ? "yes" : "no");
    return 0;
}
