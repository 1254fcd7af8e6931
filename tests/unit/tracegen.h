/* A tiny trace writer for tests only: builds v1 trace files in memory with codec.h, record by
 * record, so the reader can be tested without the preload (which cannot link here).  It can also
 * write things the real writer never would: damaged chunks, unknown kinds, short or long bodies.
 *
 *   tg g; tg_init(&g);                          preamble
 *   tg_chunk(&g, tid, seq, base_ns);            open a chunk
 *   tg_rec(&g, PP_K_MARK); tg_t(&g, ts); tg_u(&g, tid); ... tg_end(&g);
 *   tg_flush(&g);                               close the chunk (CRC32C computed)
 *   g.buf / g.len                               the file
 */
#ifndef PHASEPROF_TRACEGEN_H
#define PHASEPROF_TRACEGEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "phaseprof/trace.h"
#include "phaseprof/codec.h"

typedef struct tg {
    uint8_t *buf; size_t len, cap;           /* the file */
    uint8_t *chunk; size_t clen, ccap;       /* payload of the open chunk */
    uint8_t body[1 << 16]; size_t blen;      /* body of the open record */
    unsigned kind;
    uint32_t tid; uint64_t seq, base, ts, ptr;
    int open;
} tg;

static inline void tg_grow(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    *p = realloc(*p, c);
    if (!*p) { fprintf(stderr, "tracegen: out of memory\n"); exit(1); }
    *cap = c;
}

static inline void tg_raw(tg *g, const void *p, size_t n)
{
    tg_grow(&g->buf, &g->cap, g->len + n);
    memcpy(g->buf + g->len, p, n);
    g->len += n;
}

static inline void tg_preamble(tg *g, const char *magic, uint32_t version, uint32_t plen)
{
    struct pp_preamble pre;
    memcpy(pre.magic, magic, 8);
    pre.version = version;
    pre.preamble_len = plen;
    tg_raw(g, &pre, sizeof pre);
}

static inline void tg_init(tg *g)
{
    memset(g, 0, sizeof *g);
    tg_preamble(g, PP_MAGIC, PP_VERSION, 16);
}

static inline void tg_free(tg *g) { free(g->buf); free(g->chunk); memset(g, 0, sizeof *g); }

static inline void tg_chunk(tg *g, uint32_t tid, uint64_t seq, uint64_t base)
{
    g->tid = tid; g->seq = seq; g->base = g->ts = base; g->ptr = 0;
    g->clen = 0;
    g->open = 1;
}

/* Appends raw bytes to the open chunk's payload (for hand-made damage). */
static inline void tg_payload_raw(tg *g, const void *p, size_t n)
{
    tg_grow(&g->chunk, &g->ccap, g->clen + n);
    memcpy(g->chunk + g->clen, p, n);
    g->clen += n;
}

static inline void tg_flush(tg *g)
{
    struct pp_chunk_header h;
    h.magic = PP_CHUNK_MAGIC;
    h.payload_len = (uint32_t)g->clen;
    h.tid = g->tid;
    h.seq = g->seq;
    h.base_ns = g->base;
    h.crc = pp_crc32c_update(pp_crc32c((const uint8_t *)&h + 12, sizeof h - 12), g->chunk, g->clen);
    tg_raw(g, &h, sizeof h);
    tg_raw(g, g->chunk, g->clen);
    g->open = 0;
}

static inline void tg_rec(tg *g, unsigned kind) { g->kind = kind; g->blen = 0; }

static inline void tg_bytes_raw(tg *g, const void *p, size_t n)
{
    memcpy(g->body + g->blen, p, n);
    g->blen += n;
}

static inline void tg_u(tg *g, uint64_t v)
{
    uint8_t tmp[10];
    tg_bytes_raw(g, tmp, (size_t)(pp_put_varint(tmp, v) - tmp));
}
static inline void tg_s(tg *g, int64_t v) { tg_u(g, pp_zigzag(v)); }
/* t field: an absolute timestamp, written as a delta from the running time */
static inline void tg_t(tg *g, uint64_t abs) { tg_s(g, (int64_t)(abs - g->ts)); g->ts = abs; }
static inline void tg_p(tg *g, uint64_t abs) { tg_s(g, (int64_t)(abs - g->ptr)); g->ptr = abs; }
static inline void tg_str(tg *g, const void *s, size_t n) { tg_u(g, n); tg_bytes_raw(g, s, n); }
static inline void tg_cstr(tg *g, const char *s) { tg_str(g, s, strlen(s)); }
static inline void tg_arr(tg *g, const uint64_t *v, size_t n)
{
    tg_u(g, n);
    for (size_t i = 0; i < n; i++) tg_u(g, v[i]);
}
static inline void tg_list(tg *g, const char *const *s, size_t n)
{
    tg_u(g, n);
    for (size_t i = 0; i < n; i++) tg_cstr(g, s[i]);
}

/* Closes the record: kind, body length, body into the chunk. */
static inline void tg_end(tg *g)
{
    uint8_t tmp[20], *p = tmp;
    p = pp_put_varint(p, g->kind);
    p = pp_put_varint(p, g->blen);
    tg_payload_raw(g, tmp, (size_t)(p - tmp));
    tg_payload_raw(g, g->body, g->blen);
}

/* Convenience records */
static inline void tg_string(tg *g, uint64_t id, const char *s)
{
    tg_rec(g, PP_K_STRING); tg_u(g, id); tg_cstr(g, s); tg_end(g);
}

static inline void tg_header(tg *g, uint64_t pid, uint64_t ppid, uint64_t mono, uint64_t real, const char *exe)
{
    const char *argv[] = { exe, "--flag" };
    const char *events[] = { "cpu_ns" };
    tg_rec(g, PP_K_HEADER);
    tg_u(g, pid); tg_u(g, ppid); tg_u(g, 0xabcdef); tg_u(g, mono); tg_u(g, real);
    tg_cstr(g, "host"); tg_cstr(g, exe); tg_cstr(g, "/tmp"); tg_list(g, argv, 2);
    tg_cstr(g, "sw"); tg_list(g, events, 1); tg_u(g, 10000000); tg_u(g, 0); tg_list(g, NULL, 0);
    tg_s(g, -1); tg_u(g, 0); tg_u(g, 0); tg_cstr(g, "");
    tg_end(g);
}

static inline void tg_footer(tg *g, uint64_t ts, uint64_t flags)
{
    tg_rec(g, PP_K_FOOTER);
    tg_t(g, ts); tg_u(g, 1); tg_u(g, 1); tg_u(g, 1); tg_u(g, 0); tg_u(g, 0); tg_u(g, flags);
    tg_u(g, 0); tg_s(g, 0); tg_u(g, 1); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0);
    tg_end(g);
}

static inline int tg_save(const tg *g, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = fwrite(g->buf, 1, g->len, f);
    return fclose(f) || n != g->len ? -1 : 0;
}

#endif
