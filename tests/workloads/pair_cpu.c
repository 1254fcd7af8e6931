/* Paired fix workloads, CPU fixes (the cost the fix speeds up: cpu time).  See pair_main.h.
 *
 *   pair_cpu --kind getc_fread|stride_seq --variant slow|fixed --setting K
 *
 * getc_fread: a 1-8 MiB file (written first, by both) scanned P times for its byte sum and line
 *             count: getc() per byte (slow) / fread() of 64 KiB blocks (fixed).  Both go through
 *             one stdio buffer, so the I/O is alike: the fix saves the per-character calls.
 * stride_seq: an N x N matrix of 32-bit integers summed P times: column by column, a cache miss
 *             per element (slow) / row by row (fixed).
 * Each interleaves compute between the passes (the unfixable part) and does a little other I/O
 * at the start. */
#include "pair_main.h"

/* ---- getc_fread */
struct getc_set { int mib, passes; long compute; };
static const struct getc_set getc_set[5] = {
    { 4, 10, 10000000 }, { 2, 20, 100000000 }, { 8, 4, 200000000 }, { 4, 6, 300000000 }, { 4, 12, 40000000 },
};
static uint64_t getc_fread_run(void)
{
    struct getc_set s = getc_set[setting];
    size_t fsz = (size_t)s.mib << 20;
    int passes = (int)scaled(s.passes);
    long per = scaled(s.compute) / passes;
    snprintf(params, sizeof params, "file=%zu passes=%d compute=%ld", fsz, passes, per * passes);
    uint64_t x = pair_other_io(256), sum = 0;
    char path[2300];
    pair_path(path, sizeof path, "gc");
    FILE *f = fopen(path, "w+");
    if (!f) pair_fatal(path);
    for (size_t i = 0; i < fsz; i++) putc(i % 61 == 60 ? '\n' : 'a' + (int)(i % 23), f);
    unsigned char *blk = malloc(65536);
    if (!blk) pair_fatal("malloc");
    for (int p = 0; p < passes; p++) {
        rewind(f);
        if (!fixed) {
            int c;
            while ((c = getc(f)) != EOF) sum += (uint64_t)c + (c == '\n' ? 1000 : 0);
        } else {
            size_t r;
            while ((r = fread(blk, 1, 65536, f)) > 0)
                for (size_t i = 0; i < r; i++) sum += (uint64_t)blk[i] + (blk[i] == '\n' ? 1000 : 0);
        }
        x = pair_compute(per, x);
    }
    fclose(f);
    unlink(path);
    free(blk);
    return sum + (x & 0xff);
}

/* ---- stride_seq */
struct stride_set { int n, passes; long compute; };
static const struct stride_set stride_set[5] = {
    { 4096, 3, 10000000 }, { 2048, 8, 100000000 }, { 4096, 2, 250000000 }, { 1536, 10, 300000000 }, { 3072, 4, 60000000 },
};
static uint64_t stride_seq_run(void)
{
    struct stride_set s = stride_set[setting];
    size_t n = (size_t)s.n;
    int passes = (int)scaled(s.passes);
    long per = scaled(s.compute) / passes;
    snprintf(params, sizeof params, "n=%zu passes=%d compute=%ld", n, passes, per * passes);
    uint64_t x = pair_other_io(256), sum = 0;
    uint32_t *m = malloc(n * n * sizeof *m);
    if (!m) pair_fatal("malloc");
    for (size_t i = 0; i < n * n; i++) m[i] = (uint32_t)(i * 2654435761u);
    for (int p = 0; p < passes; p++) {
        if (!fixed) { for (size_t c = 0; c < n; c++) for (size_t r = 0; r < n; r++) sum += m[r * n + c]; }
        else { for (size_t r = 0; r < n; r++) for (size_t c = 0; c < n; c++) sum += m[r * n + c]; }
        x = pair_compute(per, x);
    }
    free(m);
    return sum + (x & 0xff);
}

static const struct pair_kind kinds[] = {
    { "getc_fread", "cpu", "getc() per byte -> fread() of 64 KiB blocks", 5, getc_fread_run },
    { "stride_seq", "cpu", "column-major (strided) matrix walk -> row-major (sequential)", 5, stride_seq_run },
};

int main(int argc, char **argv)
{
    return pair_main(argc, argv, "pair_cpu", kinds, sizeof kinds / sizeof *kinds);
}
