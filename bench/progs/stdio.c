/* stdio: stdio records.  RECORDS short records written to a FILE* in the given directory,
 * alternating fprintf (a formatted line) and fputs (a fixed line); every 65,536 records the
 * stream goes back to the start (rewind), so the file stays small.  Measures the per-call cost
 * of the stdio hooks.
 *
 * usage: stdio [RECORDS (default 5000000)] [DIR (default /tmp)] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long records = argc > 1 ? strtol(argv[1], NULL, 10) : 5000000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/pp-bench-stdio.%ld", dir, (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); return 1; }
    for (long i = 0; i < records; i++) {
        if (i % 65536 == 0) rewind(f);
        int r = (i & 1) ? fputs("status=ok phase=steady\n", f)
                        : fprintf(f, "%08ld,item-%ld,%d\n", i, i % 1000, (int)(i % 97));
        if (r < 0) { perror("write record"); return 1; }
    }
    if (fclose(f)) { perror("fclose"); return 1; }
    unlink(path);
    printf("stdio records=%ld\n", records);
    return 0;
}
