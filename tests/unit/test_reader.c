/* Unit tests for analyzer/reader.c.  Traces are written with tests/unit/tracegen.h and read back:
 * every record kind with known values, the string and stack tables, truncation at every byte,
 * bad magic and version, damaged chunks (every byte of one flipped in turn), unknown kinds,
 * short and long bodies, malformed records, kind selection, and directories.
 * Prints PASS/FAIL lines for tests/run.sh.  Run it under `make ASAN=1` too: the in-memory inputs
 * are copied to exact-size allocations so any over-read is caught. */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "reader.h"
#include "tracegen.h"

#include "check.h"

/* captured diagnostics */
static int ndiag;
static char last_diag[600];
static uint64_t last_off;
static void capture(void *ctx, const char *path, uint64_t off, const char *what)
{
    (void)ctx;
    ndiag++;
    last_off = off;
    snprintf(last_diag, sizeof last_diag, "%s: offset %" PRIu64 ": %s", path, off, what);
}

/* Opens a copy of [p, p+n) in an exact-size allocation (so ASan sees over-reads). */
static uint8_t *copy_of;
static pp_trace *open_copy(const uint8_t *p, size_t n, char *err, size_t errlen)
{
    free(copy_of);
    copy_of = malloc(n ? n : 1);
    memcpy(copy_of, p, n);
    ndiag = 0;
    last_diag[0] = 0;
    return pp_trace_open_mem(copy_of, n, "test.pptrace", err, errlen);
}

static size_t count_records(pp_trace *t)
{
    pp_rec r;
    size_t n = 0;
    pp_trace_rewind(t);
    while (pp_trace_next(t, &r)) n++;
    return n;
}

/* ---- every kind, generic values from the field types ---- */

static uint64_t val_u(unsigned kind, unsigned i) { return (uint64_t)kind * 1000003u + i * 7919u + (i % 3 == 0 ? (1ull << 40) : 0); }
static int64_t val_s(unsigned kind, unsigned i) { return (i & 1) ? -(int64_t)val_u(kind, i) : (int64_t)val_u(kind, i); }

static void write_generic(tg *g, const pp_kind_info *k, uint64_t *ts, uint64_t *ptr)
{
    tg_rec(g, k->id);
    for (unsigned i = 0; i < k->nfields; i++) {
        char s[64];
        switch (k->types[i]) {
        case 't': *ts += 1000 + i; tg_t(g, *ts); break;
        case 'p': *ptr = (*ptr & 1) ? *ptr - 4096 * i : 0x7f0000000000ull + 64 * i * k->id; tg_p(g, *ptr); break;
        case 's': tg_s(g, val_s(k->id, i)); break;
        case 'S': case 'B':
            snprintf(s, sizeof s, "%s.%s \"q\"\n\x01", k->name, k->fields[i]);
            tg_str(g, s, strlen(s));
            break;
        case 'A': {
            uint64_t a[4] = { i, val_u(k->id, i), UINT64_MAX, 0 };
            tg_arr(g, a, 4);
            break;
        }
        case 'L': {
            snprintf(s, sizeof s, "%s#%u", k->name, i);
            const char *l[3] = { s, "", "x y" };
            tg_list(g, l, 3);
            break;
        }
        default: tg_u(g, val_u(k->id, i)); break;
        }
    }
    tg_end(g);
}

static const char *check_generic(const pp_rec *r, const pp_kind_info *k, uint64_t *ts, uint64_t *ptr)
{
    static char why[200];
    if (r->info != k || r->kind != k->id) return "wrong kind";
    if (r->nfields != k->nfields) return "not every field present";
    for (unsigned i = 0; i < k->nfields; i++) {
        const pp_val *v = &r->v[i];
        char s[64];
        int ok = 1;
        switch (k->types[i]) {
        case 't': *ts += 1000 + i; ok = v->u == *ts; break;
        case 'p': *ptr = (*ptr & 1) ? *ptr - 4096 * i : 0x7f0000000000ull + 64 * i * k->id; ok = v->u == *ptr; break;
        case 's': ok = v->s == val_s(k->id, i); break;
        case 'S': case 'B':
            snprintf(s, sizeof s, "%s.%s \"q\"\n\x01", k->name, k->fields[i]);
            ok = v->b.len == strlen(s) && !memcmp(v->b.p, s, v->b.len);
            break;
        case 'A': {
            uint64_t a[4] = { i, val_u(k->id, i), UINT64_MAX, 0 }, x;
            pp_iter it = pp_iter_of(*v);
            ok = v->b.count == 4;
            for (int j = 0; j < 4 && ok; j++) ok = pp_iter_u(&it, &x) && x == a[j];
            ok = ok && !pp_iter_u(&it, &x);
            break;
        }
        case 'L': {
            snprintf(s, sizeof s, "%s#%u", k->name, i);
            const char *l[3] = { s, "", "x y" };
            pp_iter it = pp_iter_of(*v);
            const uint8_t *str; size_t n;
            ok = v->b.count == 3;
            for (int j = 0; j < 3 && ok; j++) ok = pp_iter_str(&it, &str, &n) && n == strlen(l[j]) && !memcmp(str, l[j], n);
            ok = ok && !pp_iter_str(&it, &str, &n);
            break;
        }
        default: ok = v->u == val_u(k->id, i); break;
        }
        if (!ok) {
            snprintf(why, sizeof why, "%s.%s (type %c) read back wrong", k->name, k->fields[i], k->types[i]);
            return why;
        }
    }
    return NULL;
}

static void test_roundtrip_all_kinds(void)
{
    tg g;
    tg_init(&g);
    uint64_t ts = 5000000000ull, ptr = 0;
    tg_chunk(&g, 42, 0, ts);
    unsigned nk = 0;
    for (unsigned id = 0; id < 256; id++) {
        const pp_kind_info *k = pp_kind(id);
        if (!k) continue;
        write_generic(&g, k, &ts, &ptr);
        nk++;
    }
    tg_flush(&g);
    char err[256] = "";
    pp_trace *t = open_copy(g.buf, g.len, err, sizeof err);
    if (!t) { result("roundtrip_all_kinds", 0, "open failed: %s", err); tg_free(&g); return; }
    pp_rec r;
    ts = 5000000000ull; ptr = 0;
    const char *why = NULL;
    unsigned seen = 0;
    for (unsigned id = 0; id < 256 && !why; id++) {
        const pp_kind_info *k = pp_kind(id);
        if (!k) continue;
        if (!pp_trace_next(t, &r)) { why = "fewer records than written"; break; }
        if (r.tid != 42 || r.seq != 0) { why = "chunk tid/seq wrong"; break; }
        why = check_generic(&r, k, &ts, &ptr);
        seen++;
    }
    if (!why && pp_trace_next(t, &r)) why = "more records than written";
    result("roundtrip_all_kinds", !why && seen == nk && nk == PP_K_MAX - 1, "%s (kinds %u)", why ? why : "count", nk);
    const pp_trace_stats *st = pp_trace_stats_of(t);
    result("roundtrip_stats", st->chunks == 1 && st->records == nk && !st->bad_chunks && !st->truncated &&
           st->complete && st->has_header && st->threads == 1 && ndiag == 0,
           "chunks=%" PRIu64 " records=%" PRIu64 " bad=%" PRIu64 " diag=%d", st->chunks, st->records, st->bad_chunks, ndiag);
    /* named access agrees with the array */
    const struct pp_r_HEADER *h = pp_trace_header(t);
    result("header_accessor", h && h->pid.u == val_u(PP_K_HEADER, 0) && h->rank.s == val_s(PP_K_HEADER, 14) &&
           h->exe.b.len > 0 && !memcmp(h->exe.b.p, "HEADER.exe", 10), "header fields wrong");
    const struct pp_r_FOOTER *f = pp_trace_footer(t);
    result("footer_accessor", f && f->flags.u == val_u(PP_K_FOOTER, 6) && f->exit_status.s == val_s(PP_K_FOOTER, 8),
           "footer fields wrong");
    pp_trace_close(t);

    /* the same through a file on disk (pread window path) */
    char path[] = "/tmp/pp_test_reader_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    tg_save(&g, path);
    t = pp_trace_open(path, err, sizeof err);
    ts = 5000000000ull; ptr = 0;
    why = t ? NULL : err;
    for (unsigned id = 0; id < 256 && !why; id++) {
        const pp_kind_info *k = pp_kind(id);
        if (!k) continue;
        if (!pp_trace_next(t, &r)) { why = "fewer records than written"; break; }
        why = check_generic(&r, k, &ts, &ptr);
    }
    result("roundtrip_from_file", !why, "%s", why);
    pp_trace_close(t);
    unlink(path);
    tg_free(&g);
}

/* ---- string and stack tables, multi-chunk, lazy strings ---- */

static void build_small(tg *g)
{
    tg_init(g);
    tg_chunk(g, 0, 0, 1000);
    tg_header(g, 100, 1, 1000, 1700000000000000000ull, "/bin/prog");
    tg_flush(g);
    tg_chunk(g, 101, 1, 2000);
    tg_rec(g, PP_K_MARK); tg_t(g, 2500); tg_u(g, 101); tg_u(g, 0); tg_u(g, 7); tg_end(g);  /* uses id 7 */
    uint64_t frames[3] = { 0x401000, 0x402000, 0x403000 };
    tg_rec(g, PP_K_STACK); tg_u(g, 3); tg_arr(g, frames, 3); tg_end(g);
    tg_rec(g, PP_K_CPU_SAMPLE); tg_t(g, 3000); tg_u(g, 101); tg_u(g, 3); tg_end(g);
    tg_flush(g);
    tg_chunk(g, 102, 2, 2100);
    tg_string(g, 7, "phase one");           /* defined after its use, in another chunk */
    tg_rec(g, PP_K_ALLOC_SAMPLE); tg_t(g, 2200); tg_u(g, 102); tg_p(g, 0x7fff0000); tg_u(g, 64); tg_u(g, 4096); tg_u(g, 0); tg_end(g);
    tg_rec(g, PP_K_FREE_SAMPLE); tg_t(g, 2300); tg_u(g, 102); tg_p(g, 0x7fff0000); tg_end(g);
    tg_flush(g);
    tg_chunk(g, 0, 3, 4000);
    tg_footer(g, 4100, PP_FOOT_DROPPED);
    tg_flush(g);
}
#define SMALL_RECORDS 8

static void test_tables(void)
{
    tg g;
    build_small(&g);
    char err[256];
    pp_trace *t = open_copy(g.buf, g.len, err, sizeof err);
    if (!t) { result("tables", 0, "%s", err); tg_free(&g); return; }
    size_t n;
    const char *s = pp_trace_string(t, 7, &n);
    result("string_defined_after_use", s && n == 9 && !strcmp(s, "phase one"), "got %s", s ? s : "(null)");
    result("string_undefined_is_null", !pp_trace_string(t, 8, NULL) && !pp_trace_string(t, 0, NULL), "not null");
    const uint64_t *fr = pp_trace_stack(t, 3, &n);
    result("stack_table", fr && n == 3 && fr[0] == 0x401000 && fr[2] == 0x403000, "wrong");
    const pp_trace_stats *st = pp_trace_stats_of(t);
    result("small_stats", st->chunks == 4 && st->records == SMALL_RECORDS && st->complete && st->threads == 2 &&
           st->first_ns == 2200 && st->last_ns == 4100 && !st->undefined_strings,
           "chunks=%" PRIu64 " records=%" PRIu64 " first=%" PRIu64 " last=%" PRIu64, st->chunks, st->records,
           st->first_ns, st->last_ns);
    /* pointer and time deltas restart per chunk */
    pp_rec r;
    int ok = 0;
    while (pp_trace_next(t, &r)) {
        if (r.kind == PP_K_FREE_SAMPLE) ok = r.FREE_SAMPLE.ptr.u == 0x7fff0000 && r.FREE_SAMPLE.ts.u == 2300 && r.tid == 102 && r.seq == 2;
    }
    result("running_pointer_and_time", ok, "FREE_SAMPLE decoded wrong");

    /* selection: only MARK and FOOTER, the footer's time still right */
    unsigned sel[] = { PP_K_MARK, PP_K_FOOTER };
    pp_trace_select(t, sel, 2);
    pp_trace_rewind(t);
    int marks = 0, foot = 0, other = 0;
    while (pp_trace_next(t, &r)) {
        if (r.kind == PP_K_MARK) marks += r.MARK.ts.u == 2500 && r.MARK.name.u == 7;
        else if (r.kind == PP_K_FOOTER) foot += r.FOOTER.ts.u == 4100;
        else other++;
    }
    result("select_kinds", marks == 1 && foot == 1 && !other, "marks=%d footer=%d other=%d", marks, foot, other);
    /* the chunk index says which kinds each chunk holds: a selection skips the others whole */
    size_t with_mark = 0, with_footer = 0, mark_bits = 0;
    for (size_t i = 0; i < pp_trace_nchunks(t); i++) {
        uint64_t k = pp_trace_chunk(t, i)->kinds;
        with_mark += !!(k & (1ull << PP_K_MARK));
        with_footer += !!(k & (1ull << PP_K_FOOTER));
        mark_bits += k != 0;
    }
    result("chunk_kinds_index", with_mark == 1 && with_footer == 1 && mark_bits == pp_trace_nchunks(t),
           "%zu chunks with a MARK, %zu with the FOOTER, %zu of %zu with any kind", with_mark, with_footer,
           mark_bits, pp_trace_nchunks(t));
    pp_trace_select(t, NULL, 0);
    result("select_all_again", count_records(t) == SMALL_RECORDS, "count");
    /* chunk index */
    const pp_chunk_info *c = pp_trace_chunk(t, 1);
    result("chunk_index", pp_trace_nchunks(t) == 4 && c && c->tid == 101 && c->seq == 1 && c->records == 3 &&
           c->first_ns == 2500 && c->last_ns == 3000, "wrong");
    /* seek: start at the third chunk */
    pp_trace_seek(t, 2);
    int got = pp_trace_next(t, &r);
    result("seek_to_chunk", got && r.kind == PP_K_STRING && r.chunk == 2 && count_records(t) == SMALL_RECORDS,
           "kind=%" PRIu64, r.kind);
    pp_trace_close(t);
    tg_free(&g);
}

/* ---- truncation at every byte ---- */

static void test_truncation(void)
{
    tg g;
    build_small(&g);
    /* chunk ends, to know how many records are complete at each cut */
    size_t ends[8], nends = 0, recs_at[8];
    size_t off = 16;
    size_t per_chunk[4] = { 1, 3, 3, 1 };
    while (off < g.len && nends < 8) {
        uint32_t len;
        memcpy(&len, g.buf + off + 4, 4);
        off += 32 + len;
        recs_at[nends] = (nends ? recs_at[nends - 1] : 0) + per_chunk[nends];
        ends[nends++] = off;
    }
    int bad = 0;
    char first_bad[1000] = "";
    for (size_t cut = 0; cut <= g.len; cut++) {
        char err[256] = "";
        pp_trace *t = open_copy(g.buf, cut, err, sizeof err);
        size_t want = 0, boundary = cut <= 16 && cut == 16;
        for (size_t i = 0; i < nends; i++) {
            if (ends[i] <= cut) want = recs_at[i];
            if (ends[i] == cut) boundary = 1;
        }
        const pp_trace_stats *st = t ? pp_trace_stats_of(t) : NULL;
        size_t got = t ? count_records(t) : 0;
        int ok = t && got == want && st->bad_chunks == 0 && st->truncated == !boundary &&
                 st->complete == (cut == g.len) && ndiag == 0;
        if (!ok && !bad++)
            snprintf(first_bad, sizeof first_bad, "cut at %zu: %s records=%zu want=%zu truncated=%d bad=%" PRIu64 " diag=%s",
                     cut, t ? "" : err, got, want, st ? st->truncated : -1, st ? st->bad_chunks : 0, last_diag);
        pp_trace_close(t);
    }
    result("truncated_at_every_byte", !bad, "%d cuts wrong; first: %s", bad, first_bad);
    tg_free(&g);
}

/* ---- preamble ---- */

static void test_preamble(void)
{
    char err[256] = "";
    tg g;
    memset(&g, 0, sizeof g);
    tg_preamble(&g, "NOTPHASE", 1, 16);
    pp_trace *t = open_copy(g.buf, g.len, err, sizeof err);
    result("bad_magic_rejected", !t && strstr(err, "test.pptrace") && strstr(err, "offset 0") && strstr(err, "magic"),
           "err=%s", err);
    pp_trace_close(t);
    tg_free(&g);

    tg_preamble(&g, PP_MAGIC, 2, 16);
    t = open_copy(g.buf, g.len, err, sizeof err);
    result("bad_version_rejected", !t && strstr(err, "offset 8") && strstr(err, "version 2"), "err=%s", err);
    pp_trace_close(t);
    tg_free(&g);

    tg_preamble(&g, PP_MAGIC, 1, 3);
    t = open_copy(g.buf, g.len, err, sizeof err);
    result("bad_preamble_length_rejected", !t && strstr(err, "offset 12"), "err=%s", err);
    pp_trace_close(t);
    tg_free(&g);

    /* a longer preamble is skipped (room for v1 to grow) */
    tg_preamble(&g, PP_MAGIC, 1, 24);
    tg_raw(&g, "\0\0\0\0\0\0\0\0", 8);
    g.tid = 5; tg_chunk(&g, 5, 0, 10);
    tg_rec(&g, PP_K_MARK); tg_t(&g, 11); tg_u(&g, 5); tg_u(&g, 0); tg_u(&g, 0); tg_end(&g);
    tg_flush(&g);
    t = open_copy(g.buf, g.len, err, sizeof err);
    result("long_preamble_skipped", t && count_records(t) == 1, "err=%s", err);
    pp_trace_close(t);
    tg_free(&g);

    t = open_copy((const uint8_t *)"short", 5, err, sizeof err);
    result("short_foreign_file_rejected", !t && strstr(err, "magic"), "err=%s", err);
    pp_trace_close(t);

    /* missing file */
    t = pp_trace_open("/nonexistent/x.pptrace", err, sizeof err);
    result("missing_file_error", !t && strstr(err, "/nonexistent/x.pptrace"), "err=%s", err);
}

/* ---- damage ---- */

static void build_three(tg *g, size_t *c2_start, size_t *c2_end)
{
    tg_init(g);
    for (unsigned c = 0; c < 3; c++) {
        if (c == 1) *c2_start = g->len;
        tg_chunk(g, 10 + c, c, 1000 * c);
        for (unsigned i = 0; i < 5; i++) {
            tg_rec(g, PP_K_MARK); tg_t(g, 1000 * c + i); tg_u(g, 10 + c); tg_u(g, i); tg_u(g, 0); tg_end(g);
        }
        tg_flush(g);
        if (c == 1) *c2_end = g->len;
    }
}

static void test_corruption(void)
{
    tg g;
    size_t s2 = 0, e2 = 0;
    build_three(&g, &s2, &e2);
    uint8_t *copy = malloc(g.len);
    int bad = 0;
    char first_bad[1000] = "";
    for (size_t at = s2; at < e2; at++) {
        for (int bit = 0; bit < 8; bit += 7) {
            memcpy(copy, g.buf, g.len);
            copy[at] ^= (uint8_t)(1u << bit);
            char err[256] = "";
            pp_trace *t = open_copy(copy, g.len, err, sizeof err);
            const pp_trace_stats *st = t ? pp_trace_stats_of(t) : NULL;
            pp_rec r;
            int first = 0, third = 0, second = 0;
            while (t && pp_trace_next(t, &r)) {
                if (r.tid == 10 && r.MARK.ts.u == r.MARK.kind.u) first++;
                if (r.tid == 12 && r.MARK.ts.u == 2000 + r.MARK.kind.u) third++;
                if (r.tid == 11) second++;
            }
            int ok = t && first == 5 && third == 5 && second == 0 && st->bad_chunks == 1 && !st->truncated &&
                     ndiag >= 1 && last_off >= s2 && last_off < e2;
            if (!ok && !bad++)
                snprintf(first_bad, sizeof first_bad, "byte %zu bit %d: first=%d second=%d third=%d bad=%" PRIu64 " diag=%s",
                         at, bit, first, second, third, st ? st->bad_chunks : 0, last_diag);
            pp_trace_close(t);
        }
    }
    result("corrupted_chunk_skipped_every_byte", !bad, "%d cases wrong; first: %s", bad, first_bad);

    /* one flipped payload byte: a CRC failure, counted as such, offset reported */
    memcpy(copy, g.buf, g.len);
    copy[s2 + 40] ^= 0x10;
    char err[256];
    pp_trace *t = open_copy(copy, g.len, err, sizeof err);
    const pp_trace_stats *st = pp_trace_stats_of(t);
    result("crc_failure_counted", st->bad_crc == 1 && st->bad_chunks == 1 && st->chunks == 2 &&
           count_records(t) == 10 && strstr(last_diag, "CRC") && last_off == s2,
           "bad_crc=%" PRIu64 " diag=%s", st->bad_crc, last_diag);
    pp_trace_close(t);

    /* junk between chunks and at the end */
    tg g2;
    memset(&g2, 0, sizeof g2);
    tg_raw(&g2, g.buf, s2);
    tg_raw(&g2, "garbage PHCK garbage", 20);
    tg_raw(&g2, g.buf + s2, g.len - s2);
    tg_raw(&g2, "trailing junk that is long enough to be a chunk header", 54);
    t = open_copy(g2.buf, g2.len, err, sizeof err);
    st = pp_trace_stats_of(t);
    result("junk_between_and_after_chunks", st->chunks == 3 && st->bad_chunks == 2 && count_records(t) == 15 &&
           st->bad_bytes == 74 && !st->truncated, "chunks=%" PRIu64 " bad=%" PRIu64 " bytes=%" PRIu64,
           st->chunks, st->bad_chunks, st->bad_bytes);
    pp_trace_close(t);
    tg_free(&g2);

    /* a payload length over the limit */
    memcpy(copy, g.buf, g.len);
    uint32_t huge = PP_CHUNK_MAX + 1;
    memcpy(copy + s2 + 4, &huge, 4);
    t = open_copy(copy, g.len, err, sizeof err);
    st = pp_trace_stats_of(t);
    result("oversized_chunk_skipped", st->chunks == 2 && st->bad_chunks == 1 && strstr(last_diag, "limit"),
           "diag=%s", last_diag);
    pp_trace_close(t);
    free(copy);
    tg_free(&g);
}

/* ---- record-level rules ---- */

static void test_records(void)
{
    tg g;
    tg_init(&g);
    tg_chunk(&g, 9, 0, 100);
    tg_rec(&g, PP_K_MARK); tg_t(&g, 110); tg_u(&g, 9); tg_u(&g, 1); tg_u(&g, 0); tg_end(&g);
    /* unknown kind.  It must not hold t or p fields: a reader that does not know the kind cannot
     * follow them, so the running time would be wrong from there on (see docs/trace-format.md) */
    tg_rec(&g, 99); tg_u(&g, 500); tg_u(&g, 1); tg_cstr(&g, "future"); tg_end(&g);
    tg_rec(&g, 1000); tg_end(&g);                                                     /* unknown, empty */
    tg_rec(&g, PP_K_SAMPLE); tg_t(&g, 120); tg_u(&g, 10); tg_u(&g, 9); tg_end(&g);    /* short body */
    tg_rec(&g, PP_K_MARK); tg_t(&g, 130); tg_u(&g, 9); tg_u(&g, 2); tg_u(&g, 0);
    tg_u(&g, 77); tg_cstr(&g, "extra trailing field"); tg_end(&g);                   /* long body */
    tg_rec(&g, PP_K_MARK); tg_t(&g, 140); tg_u(&g, 9); tg_u(&g, 3); tg_u(&g, 0); tg_end(&g);
    tg_flush(&g);
    char err[256];
    pp_trace *t = open_copy(g.buf, g.len, err, sizeof err);
    pp_rec r;
    int n = 0, unknown = 0, ok_short = 0, ok_long = 0, ok_after = 0;
    while (t && pp_trace_next(t, &r)) {
        n++;
        if (!r.info) { unknown++; continue; }
        if (r.kind == PP_K_SAMPLE) {
            int z = 1;
            for (unsigned i = 3; i < r.info->nfields; i++) z &= r.v[i].u == 0 && r.v[i].b.p == NULL;
            ok_short = r.nfields == 3 && r.SAMPLE.ts.u == 120 && r.SAMPLE.dur.u == 10 && r.SAMPLE.tid.u == 9 && z &&
                       r.SAMPLE.io.b.count == 0 && r.SAMPLE.cpu_ns.u == 0;
        }
        if (r.kind == PP_K_MARK && r.MARK.kind.u == 2) ok_long = r.MARK.ts.u == 130 && r.nfields == 4;
        if (r.kind == PP_K_MARK && r.MARK.kind.u == 3) ok_after = r.MARK.ts.u == 140;
    }
    const pp_trace_stats *st = t ? pp_trace_stats_of(t) : NULL;
    result("unknown_kind_skipped", t && unknown == 2 && st->unknown_records == 2 && st->records == 6 && !st->bad_chunks,
           "unknown=%d", unknown);
    result("missing_trailing_fields_zero", ok_short, "short SAMPLE wrong");
    result("extra_trailing_bytes_skipped", ok_long && ok_after, "long MARK wrong");
    unsigned sel[] = { PP_K_MARK };
    pp_trace_select(t, sel, 1);
    pp_trace_rewind(t);
    n = 0;
    while (pp_trace_next(t, &r)) n += r.kind == PP_K_MARK;
    result("select_skips_unknown", n == 3, "n=%d", n);
    pp_trace_close(t);
    tg_free(&g);

    /* malformed records inside a chunk whose CRC is right: the chunk is skipped, the next read */
    struct { const char *name; void (*fill)(tg *); } cases[] = {
        { "malformed_varint_past_record", NULL }, { "malformed_string_past_record", NULL },
        { "malformed_length_past_chunk", NULL }, { "malformed_array_count", NULL },
    };
    for (int c = 0; c < 4; c++) {
        tg_init(&g);
        tg_chunk(&g, 1, 0, 0);
        tg_rec(&g, PP_K_MARK); tg_t(&g, 1); tg_u(&g, 1); tg_u(&g, 0); tg_u(&g, 0); tg_end(&g);
        size_t bad_at = 16 + 32 + g.clen;
        if (c == 0) { tg_rec(&g, PP_K_MARK); tg_t(&g, 2); tg_bytes_raw(&g, "\x80", 1); tg_end(&g); }
        if (c == 1) { tg_rec(&g, PP_K_EXEC); tg_t(&g, 2); tg_u(&g, 1); tg_u(&g, 50); tg_bytes_raw(&g, "abc", 3); tg_end(&g); }
        if (c == 2) { tg_payload_raw(&g, "\x0c\x7f\x01\x02", 4); }
        if (c == 3) { tg_rec(&g, PP_K_STACK); tg_u(&g, 1); tg_u(&g, 1000); tg_u(&g, 5); tg_end(&g); }
        tg_flush(&g);
        size_t end1 = g.len;
        tg_chunk(&g, 2, 1, 0);
        tg_rec(&g, PP_K_MARK); tg_t(&g, 3); tg_u(&g, 2); tg_u(&g, 0); tg_u(&g, 0); tg_end(&g);
        tg_flush(&g);
        t = open_copy(g.buf, g.len, err, sizeof err);
        st = t ? pp_trace_stats_of(t) : NULL;
        result(cases[c].name, t && st->malformed == 1 && st->bad_chunks == 1 && st->chunks == 1 &&
               count_records(t) == 1 && ndiag == 1 && last_off >= bad_at && last_off < end1,
               "off=%" PRIu64 " (record at %zu) diag=%s", last_off, bad_at, last_diag);
        pp_trace_close(t);
        tg_free(&g);
    }

    /* an i field naming no STRING is counted */
    tg_init(&g);
    tg_chunk(&g, 1, 0, 0);
    tg_string(&g, 1, "defined");
    tg_rec(&g, PP_K_MARK); tg_t(&g, 1); tg_u(&g, 1); tg_u(&g, 0); tg_u(&g, 1); tg_end(&g);
    tg_rec(&g, PP_K_MARK); tg_t(&g, 1); tg_u(&g, 1); tg_u(&g, 0); tg_u(&g, 2); tg_end(&g);
    tg_rec(&g, PP_K_MARK); tg_t(&g, 1); tg_u(&g, 1); tg_u(&g, 0); tg_u(&g, 2); tg_end(&g);
    tg_flush(&g);
    t = open_copy(g.buf, g.len, err, sizeof err);
    result("undefined_string_counted", t && pp_trace_stats_of(t)->undefined_strings == 1, "count wrong");
    pp_trace_close(t);
    tg_free(&g);

    /* empty file and preamble-only file: no records, no error */
    tg_init(&g);
    t = open_copy(g.buf, g.len, err, sizeof err);
    result("preamble_only_file", t && count_records(t) == 0 && !pp_trace_stats_of(t)->truncated &&
           !pp_trace_header(t), "err=%s", err);
    pp_trace_close(t);
    t = open_copy(g.buf, 0, err, sizeof err);
    result("empty_file_truncated", t && count_records(t) == 0 && pp_trace_stats_of(t)->truncated, "err=%s", err);
    pp_trace_close(t);
    tg_free(&g);
}

/* ---- directories ---- */

static void test_directory(void)
{
    char dir[] = "/tmp/pp_test_dir_XXXXXX";
    if (!mkdtemp(dir)) { result("directory", 0, "mkdtemp"); return; }
    char path[512], err[512];
    pp_set *s = pp_set_open(dir, err, sizeof err);
    result("empty_directory_error", !s && strstr(err, "no trace files"), "err=%s", err);
    /* three traces written out of start order, plus a non-trace and a bad one */
    uint64_t starts[3] = { 300, 100, 200 };
    for (int i = 0; i < 3; i++) {
        tg g;
        tg_init(&g);
        tg_chunk(&g, 0, 0, starts[i]);
        tg_header(&g, 1000 + (uint64_t)i, 1, starts[i], starts[i] * 1000, "/bin/x");
        tg_flush(&g);
        snprintf(path, sizeof path, "%s/h-%d.pptrace", dir, i);
        tg_save(&g, path);
        tg_free(&g);
    }
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    FILE *f = fopen(path, "w"); fputs("hello", f); fclose(f);
    snprintf(path, sizeof path, "%s/bad.pptrace", dir);
    f = fopen(path, "w"); fputs("definitely not a trace", f); fclose(f);
    fflush(stdout);
    int saved = dup(2);
    FILE *devnull = freopen("/dev/null", "w", stderr);   /* the bad file is reported on stderr */
    (void)devnull;
    s = pp_set_open(dir, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    int ok = s && s->n == 3 && s->failed == 1;
    for (size_t i = 0; ok && i < 3; i++) ok = pp_trace_header(s->traces[i])->pid.u == (uint64_t[]){ 1001, 1002, 1000 }[i];
    result("directory_sorted_by_start", ok, "n=%zu failed=%zu err=%s", s ? s->n : 0, s ? s->failed : 0, err);
    pp_set_close(s);
    snprintf(path, sizeof path, "%s/h-0.pptrace", dir);
    s = pp_set_open(path, err, sizeof err);
    result("set_of_one_file", s && s->n == 1, "err=%s", err);
    pp_set_close(s);
    /* clean up */
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(dir);
    s = pp_set_open(dir, err, sizeof err);
    result("missing_directory_error", !s && strstr(err, dir), "err=%s", err);
}

static void test_kind_table(void)
{
    const pp_kind_info *k = pp_kind(PP_K_SAMPLE);
    result("kind_table", k && !strcmp(k->name, "SAMPLE") && k->types[0] == 't' && !strcmp(k->fields[4], "counters") &&
           k->types[4] == 'A' && k->last_delta == 0 && pp_kind_by_name("FOOTER") == PP_K_FOOTER &&
           !pp_kind(0) && !pp_kind(PP_K_MAX) && pp_kind(PP_K_CALL)->last_delta == 2 &&
           pp_field_index(pp_kind(PP_K_FILE_STATS), "write_bytes") == 9 && !strcmp(pp_fn_name(PP_FN_write), "write") &&
           !pp_fn_name(PP_FN_COUNT), "table wrong");
}

int main(void)
{
    pp_reader_set_diag(capture, NULL);
    test_kind_table();
    test_roundtrip_all_kinds();
    test_tables();
    test_truncation();
    test_preamble();
    test_corruption();
    test_records();
    test_directory();
    free(copy_of);
    return failures != 0;
}
