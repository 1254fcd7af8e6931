/* libFuzzer target for `phaseprof compress` (analyzer/compress.c), by its promise: whatever the
 * input — a good trace, a damaged one, junk — compressing it in place changes no record a reader
 * gets from it.  The input is written to a file (on /dev/shm when there is one: the compressor
 * fsyncs), compressed there, and both versions are read record by record: same kinds, threads,
 * chunk sequence numbers and bytes, in the same order.  A compressor error is a finding too (the
 * input is a plain file we own) unless no reader opens the input either (not a trace); "busy" is
 * not possible here and is one as well.  Built by
 * tests/fuzz/run.sh (long mode) with -fsanitize=fuzzer,address,undefined. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "reader.h"
#include "compress.h"
#include "mutate_trace.h"

typedef struct { unsigned kind; uint32_t tid; uint64_t seq; size_t len, off; } rec;   /* body at mem + off */

/* Every record of t, kinds and bodies copied into *mem (freed by the caller). */
static size_t records(pp_trace *t, rec **out, uint8_t **mem)
{
    size_t n = 0, cap = 0, used = 0, mcap = 0;
    rec *r = NULL;
    uint8_t *m = NULL;
    pp_rec x;
    pp_trace_rewind(t);
    while (pp_trace_next(t, &x)) {
        if (n == cap) { cap = cap ? 2 * cap : 64; r = realloc(r, cap * sizeof *r); }
        if (!m || used + x.len > mcap) { mcap = 2 * (used + x.len) + 256; m = realloc(m, mcap); }
        if (!r || !m) abort();
        memcpy(m + used, x.body, x.len);
        r[n++] = (rec){ (unsigned)x.kind, x.tid, x.seq, x.len, used };
        used += x.len;
    }
    *out = r;
    *mem = m;
    return n;
}

static char path[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(path, sizeof path, "%s/fuzz-compress-%d.pptrace", dir, (int)getpid());
        pp_reader_set_diag(pp_diag_quiet, NULL);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char err[512];
    pp_trace *a = pp_trace_open(path, err, sizeof err);
    rec *ra = NULL, *rb = NULL;
    uint8_t *ma = NULL, *mb = NULL;
    size_t na = a ? records(a, &ra, &ma) : 0;
    pp_zstats st;
    int rc = pp_compress_trace(path, 1, &st, err, sizeof err);
    /* refusing what no reader opens (not a trace) is right; anything else is a finding */
    if (rc != PP_Z_DONE && !(rc == PP_Z_ERROR && !a)) { fprintf(stderr, "compress: rc %d: %s\n", rc, err); abort(); }
    if (rc != PP_Z_DONE) { free(ra); free(ma); unlink(path); return 0; }
    pp_trace *b = pp_trace_open(path, err, sizeof err);
    if (!a != !b) { fprintf(stderr, "opens before %d, after %d: %s\n", !!a, !!b, err); abort(); }
    size_t nb = b ? records(b, &rb, &mb) : 0;
    if (na != nb) { fprintf(stderr, "%zu records before, %zu after compressing\n", na, nb); abort(); }
    for (size_t i = 0; i < na; i++)
        if (ra[i].kind != rb[i].kind || ra[i].tid != rb[i].tid || ra[i].seq != rb[i].seq ||
            ra[i].len != rb[i].len || memcmp(ma + ra[i].off, mb + rb[i].off, ra[i].len)) {
            fprintf(stderr, "record %zu differs after compressing (kind %u/%u, tid %u/%u, seq %llu/%llu)\n", i,
                    ra[i].kind, rb[i].kind, ra[i].tid, rb[i].tid, (unsigned long long)ra[i].seq,
                    (unsigned long long)rb[i].seq);
            abort();
        }
    if (a) pp_trace_close(a);
    if (b) pp_trace_close(b);
    free(ra); free(rb); free(ma); free(mb);
    unlink(path);
    return 0;
}
