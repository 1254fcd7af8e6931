/* Paired fix workloads, CPU fixes (the cost the fix speeds up: cpu time).  See pair_main.h.
 *
 *   pair_cpu --kind getc_fread|stride_seq|search_sorted|memo|sort_once --variant slow|fixed --setting K
 *
 * getc_fread: a 1-8 MiB file (written first, by both) scanned P times for its byte sum and line
 *             count: getc() per byte (slow) / fread() of 64 KiB blocks (fixed).  Both go through
 *             one stdio buffer, so the I/O is alike: the fix saves the per-character calls.
 * stride_seq: an N x N matrix of 32-bit integers summed P times: column by column, a cache miss
 *             per element (slow) / row by row (fixed).
 * search_sorted: N lookups of the first key >= a random value in a sorted array of 256-4096
 *             keys: linear scan (slow) / binary search (fixed).
 * memo:       N queries of an expensive function (a compute chain of 500-3000 steps) of 16-1024
 *             distinct arguments: computed every time (slow) / memoized (fixed).
 * sort_once:  B batches of Q queries for the median-or-above count of a fixed array of 64-1024
 *             keys: the array copied and sorted (qsort) for every query (slow) / sorted once (fixed).
 * Each interleaves compute between the passes (the unfixable part) and does a little other I/O
 * at the start. */
#include "pair_main.h"

/* ---- getc_fread */
struct getc_set { int mib, passes; long compute; };
static const struct getc_set getc_set[5] = {
    { 4, 10, 10000000 }, { 2, 20, 100000000 }, { 8, 4, 200000000 }, { 4, 6, 300000000 }, { 4, 12, 40000000 },
};
/* The fixable code of each kind is a function of its own (noinline: the profile names it, as
 * in a real program), listed in kinds[] as the functions the fix changes. */
__attribute__((noinline)) static uint64_t sum_getc(FILE *f)
{
    uint64_t sum = 0;
    int c;
    while ((c = getc(f)) != EOF) sum += (uint64_t)c + (c == '\n' ? 1000 : 0);
    return sum;
}

__attribute__((noinline)) static uint64_t sum_fread(FILE *f, unsigned char *blk)
{
    uint64_t sum = 0;
    size_t r;
    while ((r = fread(blk, 1, 65536, f)) > 0)
        for (size_t i = 0; i < r; i++) sum += (uint64_t)blk[i] + (blk[i] == '\n' ? 1000 : 0);
    return sum;
}

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
        sum += fixed ? sum_fread(f, blk) : sum_getc(f);
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
__attribute__((noinline)) static uint64_t sum_columns(const uint32_t *m, size_t n)
{
    uint64_t sum = 0;
    for (size_t c = 0; c < n; c++) for (size_t r = 0; r < n; r++) sum += m[r * n + c];
    return sum;
}

__attribute__((noinline)) static uint64_t sum_rows(const uint32_t *m, size_t n)
{
    uint64_t sum = 0;
    for (size_t r = 0; r < n; r++) for (size_t c = 0; c < n; c++) sum += m[r * n + c];
    return sum;
}

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
        sum += fixed ? sum_rows(m, n) : sum_columns(m, n);
        x = pair_compute(per, x);
    }
    free(m);
    return sum + (x & 0xff);
}

/* The first index of the sorted key[0..m) whose key is >= want (m if none). */
__attribute__((noinline)) static int lower_bound(const uint32_t *key, int m, uint32_t want)
{
    int lo = 0, hi = m;
    while (lo < hi) { int mid = (lo + hi) / 2; if (key[mid] < want) lo = mid + 1; else hi = mid; }
    return lo;
}

/* The same by a linear scan. */
__attribute__((noinline)) static int scan_linear(const uint32_t *key, int m, uint32_t want)
{
    for (int k = 0; k < m; k++) if (key[k] >= want) return k;
    return m;
}

/* ---- search_sorted: lookups in a sorted array of M keys (size = M) */
struct search_set { long lookups; int keys; long compute; };
static const struct search_set search_set[5] = {
    { 1500000, 1024, 10000000 }, { 1000000, 512, 100000000 }, { 300000, 4096, 200000000 },
    { 3000000, 256, 150000000 }, { 600000, 2048, 50000000 },
};
static uint64_t search_sorted_run(void)
{
    struct search_set s = search_set[setting];
    long n = scaled(s.lookups), chunk = 1000, per = scaled(s.compute) / (n / chunk + 1);
    int m = s.keys;
    snprintf(params, sizeof params, "lookups=%ld keys=%d compute=%ld", n, m, per * (n / chunk + 1));
    uint64_t x = pair_other_io(256), sum = 0, r = 88172645463325252ull;
    uint32_t *key = malloc((size_t)m * sizeof *key);
    if (!key) pair_fatal("malloc");
    for (int i = 0; i < m; i++) key[i] = (uint32_t)i * 7u + 3u;
    for (long i = 0; i < n; i++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        uint32_t want = (uint32_t)(r % ((uint64_t)m * 7u + 8u));
        int at = fixed ? lower_bound(key, m, want) : scan_linear(key, m, want);
        sum += (uint64_t)at;
        if (i % chunk == 0) x = pair_compute(per, x);
    }
    free(key);
    return sum + (x & 0xff);
}

/* ---- memo: N queries of an expensive function of K distinct arguments */
struct memo_set { long queries; int distinct; long cost, compute; };
static const struct memo_set memo_set[5] = {
    { 200000, 64, 1500, 10000000 }, { 100000, 256, 2000, 150000000 }, { 50000, 1024, 3000, 200000000 },
    { 300000, 16, 500, 200000000 }, { 150000, 512, 1000, 50000000 },
};
/* The function memoized: a chain like pair_compute's, but its own code. */
__attribute__((noinline)) static uint64_t expensive(long steps, uint64_t x)
{
    for (long i = 0; i < steps; i++) {
        x = x * 2862933555777941757ull + 3037000493ull;
        x ^= x >> 31;
    }
    return x;
}

static uint64_t memo_run(void)
{
    struct memo_set s = memo_set[setting];
    long n = scaled(s.queries), chunk = 100, per = scaled(s.compute) / (n / chunk + 1);
    snprintf(params, sizeof params, "queries=%ld distinct=%d cost=%ld compute=%ld", n, s.distinct, s.cost, per * (n / chunk + 1));
    uint64_t x = pair_other_io(256), sum = 0, *memo = calloc((size_t)s.distinct, sizeof *memo);
    unsigned char *have = calloc((size_t)s.distinct, 1);
    if (!memo || !have) pair_fatal("calloc");
    for (long i = 0; i < n; i++) {
        int k = (int)((i * 2654435761u) % (unsigned)s.distinct);
        uint64_t v;
        if (fixed && have[k]) v = memo[k];
        else { v = expensive(s.cost, (uint64_t)k + 1); memo[k] = v; have[k] = 1; }
        sum += v & 0xffff;
        if (i % chunk == 0) x = pair_compute(per, x);
    }
    free(memo); free(have);
    return sum + (x & 0xff);
}

/* ---- sort_once: the same array sorted again per query */
struct sort_set { long queries; int keys; long compute; };
static const struct sort_set sort_set[5] = {
    { 40000, 256, 10000000 }, { 20000, 512, 100000000 }, { 8000, 1024, 200000000 },
    { 100000, 64, 150000000 }, { 30000, 128, 40000000 },
};
__attribute__((noinline)) static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}
__attribute__((noinline)) static void sorted_copy(uint32_t *sorted, const uint32_t *key, int m)
{
    memcpy(sorted, key, (size_t)m * sizeof *key);
    qsort(sorted, (size_t)m, sizeof *sorted, cmp_u32);
    __asm__ volatile("" ::: "memory");   /* no tail call: qsort's samples stay under this frame */
}

static uint64_t sort_once_run(void)
{
    struct sort_set s = sort_set[setting];
    long n = scaled(s.queries), chunk = 100, per = scaled(s.compute) / (n / chunk + 1);
    int m = s.keys;
    snprintf(params, sizeof params, "queries=%ld keys=%d compute=%ld", n, m, per * (n / chunk + 1));
    uint64_t x = pair_other_io(256), sum = 0, r = 0x853c49e6748fea9bull;
    uint32_t *key = malloc((size_t)m * sizeof *key), *sorted = malloc((size_t)m * sizeof *sorted);
    if (!key || !sorted) pair_fatal("malloc");
    for (int i = 0; i < m; i++) { r ^= r << 13; r ^= r >> 7; r ^= r << 17; key[i] = (uint32_t)r; }
    if (fixed) sorted_copy(sorted, key, m);
    for (long i = 0; i < n; i++) {
        if (!fixed) sorted_copy(sorted, key, m);
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        sum += (uint64_t)(m - lower_bound(sorted, m, (uint32_t)r));   /* keys >= the value */
        if (i % chunk == 0) x = pair_compute(per, x);
    }
    free(key); free(sorted);
    return sum + (x & 0xff);
}

static const struct pair_kind kinds[] = {
    { "search_sorted", "cpu", "linear scan of a sorted array -> binary search", 5, search_sorted_run, "scan_linear" },
    { "memo", "cpu", "recompute an expensive function per query -> memoize", 5, memo_run, "expensive" },
    { "getc_fread", "cpu", "getc() per byte -> fread() of 64 KiB blocks", 5, getc_fread_run, "sum_getc" },
    { "stride_seq", "cpu", "column-major (strided) matrix walk -> row-major (sequential)", 5, stride_seq_run, "sum_columns" },
    { "sort_once", "cpu", "copy and sort an array for every query -> sort it once", 5, sort_once_run, "sorted_copy,cmp_u32" },
};

int main(int argc, char **argv)
{
    return pair_main(argc, argv, "pair_cpu", kinds, sizeof kinds / sizeof *kinds);
}
