/* Paired fix workloads, allocation fixes (the cost the fix speeds up: alloc).  See pair_main.h.
 *
 *   pair_alloc --kind pool|realloc_grow|buf_reuse --variant slow|fixed --setting K
 *
 * pool:         N steps over a live set of L objects of 16 B - S: each step frees one object and
 *               allocates its replacement with malloc/free (slow) / from a free list of
 *               preallocated slots (fixed).
 * realloc_grow: K arrays of 8-byte items appended to round-robin up to M items each, R rounds:
 *               realloc by one item per append (slow) / capacity doubling (fixed).
 * buf_reuse:    J jobs, each filling a buffer of 256 KiB - B with data and summing it: the buffer
 *               allocated zeroed (calloc) and freed per job (slow) / allocated once at the
 *               largest size and reused, never zeroed (fixed).
 * calib_alloc:  not a pair: the suite measures the recorder's own cost per allocation with it.
 * Each interleaves compute between the operations (the unfixable part) and does a little other
 * I/O at the start. */
#include "pair_main.h"

/* ---- pool */
struct pool_set { long n; int live, maxsz; long compute; };
static const struct pool_set pool_set[6] = {
    { 4000000, 65536, 1024, 10000000 }, { 3000000, 16384, 512, 80000000 }, { 2000000, 4096, 2048, 200000000 },
    { 1000000, 65536, 256, 300000000 }, { 3000000, 1024, 4096, 40000000 }, { 2000000, 262144, 128, 60000000 },
};
static uint64_t pool_run(void)
{
    struct pool_set s = pool_set[setting];
    long n = scaled(s.n), chunk = 1000, per = scaled(s.compute) / (n / chunk + 1);
    size_t L = (size_t)s.live, slot = (size_t)s.maxsz;
    snprintf(params, sizeof params, "steps=%ld live=%zu size=16-%zu compute=%ld", n, L, slot, per * (n / chunk + 1));
    uint64_t x = pair_other_io(256), r = 0x9e3779b97f4a7c15ull, sum = 0;
    char **obj = calloc(L, sizeof *obj), *arena = NULL, **freelist = NULL;
    size_t nfree = 0;
    if (!obj) pair_fatal("calloc");
    if (fixed) {
        arena = malloc(L * slot);
        freelist = malloc(L * sizeof *freelist);
        if (!arena || !freelist) pair_fatal("malloc");
        for (size_t k = 0; k < L; k++) freelist[nfree++] = arena + (L - 1 - k) * slot;
    }
    for (long i = 0; i < n; i++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        size_t k = (size_t)(r % L), sz = 16 + (size_t)((r >> 32) % (slot - 15));
        if (obj[k]) {
            sum += (unsigned char)obj[k][0];
            if (fixed) freelist[nfree++] = obj[k];
            else free(obj[k]);
        }
        obj[k] = fixed ? freelist[--nfree] : malloc(sz);
        if (!obj[k]) pair_fatal("malloc");
        obj[k][0] = (char)i;
        if (i % chunk == 0) x = pair_compute(per, x);
    }
    for (size_t k = 0; k < L; k++) if (obj[k]) { sum += (unsigned char)obj[k][0]; if (!fixed) free(obj[k]); }
    free(obj); free(arena); free(freelist);
    return sum + (x & 0xff);
}

/* ---- realloc_grow */
struct grow_set { int arrays, items, rounds; long compute; };
static const struct grow_set grow_set[5] = {
    { 16, 20000, 20, 10000000 }, { 8, 50000, 8, 100000000 }, { 64, 4000, 16, 200000000 },
    { 4, 100000, 6, 300000000 }, { 32, 10000, 20, 50000000 },
};
static uint64_t realloc_grow_run(void)
{
    struct grow_set s = grow_set[setting];
    int K = s.arrays, M = (int)scaled(s.items), R = s.rounds;
    long per = scaled(s.compute) / ((long)R * (M / 64 + 1));
    snprintf(params, sizeof params, "arrays=%d items=%d rounds=%d compute=%ld", K, M, R, per * R * (M / 64 + 1));
    uint64_t x = pair_other_io(256), sum = 0;
    uint64_t **a = calloc((size_t)K, sizeof *a);
    size_t *cap = calloc((size_t)K, sizeof *cap);
    if (!a || !cap) pair_fatal("calloc");
    for (int round = 0; round < R; round++) {
        for (int m = 0; m < M; m++) {
            for (int k = 0; k < K; k++) {
                if ((size_t)m + 1 > cap[k]) {
                    cap[k] = fixed ? (cap[k] ? cap[k] * 2 : 16) : (size_t)m + 1;
                    uint64_t *p = realloc(a[k], cap[k] * sizeof *p);
                    if (!p) pair_fatal("realloc");
                    a[k] = p;
                }
                a[k][m] = (uint64_t)m * (uint64_t)(k + 1);
            }
            if (m % 64 == 0) x = pair_compute(per, x);
        }
        for (int k = 0; k < K; k++) { sum += a[k][M - 1] + a[k][M / 2]; free(a[k]); a[k] = NULL; cap[k] = 0; }
    }
    free(a); free(cap);
    return sum + (x & 0xff);
}

/* ---- buf_reuse */
struct reuse_set { long jobs; int max_kib; long compute; };
static const struct reuse_set reuse_set[5] = {
    { 6000, 4096, 10000000 }, { 8000, 1024, 100000000 }, { 3000, 8192, 200000000 },
    { 12000, 512, 300000000 }, { 5000, 2048, 40000000 },
};
static uint64_t buf_reuse_run(void)
{
    struct reuse_set s = reuse_set[setting];
    long jobs = scaled(s.jobs), per = scaled(s.compute) / jobs;
    size_t max = (size_t)s.max_kib << 10;
    snprintf(params, sizeof params, "jobs=%ld size=256KiB-%dKiB compute=%ld", jobs, s.max_kib, per * jobs);
    uint64_t x = pair_other_io(256), r = 0x2545f4914f6cdd1dull, sum = 0;
    unsigned char *keep = fixed ? malloc(max) : NULL;
    if (fixed && !keep) pair_fatal("malloc");
    for (long j = 0; j < jobs; j++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        size_t n = (256u << 10) + (size_t)(r % (max - (256u << 10) + 1));
        unsigned char *b = fixed ? keep : calloc(n, 1);
        if (!b) pair_fatal("calloc");
        for (size_t i = 0; i < n; i += 64) b[i] = (unsigned char)(i + (size_t)j);
        for (size_t i = 0; i < n; i += 4096) sum += b[i];
        if (!fixed) free(b);
        x = pair_compute(per, x);
    }
    free(keep);
    return sum + (x & 0xff);
}

/* ---- calib_alloc: not a pair; the suite's measure of the recorder's own cost per allocation.
 * slow: N malloc(32) + free; fixed: none. */
static uint64_t calib_alloc_run(void)
{
    long n = scaled(3000000);
    snprintf(params, sizeof params, "allocations=%ld", fixed ? 0 : n);
    uint64_t sum = 0;
    for (long i = 0; !fixed && i < n; i++) {
        char *volatile p = malloc(32);
        if (!p) pair_fatal("malloc");
        p[0] = 1;
        sum += (uint64_t)p[0];
        free(p);
    }
    return fixed ? (uint64_t)n : sum;
}

static const struct pair_kind kinds[] = {
    { "calib_alloc", "calib", "(not a pair) malloc(32)+free -> none: the recorder's cost per allocation", 1, calib_alloc_run, NULL },
    { "pool", "alloc", "malloc/free per object -> free-list pool of preallocated slots", 6, pool_run, NULL },
    { "realloc_grow", "alloc", "realloc by one item per append -> capacity doubling", 5, realloc_grow_run, NULL },
    { "buf_reuse", "alloc", "a large zeroed buffer allocated and freed per job -> allocated once and reused", 5, buf_reuse_run, NULL },
};

int main(int argc, char **argv)
{
    return pair_main(argc, argv, "pair_alloc", kinds, sizeof kinds / sizeof *kinds);
}
