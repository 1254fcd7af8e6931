/* Writes N short lines (default 3 M) into FILE through a small stdio buffer (512 bytes), fputs a
 * line: the calls are buffer copies and the time is in the buffer's flushes, which the report's
 * advice must say (not "every call pays a system call").  usage: stdio_lines FILE [N] */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: stdio_lines FILE [N]\n"); return 2; }
    long n = argc > 2 ? atol(argv[2]) : 3000000;
    FILE *f = fopen(argv[1], "w");
    if (!f) { perror(argv[1]); return 1; }
    static char buf[512];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    char line[32];
    for (long i = 0; i < n; i++) {
        snprintf(line, sizeof line, "%09ld\n", i * 7919 % 1000000007);
        fputs(line, f);
    }
    if (fclose(f)) { perror("fclose"); return 1; }
    printf("%ld lines\n", n);
    return 0;
}
