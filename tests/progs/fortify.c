/* Pitfall 16: FORTIFY builds call __open_2, __read_chk, __pread_chk, __fread_chk, __fgets_chk,
 * __printf_chk, __fprintf_chk … instead of the plain names.  Built with _FORTIFY_SOURCE=2 (the
 * test-program rule optimizes, which fortify needs) and, so the test never depends on what the
 * compiler chose to check, the __*_chk entry points are also called by name.
 * Usage: fortify DIR.  Writes DIR/fortify.dat (4096 + 3000 bytes), reads it back through every
 * fortified entry point and prints what it read; the trace must count those reads as file reads. */
#undef _FORTIFY_SOURCE
#define _FORTIFY_SOURCE 2
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t __read_chk(int, void *, size_t, size_t);
ssize_t __pread_chk(int, void *, size_t, off_t, size_t);
ssize_t __pread64_chk(int, void *, size_t, off64_t, size_t);
size_t __fread_chk(void *, size_t, size_t, size_t, FILE *);
size_t __fread_unlocked_chk(void *, size_t, size_t, size_t, FILE *);
char *__fgets_chk(char *, size_t, int, FILE *);
char *__fgets_unlocked_chk(char *, size_t, int, FILE *);
int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __printf_chk(int, const char *, ...);
int __fprintf_chk(FILE *, int, const char *, ...);
int __dprintf_chk(int, int, const char *, ...);

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: fortify DIR\n"); return 2; }
    char path[4096];
    snprintf(path, sizeof path, "%s/fortify.dat", argv[1]);
    volatile int flags = O_WRONLY | O_CREAT | O_TRUNC;     /* not a constant: open checks at run time */
    int fd = open(path, flags, 0644);
    if (fd < 0) { perror("open"); return 1; }
    char block[4096];
    for (int i = 0; i < 4096; i++) block[i] = (char)('A' + i % 26);
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block) { perror("write"); return 1; }
    for (int i = 0; i < 100; i++) __dprintf_chk(fd, 1, "line %02d of the fortified file....\n", i);
    close(fd);

    char buf[8192];
    long total = 0;
    fd = __open_2(path, O_RDONLY);
    ssize_t r = __read_chk(fd, buf, 1000, sizeof buf);
    total += r;
    r = __pread_chk(fd, buf, 1000, 1000, sizeof buf);
    total += r;
    r = __pread64_chk(fd, buf, 1000, 2000, sizeof buf);
    total += r;
    r = read(fd, buf, sizeof buf);            /* fortified by the compiler when it can */
    total += r;
    close(fd);
    fd = __open64_2(path, O_RDONLY);
    r = pread(fd, buf, 96, 4000);
    total += r;
    close(fd);
    fd = __openat_2(AT_FDCWD, path, O_RDONLY);
    close(fd);
    __printf_chk(1, "read via fd: %ld bytes, last='%.4s'\n", total, buf + 92);

    FILE *f = fopen(path, "r");
    if (!f) { perror("fopen"); return 1; }
    size_t n = __fread_chk(buf, sizeof buf, 1, 4096, f);
    char line[128];
    int lines = 0;
    size_t line_bytes = 0;
    while (__fgets_chk(line, sizeof line, (int)sizeof line, f)) {
        lines++;
        line_bytes += strlen(line);
        if (lines == 50) break;
    }
    n += __fread_unlocked_chk(buf, sizeof buf, 1, 100, f);
    while (__fgets_unlocked_chk(line, sizeof line, (int)sizeof line, f)) { lines++; line_bytes += strlen(line); }
    fclose(f);
    __fprintf_chk(stdout, 1, "read via FILE: %zu bytes + %d lines, last: %s", n, lines, line);
    __printf_chk(1, "total read: %ld\n", total + (long)n + (long)line_bytes);
    return 0;
}
