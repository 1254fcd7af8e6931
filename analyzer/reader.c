/* Trace reader (see reader.h for the contract): preamble check, the validating index pass with
 * resync past damage, the string and stack tables, generic record decoding from events.def, and
 * the directory set.
 *
 * Every read of trace bytes goes through src_at(), which hands out [off, off+n) only when all of
 * it exists, and every varint goes through pp_get_varint() with its end: that is what keeps a
 * hostile file from making us read out of bounds (the fuzzer checks it). */
#include "reader.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

/* ---- kind table, built from the X-macro ---- */

#define F(n, t) #n,
#define PP_REC(NAME, id, ...) static const char *const fields_##NAME[] = { __VA_ARGS__ NULL };
#include "phaseprof/events.def"
#undef PP_REC
#undef F

#define F(n, t) #t
#define PP_REC(NAME, id, ...) [id] = { #NAME, id, sizeof(__VA_ARGS__ "") - 1, __VA_ARGS__ "", fields_##NAME, -2 },
static pp_kind_info kinds[] = {
#include "phaseprof/events.def"
};
#undef PP_REC
#undef F
#define NKINDS (sizeof kinds / sizeof kinds[0])

static void kinds_init(void)
{
    static int done;
    if (done) return;
    for (size_t k = 0; k < NKINDS; k++) {
        if (!kinds[k].name) continue;
        int last = -1;
        for (unsigned i = 0; i < kinds[k].nfields; i++)
            if (kinds[k].types[i] == 't' || kinds[k].types[i] == 'p') last = (int)i;
        kinds[k].last_delta = last;
    }
    done = 1;
}

const pp_kind_info *pp_kind(uint64_t kind)
{
    kinds_init();
    return kind < NKINDS && kinds[kind].name ? &kinds[kind] : NULL;
}

unsigned pp_kind_by_name(const char *name)
{
    for (size_t k = 0; k < NKINDS; k++)
        if (kinds[k].name && !strcmp(kinds[k].name, name)) return (unsigned)k;
    return 0;
}

int pp_field_index(const pp_kind_info *k, const char *name)
{
    for (unsigned i = 0; k && i < k->nfields; i++)
        if (!strcmp(k->fields[i], name)) return (int)i;
    return -1;
}

static const char *const fn_names[] = {
#define PP_FN_NAME(n) #n,
    PP_FNS(PP_FN_NAME)
#undef PP_FN_NAME
};

const char *pp_fn_name(uint64_t fn) { return fn < PP_FN_COUNT ? fn_names[fn] : NULL; }

/* ---- diagnostics ---- */

static pp_diag_fn diag_fn;
static void *diag_ctx;

void pp_reader_set_diag(pp_diag_fn fn, void *ctx) { diag_fn = fn; diag_ctx = ctx; }
void pp_diag_quiet(void *ctx, const char *path, uint64_t off, const char *what)
{
    (void)ctx; (void)path; (void)off; (void)what;
}

/* ---- the trace object ---- */

#define DIAG_MAX 20              /* the default hook prints this many per file */
#define WINDOW (4u << 20)        /* read window: holds any chunk (PP_CHUNK_MAX + header) */

/* id → (offset, length) in an arena; open addressing, ids are dense from 1 but a damaged trace
 * may use any 64-bit value, so no direct indexing. */
typedef struct idmap {
    uint64_t *keys;              /* 0 = empty slot (id 0 means "none" and is never stored) */
    uint64_t *off;
    uint32_t *len;
    size_t cap, n;
} idmap;

struct pp_trace {
    char *path;
    int fd;
    const uint8_t *mem;          /* in-memory source (pp_trace_open_mem), else NULL */
    uint64_t size;               /* bytes we read: the size at open */
    uint64_t start;              /* end of the preamble */
    /* read window */
    uint8_t *win;
    uint64_t win_off, win_len;
    uint8_t *zraw;               /* a compressed chunk's payload, decompressed (PP_CHUNK_MAX) */
    uint64_t zraw_off;           /* the file offset of the chunk zraw holds (0: none) */
    uint32_t zraw_len;
    ZSTD_DCtx *zctx;
    char zwhy[160];
    pp_trace_stats st;
    unsigned ndiag;
    /* tables */
    idmap strings, stacks;
    idmap refs;                  /* string ids used by i fields (index pass only) */
    pp_buf str_arena;            /* string bytes, each NUL-terminated */
    uint64_t *frames; size_t nframes, cap_frames;
    pp_chunk_info *chunks; size_t nchunks, cap_chunks;
    uint8_t *header_body, *footer_body;
    struct pp_r_HEADER header;
    struct pp_r_FOOTER footer;
    pp_u64map tids;              /* distinct chunk tids (index pass only) */
    /* iteration */
    uint8_t want[256];           /* by kind; want[255] stands for every kind >= 255 */
    int want_all;
    uint64_t want_mask;          /* the same as bits (kind 63 and up: bit 63), to skip chunks */
    size_t it_chunk;
    const uint8_t *it_p, *it_end, *it_base;
    uint64_t it_ts, it_ptr, it_off;
    int it_started, it_failed;
};

static void diag(pp_trace *t, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void diag(pp_trace *t, uint64_t off, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->ndiag++;
    if (diag_fn) { diag_fn(diag_ctx, t->path, off, msg); return; }
    if (t->ndiag <= DIAG_MAX)
        fprintf(stderr, "phaseprof: %s: offset %" PRIu64 ": %s\n", t->path, off, msg);
    else if (t->ndiag == DIAG_MAX + 1)
        fprintf(stderr, "phaseprof: %s: more problems not shown (see the counts in `phaseprof info`)\n", t->path);
}

/* Damage at offset voff of a chunk's records: where to report it.  A chunk inside a compressed
 * group has no bytes of its own in the file: the report names the group's payload (a real
 * offset, as a group that does not decompress is named) and the byte of its decompressed
 * content; *where gets that phrase ("" otherwise). */
static uint64_t damage_at(const pp_chunk_info *c, uint64_t voff, char *where, size_t n)
{
    const uint64_t H = sizeof(struct pp_chunk_header);
    where[0] = 0;
    if (!c->zlen) return voff;
    snprintf(where, n, " (in the compressed chunk there: byte %" PRIu64 " of its decompressed content)",
             voff - c->off - H);
    return c->off + H;
}

/* ---- CRC32C: the hardware instruction when there is one (codec.h) ---- */
static int chunk_crc_ok(const uint8_t *hdr, const uint8_t *payload, uint32_t len)
{
    uint32_t want;
    memcpy(&want, hdr + 8, 4);
    return pp_chunk_crc(hdr, payload, len) == want;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static int chunk_magic(uint32_t m) { return m == PP_CHUNK_MAGIC || m == PP_CHUNK_ZMAGIC; }
/* "PHC" then 'K' or 'Z': the first bytes of a chunk, for resync and for a cut-short tail. */
static int magic_prefix(const uint8_t *p, uint64_t n)
{
    static const uint8_t m[3] = { 'P', 'H', 'C' };
    if (memcmp(p, m, n < 3 ? n : 3)) return 0;
    return n < 4 || p[3] == 'K' || p[3] == 'Z';
}

/* ---- byte source ---- */

static int src_open(pp_trace *t)
{
    if (t->mem || t->fd >= 0) return 0;
    t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
    return t->fd < 0 ? -1 : 0;
}

static void src_close(pp_trace *t)
{
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
    free(t->win);
    free(t->zraw);
    t->zraw = NULL;
    t->zraw_off = 0;
    ZSTD_freeDCtx(t->zctx);
    t->zctx = NULL;
    t->win = NULL;
    t->win_off = t->win_len = 0;
}

/* Pointer to the bytes [off, off+n) if all of them exist (n <= WINDOW), else NULL with *have set
 * to how many do (up to n).  The file is read through a window that slides forward. */
static const uint8_t *src_at(pp_trace *t, uint64_t off, uint64_t n, uint64_t *have)
{
    uint64_t avail = off < t->size ? t->size - off : 0;
    if (have) *have = avail < n ? avail : n;
    if (avail < n) return NULL;
    if (t->mem) return t->mem + off;
    if (off >= t->win_off && off + n <= t->win_off + t->win_len) return t->win + (off - t->win_off);
    /* most traces are small: a window no bigger than the file keeps a set of thousands cheap */
    uint64_t cap = t->size < WINDOW ? t->size : WINDOW;
    if (!t->win) t->win = xmalloc(cap ? cap : 1);
    uint64_t want = t->size - off < cap ? t->size - off : cap;
    uint64_t got = 0;
    while (got < want) {
        ssize_t r = pread(t->fd, t->win + got, want - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (uint64_t)r;
    }
    t->win_off = off;
    t->win_len = got;
    if (got < n) {   /* the file shrank or failed under us: treat as its end */
        t->size = off + got;
        if (have) *have = got;
        return NULL;
    }
    return t->win;
}

/* The bytes a compressed (PHCZ) chunk's stored payload pl[0, stored) holds, decompressed into
 * t->zraw (valid until the next call), *len of them.  NULL with *why when they do not decompress
 * to exactly the raw length the chunk states. */
static const uint8_t *unzstd(pp_trace *t, const uint8_t *pl, uint32_t stored, uint32_t *len, const char **why)
{
    *len = 0;
    *why = t->zwhy;
    if (stored < 4) { snprintf(t->zwhy, sizeof t->zwhy, "compressed chunk without its raw length"); return NULL; }
    uint32_t raw = rd32(pl);
    if (raw > PP_CHUNK_MAX) {
        snprintf(t->zwhy, sizeof t->zwhy, "compressed chunk's raw length %" PRIu32 " over the 1 MiB limit", raw);
        return NULL;
    }
    if (!t->zraw) t->zraw = xmalloc(PP_CHUNK_MAX);
    if (!t->zctx && !(t->zctx = ZSTD_createDCtx())) die("out of memory");
    /* one frame exactly: a second one would be read by some decoders and not by others */
    size_t fsz = ZSTD_findFrameCompressedSize(pl + 4, stored - 4);
    if (!ZSTD_isError(fsz) && fsz != stored - 4) {
        snprintf(t->zwhy, sizeof t->zwhy, "compressed chunk: %zu bytes after its zstd frame", stored - 4 - fsz);
        return NULL;
    }
    size_t got = ZSTD_decompressDCtx(t->zctx, t->zraw, raw, pl + 4, stored - 4);
    if (ZSTD_isError(got)) {
        snprintf(t->zwhy, sizeof t->zwhy, "compressed chunk does not decompress (zstd: %s)", ZSTD_getErrorName(got));
        return NULL;
    }
    if (got != raw) {
        snprintf(t->zwhy, sizeof t->zwhy, "compressed chunk holds %zu bytes, not the %" PRIu32 " it states", got, raw);
        return NULL;
    }
    *len = raw;
    *why = NULL;
    return t->zraw;
}

/* ---- id maps ---- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33;
    return x;
}

static size_t idmap_find(const idmap *m, uint64_t id)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)mix(id) & mask;; i = (i + 1) & mask)
        if (m->keys[i] == id || m->keys[i] == 0) return i;
}

/* Returns 1 if added, 0 if id was there already (the first definition wins) or is 0. */
static int idmap_add(idmap *m, uint64_t id, uint64_t off, uint32_t len)
{
    if (!id) return 0;
    if ((m->n + 1) * 4 > m->cap * 3) {
        idmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->keys = xcalloc(m->cap, sizeof *m->keys);
        m->off = xmalloc(m->cap * sizeof *m->off);
        m->len = xmalloc(m->cap * sizeof *m->len);
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.keys[i]) continue;
            size_t j = idmap_find(m, old.keys[i]);
            m->keys[j] = old.keys[i]; m->off[j] = old.off[i]; m->len[j] = old.len[i];
        }
        free(old.keys); free(old.off); free(old.len);
    }
    size_t i = idmap_find(m, id);
    if (m->keys[i]) return 0;
    m->keys[i] = id; m->off[i] = off; m->len[i] = len;
    m->n++;
    return 1;
}

static int idmap_get(const idmap *m, uint64_t id, uint64_t *off, uint32_t *len)
{
    if (!id || !m->cap) return 0;
    size_t i = idmap_find(m, id);
    if (!m->keys[i]) return 0;
    *off = m->off[i]; *len = m->len[i];
    return 1;
}

static void idmap_free(idmap *m) { free(m->keys); free(m->off); free(m->len); memset(m, 0, sizeof *m); }

/* ---- record decoding ---- */

/* Varint with the one-byte case inline: most fields are small. */
static inline __attribute__((always_inline)) int getv(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    if (*p < end && **p < 0x80) { *out = *(*p)++; return 0; }
    return pp_get_varint(p, end, out);
}

/* One decoder per kind, generated from events.def so that decoding a record is straight-line
 * code with no per-field dispatch on the type letter (the reader's hot loop).  Each decodes
 * fields [0, upto) from [p, end) into v (fields not present read 0), advancing the running time
 * and pointer, and returns 0, or -1 with *why and *bad (the offending position) set. */
typedef int (*decode_fn)(const uint8_t *p, const uint8_t *end, unsigned upto, uint64_t *ts,
                         uint64_t *ptr, pp_val *v, unsigned *present, const char **why,
                         const uint8_t **bad);

#define FIELD_BEGIN \
    if (i >= upto || p >= end) goto done; \
    at = p; \
    if (getv(&p, end, &x)) { *why = "varint runs past the record end"; goto fail; }
#define FIELD_t FIELD_BEGIN *ts += (uint64_t)pp_unzigzag(x); v[i].u = *ts; i++;
#define FIELD_p FIELD_BEGIN *ptr += (uint64_t)pp_unzigzag(x); v[i].u = *ptr; i++;
#define FIELD_s FIELD_BEGIN v[i].s = pp_unzigzag(x); i++;
#define FIELD_u FIELD_BEGIN v[i].u = x; i++;
#define FIELD_x FIELD_u
#define FIELD_i FIELD_u
#define FIELD_S FIELD_BEGIN \
    if (x > (uint64_t)(end - p)) { *why = "byte string longer than the record"; goto fail; } \
    v[i].b.p = p; v[i].b.len = (uint32_t)x; v[i].b.count = (uint32_t)x; p += x; i++;
#define FIELD_B FIELD_S
#define FIELD_A FIELD_BEGIN \
    if (x > (uint64_t)(end - p)) { *why = "array count larger than the record"; goto fail; } \
    { const uint8_t *start = p; \
      for (uint64_t j = 0; j < x; j++) { \
          uint64_t y; at = p; \
          if (getv(&p, end, &y)) { *why = "array item runs past the record end"; goto fail; } } \
      v[i].b.p = start; v[i].b.len = (uint32_t)(p - start); v[i].b.count = (uint32_t)x; } \
    i++;
#define FIELD_L FIELD_BEGIN \
    if (x > (uint64_t)(end - p)) { *why = "string list count larger than the record"; goto fail; } \
    { const uint8_t *start = p; \
      for (uint64_t j = 0; j < x; j++) { \
          uint64_t y; at = p; \
          if (getv(&p, end, &y)) { *why = "list item runs past the record end"; goto fail; } \
          if (y > (uint64_t)(end - p)) { *why = "list string longer than the record"; goto fail; } \
          p += y; } \
      v[i].b.p = start; v[i].b.len = (uint32_t)(p - start); v[i].b.count = (uint32_t)x; } \
    i++;

#define F(n, t) FIELD_##t
#define PP_REC(NAME, id, ...) \
static int decode_##NAME(const uint8_t *p, const uint8_t *end, unsigned upto, uint64_t *ts, \
                         uint64_t *ptr, pp_val *v, unsigned *present, const char **why, \
                         const uint8_t **bad) \
{ \
    unsigned i = 0; \
    uint64_t x; \
    const uint8_t *at = p; \
    (void)ts; (void)ptr; \
    __VA_ARGS__ \
done: \
    *present = i; \
    if (i < sizeof(struct pp_r_##NAME) / sizeof(pp_val)) \
        memset(&v[i], 0, sizeof(struct pp_r_##NAME) - i * sizeof(pp_val)); \
    return 0; \
fail: \
    *present = i; \
    *bad = at; \
    return -1; \
}
#include "phaseprof/events.def"
#undef PP_REC
#undef F

#define F(n, t)
#define PP_REC(NAME, id, ...) [id] = decode_##NAME,
static const decode_fn decoders[] = {
#include "phaseprof/events.def"
};
#undef PP_REC
#undef F

static inline int decode_fields(const pp_kind_info *k, const uint8_t *p, const uint8_t *end, unsigned upto,
                                uint64_t *ts, uint64_t *ptr, pp_val *v, unsigned *present,
                                const char **why, const uint8_t **bad)
{
    return decoders[k->id](p, end, upto, ts, ptr, v, present, why, bad);
}

/* Reads the kind and length of the record at *p; on success *body and *blen are set and *p is past it. */
static int record_frame(const uint8_t **p, const uint8_t *end, uint64_t *kind, const uint8_t **body,
                        uint64_t *blen, const char **why)
{
    if (pp_get_varint(p, end, kind)) { *why = "record kind runs past the chunk end"; return -1; }
    if (pp_get_varint(p, end, blen)) { *why = "record length runs past the chunk end"; return -1; }
    if (*blen > (uint64_t)(end - *p)) { *why = "record length past the chunk end"; return -1; }
    *body = *p;
    *p += *blen;
    return 0;
}

/* ---- the index pass ---- */

typedef struct pending { uint64_t kind, ts, ptr; uint32_t at, len; } pending;

static void note_tid(pp_trace *t, uint32_t tid)
{
    if (tid) u64map_slot(&t->tids, tid, NULL);
}

/* Copies a HEADER or FOOTER body so its S/L values outlive the chunk, and decodes it. */
static uint8_t *keep_record(const pp_kind_info *k, const uint8_t *body, uint32_t len, uint64_t ts,
                            uint64_t ptr, pp_val *v)
{
    uint8_t *copy = xmalloc(len ? len : 1);
    memcpy(copy, body, len);
    const char *why; const uint8_t *bad; unsigned present;
    decode_fields(k, copy, copy + len, k->nfields, &ts, &ptr, v, &present, &why, &bad);
    return copy;
}

/* Harvests what the tables need from a validated chunk. */
static void harvest(pp_trace *t, const uint8_t *payload, const pending *pend, size_t npend)
{
    for (size_t i = 0; i < npend; i++) {
        const pending *q = &pend[i];
        const pp_kind_info *k = pp_kind(q->kind);
        const uint8_t *b = payload + q->at;
        pp_val v[PP_MAX_FIELDS];
        uint64_t ts = q->ts, ptr = q->ptr;
        unsigned present;
        const char *why; const uint8_t *bad;
        if (q->kind == PP_K_HEADER && !t->header_body) {
            t->header_body = keep_record(k, b, q->len, ts, ptr, (pp_val *)&t->header);
            t->st.has_header = 1;
            continue;
        }
        if (q->kind == PP_K_FOOTER) {
            free(t->footer_body);     /* the last footer wins: the writer writes one */
            t->footer_body = keep_record(k, b, q->len, ts, ptr, (pp_val *)&t->footer);
            t->st.complete = 1;
            continue;
        }
        decode_fields(k, b, b + q->len, k->nfields, &ts, &ptr, v, &present, &why, &bad);
        if (q->kind == PP_K_STRING) {
            struct pp_r_STRING *s = (struct pp_r_STRING *)v;
            if (idmap_add(&t->strings, s->id.u, t->str_arena.len, s->text.b.len)) {
                buf_put(&t->str_arena, s->text.b.p, s->text.b.len);
                buf_putc(&t->str_arena, 0);
            }
        } else if (q->kind == PP_K_STACK) {
            struct pp_r_STACK *s = (struct pp_r_STACK *)v;
            if (idmap_add(&t->stacks, s->id.u, t->nframes, s->frames.b.count)) {
                xgrow((void **)&t->frames, &t->cap_frames, t->nframes + s->frames.b.count, sizeof *t->frames);
                pp_iter it = pp_iter_of(s->frames);
                uint64_t f;
                while (pp_iter_u(&it, &f)) t->frames[t->nframes++] = f;
            }
        }
    }
}

/* Validates the chunk payload at file offset poff: every record frames, every known record
 * decodes.  Fills ci's counters and the list of records to harvest.  Returns 0 or -1 (reported). */
static int validate_chunk(pp_trace *t, const uint8_t *payload, uint32_t len, uint64_t poff,
                          pp_chunk_info *ci, pending **pend, size_t *npend, size_t *cap_pend,
                          uint64_t *unknown, int *has_ts)
{
    const uint8_t *p = payload, *end = payload + len;
    uint64_t ts = ci->base_ns, ptr = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    pp_val v[PP_MAX_FIELDS];
    *npend = 0;
    *unknown = 0;
    ci->records = 0;
    ci->kinds = 0;
    while (p < end) {
        const uint8_t *rec = p, *body;
        uint64_t kind, blen;
        const char *why;
        char where[128];
        if (record_frame(&p, end, &kind, &body, &blen, &why)) {
            uint64_t at = damage_at(ci, poff + (uint64_t)(rec - payload), where, sizeof where);
            diag(t, at, "%s; chunk skipped%s", why, where);
            return -1;
        }
        ci->records++;
        ci->kinds |= 1ull << (kind < 63 ? kind : 63);
        const pp_kind_info *k = pp_kind(kind);
        if (!k) { (*unknown)++; continue; }
        uint64_t ts0 = ts, ptr0 = ptr;
        unsigned present;
        const uint8_t *bad;
        if (decode_fields(k, body, body + blen, k->nfields, &ts, &ptr, v, &present, &why, &bad)) {
            uint64_t at = damage_at(ci, poff + (uint64_t)(bad - payload), where, sizeof where);
            diag(t, at, "%s record: field %s: %s; chunk skipped%s", k->name,
                 k->fields[present < k->nfields ? present : 0], why, where);
            return -1;
        }
        for (unsigned i = 0; i < present; i++) {
            if (k->types[i] == 't') { if (v[i].u < lo) lo = v[i].u; if (v[i].u > hi) hi = v[i].u; }
            else if (k->types[i] == 'i' && v[i].u) idmap_add(&t->refs, v[i].u, 0, 0);
        }
        if (kind == PP_K_HEADER || kind == PP_K_FOOTER || kind == PP_K_STRING || kind == PP_K_STACK) {
            xgrow((void **)pend, cap_pend, *npend + 1, sizeof **pend);
            (*pend)[(*npend)++] = (pending){ kind, ts0, ptr0, (uint32_t)(body - payload), (uint32_t)blen };
        }
    }
    *has_ts = lo != UINT64_MAX;
    ci->first_ns = lo == UINT64_MAX ? ci->base_ns : lo;
    ci->last_ns = lo == UINT64_MAX ? ci->base_ns : hi;
    return 0;
}

/* Is there a chunk at off whose header and CRC check out?  *tail is set when one with a sane
 * header runs past the end of the file (a truncated last chunk). */
static int chunk_at(pp_trace *t, uint64_t off, int *tail)
{
    const uint8_t *h = src_at(t, off, sizeof(struct pp_chunk_header), NULL);
    if (!h || !chunk_magic(rd32(h))) return 0;
    uint32_t len = rd32(h + 4);
    if (len > PP_CHUNK_MAX) return 0;
    uint64_t have;
    uint8_t hdr[sizeof(struct pp_chunk_header)];
    memcpy(hdr, h, sizeof hdr);            /* the next src_at may move the window */
    const uint8_t *pl = src_at(t, off + sizeof hdr, len, &have);
    if (!pl) { *tail = 1; return 0; }
    return chunk_crc_ok(hdr, pl, len);
}

/* From off (inside damage), finds the next good chunk; returns its offset or t->size. */
static uint64_t resync(pp_trace *t, uint64_t off, int *tail)
{
    static const uint8_t magic[3] = { 'P', 'H', 'C' };
    while (off + 4 <= t->size) {
        uint64_t have;
        uint64_t n = t->size - off < WINDOW ? t->size - off : WINDOW;
        const uint8_t *w = src_at(t, off, n, &have);
        if (!w) return t->size;
        const uint8_t *hit = memmem(w, (size_t)n, magic, 3);
        if (!hit) { off += n - 2; continue; }      /* a magic may straddle the window edge */
        uint64_t cand = off + (uint64_t)(hit - w);
        if (chunk_at(t, cand, tail)) return cand;
        off = cand + 1;
    }
    return t->size;
}

/* The index pass's state across chunks. */
typedef struct ixstate {
    pending *pend;
    size_t npend, cap_pend;
    int seen_ts;
} ixstate;

/* A chunk whose bytes checked out (records at recs, the payload's file offset poff, or its
 * group's for one in a compressed group): validated, harvested and indexed, or counted as bad. */
static void add_chunk(pp_trace *t, pp_chunk_info *ci, const uint8_t *recs, uint64_t poff, ixstate *ix)
{
    uint64_t unknown = 0;
    int has_ts = 0;
    if (validate_chunk(t, recs, ci->len, poff, ci, &ix->pend, &ix->npend, &ix->cap_pend, &unknown, &has_ts)) {
        /* the CRC says the writer wrote it so: skip exactly this chunk */
        t->st.bad_chunks++;
        t->st.malformed++;
        t->st.bad_bytes += sizeof(struct pp_chunk_header) + (ci->zlen ? 0 : ci->len);
        return;
    }
    harvest(t, recs, ix->pend, ix->npend);
    xgrow((void **)&t->chunks, &t->cap_chunks, t->nchunks + 1, sizeof *t->chunks);
    t->chunks[t->nchunks++] = *ci;
    t->st.chunks++;
    t->st.records += ci->records;
    t->st.unknown_records += unknown;
    if (has_ts) {
        if (!ix->seen_ts || ci->first_ns < t->st.first_ns) t->st.first_ns = ci->first_ns;
        ix->seen_ts = 1;
        if (ci->last_ns > t->st.last_ns) t->st.last_ns = ci->last_ns;
    }
    note_tid(t, ci->tid);
}

/* A compressed chunk at off (its CRC checked): the thread chunks it holds, each as its own chunk
 * (each CRC checked again).  Damage inside costs the rest of the group. */
static void add_group(pp_trace *t, uint64_t off, const uint8_t *pl, uint32_t stored, ixstate *ix)
{
    const size_t H = sizeof(struct pp_chunk_header);
    uint32_t raw;
    const char *why = NULL;
    const uint8_t *g = unzstd(t, pl, stored, &raw, &why);
    for (uint32_t q = 0; g && q < raw;) {
        const uint8_t *h = g + q;
        uint32_t len = raw - q >= H ? rd32(h + 4) : 0;
        if (raw - q < H || rd32(h) != PP_CHUNK_MAGIC) why = "compressed chunk: not a chunk inside";
        else if (len > raw - q - H) why = "compressed chunk: a chunk inside runs past its end";
        else if (!chunk_crc_ok(h, h + H, len)) why = "compressed chunk: CRC mismatch inside";
        if (why) {
            snprintf(t->zwhy, sizeof t->zwhy, "%s (at byte %" PRIu32 " of %" PRIu32 ")", why, q, raw);
            why = t->zwhy;
            break;
        }
        pp_chunk_info ci = { .off = off, .len = len, .tid = rd32(h + 12), .seq = rd64(h + 16),
                             .base_ns = rd64(h + 24), .zlen = stored, .zin = q + (uint32_t)H };
        add_chunk(t, &ci, h + H, off + H + ci.zin, ix);
        q += (uint32_t)H + len;
    }
    if (why) {
        diag(t, off + H, "%s; %s skipped", why, g ? "the rest of the group" : "chunk");
        t->st.bad_chunks++;
        t->st.malformed++;
        t->st.bad_bytes += H + stored;
    }
}

static void index_pass(pp_trace *t)
{
    uint64_t off = t->start;
    ixstate ix = { 0 };
    const size_t H = sizeof(struct pp_chunk_header);
    while (off < t->size) {
        uint64_t have;
        const uint8_t *h = src_at(t, off, H, &have);
        const char *bad = NULL;
        uint64_t bad_off = off;
        if (!h) {
            /* fewer than 32 bytes left: the start of a chunk cut short, or junk */
            const uint8_t *rest = src_at(t, off, have, NULL);
            if (rest && magic_prefix(rest, have)) { t->st.truncated = 1; break; }
            bad = "junk at the end of the file (not a chunk header)";
        } else if (!chunk_magic(rd32(h))) {
            bad = "bad chunk magic";
        } else if (rd32(h + 4) > PP_CHUNK_MAX) {
            bad = "chunk payload length over the 1 MiB limit";
            bad_off = off + 4;
        }
        uint8_t hdr[32];
        uint32_t len = 0;
        const uint8_t *pl = NULL;
        int tail = 0;
        uint64_t next = 0;                 /* 0: not searched yet */
        if (!bad) {
            memcpy(hdr, h, H);
            len = rd32(hdr + 4);
            pl = src_at(t, off + H, len, &have);
            if (!pl) {
                /* runs past the end: a cut file, unless a good chunk follows (then the length
                 * was damaged) */
                next = resync(t, off + 1, &tail);
                if (next >= t->size) { t->st.truncated = 1; break; }
                bad = "chunk length runs past the end of the file";
                bad_off = off + 4;
            } else if (!chunk_crc_ok(hdr, pl, len)) {
                bad = "chunk CRC mismatch";
                t->st.bad_crc++;
            }
        }
        if (bad) {
            if (!next) next = resync(t, off + 1, &tail);
            diag(t, bad_off, "%s; skipped %" PRIu64 " bytes to %s", bad, next - off,
                 next >= t->size ? "the end of the file" : "the next good chunk");
            t->st.bad_chunks++;
            t->st.bad_bytes += next - off;
            if (next >= t->size && tail) t->st.truncated = 1;
            off = next;
            continue;
        }
        uint32_t stored = len;
        if (rd32(hdr) == PP_CHUNK_MAGIC) {
            pp_chunk_info ci = { .off = off, .len = len, .tid = rd32(hdr + 12), .seq = rd64(hdr + 16),
                                 .base_ns = rd64(hdr + 24) };
            add_chunk(t, &ci, pl, off + H, &ix);
        } else {
            add_group(t, off, pl, stored, &ix);
        }
        off += H + stored;
    }
    free(ix.pend);
    /* i fields naming no STRING: the writer drops a STRING record when its buffer is busy */
    for (size_t i = 0; i < t->refs.cap; i++)
        if (t->refs.keys[i] && !pp_trace_string(t, t->refs.keys[i], NULL)) t->st.undefined_strings++;
    idmap_free(&t->refs);
    t->st.threads = t->tids.n;
    u64map_free(&t->tids);
}

/* ---- open / close ---- */

static pp_trace *trace_new(const char *name)
{
    kinds_init();
    pp_trace *t = xcalloc(1, sizeof *t);
    t->path = xstrdup(name);
    t->fd = -1;
    t->want_all = 1;
    buf_init(&t->str_arena);
    return t;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Checks the preamble and runs the index pass.  Returns 0, or -1 with err set. */
static int trace_load(pp_trace *t, char *err, size_t errlen)
{
    uint64_t have;
    const uint8_t *p = src_at(t, 0, sizeof(struct pp_preamble), &have);
    if (!p) {
        /* shorter than the preamble: a trace cut right at its start reads as empty and truncated;
         * anything else is not ours */
        const uint8_t *q = have ? src_at(t, 0, have, NULL) : NULL;
        if (have == 0 || (q && !memcmp(q, PP_MAGIC, have < 8 ? have : 8) &&
                          (have < 12 || rd32(q + 8) == PP_VERSION))) {
            t->st.truncated = 1;
            t->start = t->size;
            return 0;
        }
        if (q && memcmp(q, PP_MAGIC, have < 8 ? have : 8)) {
            seterr(err, errlen, "%s: offset 0: bad magic: not a phaseprof trace", t->path);
            return -1;
        }
        seterr(err, errlen, "%s: offset 8: unsupported trace version %" PRIu32 " (this reader reads v%u)",
               t->path, rd32(q + 8), PP_VERSION);
        return -1;
    }
    if (memcmp(p, PP_MAGIC, 8)) {
        seterr(err, errlen, "%s: offset 0: bad magic: not a phaseprof trace", t->path);
        return -1;
    }
    uint32_t ver = rd32(p + 8), plen = rd32(p + 12);
    if (ver != PP_VERSION) {
        seterr(err, errlen, "%s: offset 8: unsupported trace version %" PRIu32 " (this reader reads v%u)",
               t->path, ver, PP_VERSION);
        return -1;
    }
    if (plen < sizeof(struct pp_preamble) || plen > 65536) {
        seterr(err, errlen, "%s: offset 12: bad preamble length %" PRIu32, t->path, plen);
        return -1;
    }
    t->start = plen;
    if (t->start > t->size) { t->st.truncated = 1; t->start = t->size; }
    index_pass(t);
    return 0;
}

pp_trace *pp_trace_open(const char *path, char *err, size_t errlen)
{
    pp_trace *t = trace_new(path);
    struct stat st;
    if (src_open(t) || fstat(t->fd, &st)) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        pp_trace_close(t);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        seterr(err, errlen, "%s: is a directory", path);
        pp_trace_close(t);
        return NULL;
    }
    t->size = (uint64_t)st.st_size;
    t->st.file_bytes = t->size;
    if (trace_load(t, err, errlen)) { pp_trace_close(t); return NULL; }
    src_close(t);
    return t;
}

pp_trace *pp_trace_open_mem(const void *data, size_t len, const char *name, char *err, size_t errlen)
{
    pp_trace *t = trace_new(name ? name : "(memory)");
    static const uint8_t empty[1];
    t->mem = data ? data : empty;
    t->size = len;
    t->st.file_bytes = len;
    if (trace_load(t, err, errlen)) { pp_trace_close(t); return NULL; }
    return t;
}

void pp_trace_close(pp_trace *t)
{
    if (!t) return;
    src_close(t);
    idmap_free(&t->strings);
    idmap_free(&t->stacks);
    buf_free(&t->str_arena);
    free(t->frames);
    free(t->chunks);
    free(t->header_body);
    free(t->footer_body);
    u64map_free(&t->tids);
    free(t->path);
    free(t);
}

const char *pp_trace_path(const pp_trace *t) { return t->path; }
const pp_trace_stats *pp_trace_stats_of(const pp_trace *t) { return &t->st; }
const struct pp_r_HEADER *pp_trace_header(const pp_trace *t) { return t->header_body ? &t->header : NULL; }
const struct pp_r_FOOTER *pp_trace_footer(const pp_trace *t) { return t->footer_body ? &t->footer : NULL; }
size_t pp_trace_nchunks(const pp_trace *t) { return t->nchunks; }
const pp_chunk_info *pp_trace_chunk(const pp_trace *t, size_t i) { return i < t->nchunks ? &t->chunks[i] : NULL; }

const char *pp_trace_string(const pp_trace *t, uint64_t id, size_t *len)
{
    uint64_t off; uint32_t n;
    if (!idmap_get(&t->strings, id, &off, &n)) return NULL;
    if (len) *len = n;
    return t->str_arena.data + off;
}

const uint64_t *pp_trace_stack(const pp_trace *t, uint64_t id, size_t *nframes)
{
    uint64_t off; uint32_t n;
    if (!idmap_get(&t->stacks, id, &off, &n)) return NULL;
    if (nframes) *nframes = n;
    static const uint64_t none[1];
    return n ? t->frames + off : none;
}

/* ---- iteration ---- */

void pp_trace_select(pp_trace *t, const unsigned *k, size_t n)
{
    memset(t->want, 0, sizeof t->want);
    t->want_all = n == 0;
    t->want_mask = 0;
    for (size_t i = 0; i < n; i++) {
        t->want[k[i] < 255 ? k[i] : 255] = 1;
        t->want_mask |= 1ull << (k[i] < 63 ? k[i] : 63);
    }
}

void pp_trace_rewind(pp_trace *t)
{
    t->it_chunk = 0;
    t->it_p = t->it_end = NULL;
    t->it_started = 1;
    t->it_failed = 0;
}

void pp_trace_seek(pp_trace *t, size_t i)
{
    pp_trace_rewind(t);
    t->it_chunk = i < t->nchunks ? i : t->nchunks;
}

static int load_chunk(pp_trace *t)
{
    while (t->it_chunk < t->nchunks) {
        const pp_chunk_info *c = &t->chunks[t->it_chunk++];
        /* none of the selected kinds in it: skipped whole (a chunk restarts the running time),
         * and a compressed group none of whose chunks is wanted is never decompressed */
        if (!c->records || (!t->want_all && !(c->kinds & t->want_mask))) continue;
        if (src_open(t)) {
            diag(t, 0, "cannot reopen: %s", strerror(errno));
            return 0;
        }
        uint64_t off = c->off + sizeof(struct pp_chunk_header);
        const uint8_t *p = src_at(t, off, c->zlen ? c->zlen : c->len, NULL);
        if (!p) { diag(t, off, "the file changed while being read"); return 0; }
        if (c->zlen) {                    /* one of a group: decompressed once for all of them */
            uint32_t raw = t->zraw_len;
            const char *why;
            if (t->zraw_off != c->off) {
                p = unzstd(t, p, c->zlen, &raw, &why);
                t->zraw_off = p ? c->off : 0;
                t->zraw_len = raw;
            } else {
                p = t->zraw;
            }
            if (!p || (uint64_t)c->zin + c->len > raw) { diag(t, off, "the file changed while being read"); return 0; }
            p += c->zin;
        }
        t->it_base = p;
        t->it_p = p;
        t->it_end = p + c->len;
        t->it_off = off + c->zin;         /* in a group: as if the chunk were not compressed */
        t->it_ts = c->base_ns;
        t->it_ptr = 0;
        return 1;
    }
    return 0;
}

int pp_trace_next(pp_trace *t, pp_rec *r)
{
    if (!t->it_started) pp_trace_rewind(t);
    if (t->it_failed) return 0;
    for (;;) {
        if (t->it_p >= t->it_end) {
            if (!load_chunk(t)) {
                t->it_failed = 1;
                if (!t->mem) src_close(t);
                return 0;
            }
        }
        const pp_chunk_info *c = &t->chunks[t->it_chunk - 1];
        const uint8_t *rec = t->it_p, *body;
        uint64_t kind, blen;
        const char *why;
        char where[128];
        if (record_frame(&t->it_p, t->it_end, &kind, &body, &blen, &why)) {
            uint64_t at = damage_at(c, t->it_off + (uint64_t)(rec - t->it_base), where, sizeof where);
            diag(t, at, "%s (the file changed?)%s", why, where);
            t->it_p = t->it_end;
            continue;
        }
        const pp_kind_info *k = pp_kind(kind);
        int wanted = t->want_all || t->want[kind < 255 ? kind : 255];
        if (!wanted && (!k || k->last_delta < 0)) continue;
        unsigned upto = !wanted ? (unsigned)k->last_delta + 1 : k ? k->nfields : 0;
        if (k) {
            unsigned present;
            const uint8_t *bad;
            if (decode_fields(k, body, body + blen, upto, &t->it_ts, &t->it_ptr, r->v, &present, &why, &bad)) {
                uint64_t at = damage_at(c, t->it_off + (uint64_t)(bad - t->it_base), where, sizeof where);
                diag(t, at, "%s (the file changed?)%s", why, where);
                t->it_p = t->it_end;
                continue;
            }
            r->nfields = present;
        } else {
            r->nfields = 0;
        }
        if (!wanted) continue;
        r->kind = kind;
        r->info = k;
        r->tid = c->tid;
        r->seq = c->seq;
        r->chunk = t->it_chunk - 1;
        r->off = t->it_off + (uint64_t)(rec - t->it_base);
        r->body = body;
        r->len = (uint32_t)blen;
        return 1;
    }
}

/* ---- directory set ---- */

int pp_is_trace_name(const char *name)
{
    size_t n = strlen(name), m = strlen(".pptrace");
    return n >= m && !strcmp(name + n - m, ".pptrace");
}

static int by_start(const void *a, const void *b)
{
    const pp_trace *x = *(pp_trace *const *)a, *y = *(pp_trace *const *)b;
    const struct pp_r_HEADER *hx = pp_trace_header(x), *hy = pp_trace_header(y);
    if (hx && !hy) return -1;
    if (!hx && hy) return 1;
    if (hx && hy) {
        if (hx->start_real_ns.u != hy->start_real_ns.u) return hx->start_real_ns.u < hy->start_real_ns.u ? -1 : 1;
        if (hx->start_mono_ns.u != hy->start_mono_ns.u) return hx->start_mono_ns.u < hy->start_mono_ns.u ? -1 : 1;
        if (hx->pid.u != hy->pid.u) return hx->pid.u < hy->pid.u ? -1 : 1;
    }
    return strcmp(x->path, y->path);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

pp_set *pp_set_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st)) { seterr(err, errlen, "%s: %s", path, strerror(errno)); return NULL; }
    pp_set *s = xcalloc(1, sizeof *s);
    if (!S_ISDIR(st.st_mode)) {
        pp_trace *t = pp_trace_open(path, err, errlen);
        if (!t) { free(s); return NULL; }
        s->traces = xmalloc(sizeof *s->traces);
        s->traces[0] = t;
        s->n = 1;
        return s;
    }
    DIR *d = opendir(path);
    if (!d) { seterr(err, errlen, "%s: %s", path, strerror(errno)); free(s); return NULL; }
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        /* dot-files too: the preload names files after the host, which may start with '.' */
        if (!pp_is_trace_name(e->d_name)) continue;
        xgrow((void **)&names, &cap, nn + 1, sizeof *names);
        size_t pl = strlen(path);
        char *full = xmalloc(pl + strlen(e->d_name) + 2);
        sprintf(full, "%s%s%s", path, pl && path[pl - 1] == '/' ? "" : "/", e->d_name);
        names[nn++] = full;
    }
    closedir(d);
    if (!nn) {
        seterr(err, errlen, "%s: no trace files (*.pptrace) in this directory", path);
        free(s);
        return NULL;
    }
    qsort(names, nn, sizeof *names, by_name);
    s->traces = xmalloc(nn * sizeof *s->traces);
    for (size_t i = 0; i < nn; i++) {
        char msg[1024];
        pp_trace *t = pp_trace_open(names[i], msg, sizeof msg);
        if (t) s->traces[s->n++] = t;
        else { warnx_pp("%s", msg); s->failed++; }
        free(names[i]);
    }
    free(names);
    if (!s->n) {
        seterr(err, errlen, "%s: none of its %zu trace files could be read", path, s->failed);
        free(s->traces);
        free(s);
        return NULL;
    }
    qsort(s->traces, s->n, sizeof *s->traces, by_start);
    return s;
}

void pp_set_close(pp_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) pp_trace_close(s->traces[i]);
    free(s->traces);
    free(s);
}

size_t pp_set_root(const pp_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct pp_r_HEADER *h = pp_trace_header(set->traces[i]);
        if (!h) continue;
        int parent_here = 0;
        for (size_t j = 0; j < set->n && !parent_here; j++) {
            const struct pp_r_HEADER *g = pp_trace_header(set->traces[j]);
            parent_here = j != i && g && g->pid.u == h->ppid.u && g->start_mono_ns.u <= h->start_mono_ns.u;
        }
        if (!parent_here) return i;
    }
    return 0;
}
