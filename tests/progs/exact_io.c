/* Exactness: write()s exactly N bytes in M calls to DIR/exact_write.bin, fwrite()s exactly K
 * bytes (in 4000-byte calls) to DIR/exact_fwrite.bin, reads both back (read() and fread()) and
 * checks the contents, then makes exactly A malloc calls (optional, default 0).
 * Usage: exact_io N M K DIR [A].  Prints nothing on success (so every byte of file I/O in the
 * trace is one of ours); exits 1 with a message on stderr otherwise.
 * Expected in the trace: FILE_STATS for exact_write.bin with writes=M, write_bytes=N; for
 * exact_fwrite.bin write_bytes=K; the SAMPLE cells (file, write) sum to N+K bytes in
 * M + ceil(K/4000) calls, (file, read) to N+K bytes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

int main(int argc, char **argv)
{
    if (argc < 5) { fprintf(stderr, "usage: exact_io N M K DIR [MALLOCS]\n"); return 2; }
    long n = atol(argv[1]), m = atol(argv[2]), k = atol(argv[3]);
    long mallocs = argc > 5 ? atol(argv[5]) : 0;
    if (n < 0 || m <= 0 || k < 0 || n < m) { fprintf(stderr, "exact_io: need N >= M > 0, K >= 0\n"); return 2; }
    char wpath[4096], fpath[4096];
    snprintf(wpath, sizeof wpath, "%s/exact_write.bin", argv[4]);
    snprintf(fpath, sizeof fpath, "%s/exact_fwrite.bin", argv[4]);

    /* N bytes in exactly M write() calls: N/M each, the remainder in the last one. */
    size_t each = (size_t)(n / m), last = (size_t)(n - (m - 1) * (long)each);
    char *buf = malloc(last > 4000 ? last : 4000);
    if (!buf) die("malloc");
    for (size_t i = 0; i < (last > 4000 ? last : 4000); i++) buf[i] = (char)('a' + i % 26);
    int fd = open(wpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("open");
    for (long i = 0; i < m; i++) {
        size_t len = i == m - 1 ? last : each;
        if (write(fd, buf, len) != (ssize_t)len) die("write");
    }
    if (close(fd)) die("close");

    FILE *f = fopen(fpath, "w");
    if (!f) die("fopen");
    for (long done = 0; done < k;) {
        size_t len = k - done > 4000 ? 4000 : (size_t)(k - done);
        if (fwrite(buf, 1, len, f) != len) die("fwrite");
        done += (long)len;
    }
    if (fclose(f)) die("fclose");

    /* Read back: sizes and contents. */
    fd = open(wpath, O_RDONLY);
    if (fd < 0) die("open for reading");
    long got = 0;
    char rb[4096];
    for (;;) {
        ssize_t r = read(fd, rb, sizeof rb);
        if (r < 0) die("read");
        if (r == 0) break;
        got += r;
    }
    close(fd);
    if (got != n) { fprintf(stderr, "exact_io: read back %ld of %ld bytes\n", got, n); return 1; }
    f = fopen(fpath, "r");
    if (!f) die("fopen for reading");
    got = 0;
    for (;;) {
        size_t r = fread(rb, 1, sizeof rb, f);
        for (size_t i = 0; i < r; i++)
            if (rb[i] != (char)('a' + (size_t)(got + (long)i) % 4000 % 26)) { fprintf(stderr, "exact_io: bad byte\n"); return 1; }
        got += (long)r;
        if (r < sizeof rb) break;
    }
    fclose(f);
    if (got != k) { fprintf(stderr, "exact_io: fread back %ld of %ld bytes\n", got, k); return 1; }

    /* Exactly `mallocs` malloc calls (kept alive in pairs so none is optimized away). */
    void *volatile keep = 0;
    for (long i = 0; i < mallocs; i++) {
        void *p = malloc((size_t)(16 + i % 64));
        if (!p) die("malloc");
        free(keep);
        keep = p;
    }
    free(keep);
    free(buf);
    return 0;
}
