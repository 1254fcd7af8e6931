/* Allocation wrappers, die(), the growable byte buffer, the escapers and the small hash maps
 * declared in util.h.
 * Everything that prints bytes from a trace goes through an escaper: a trace can hold any bytes
 * (a program may name a file "\x1b[2J"), and our output must stay one record per line and valid
 * JSON / HTML whatever the input. */
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(size_t n)
{
    fprintf(stderr, "phaseprof: out of memory (asked for %zu bytes)\n", n);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    if (n) memcpy(p, s, n);       /* a field absent from a record is (NULL, 0) */
    p[n] = 0;
    return p;
}

void xgrow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem) oom(SIZE_MAX);
        c *= 2;
    }
    *p = xrealloc(*p, c * elem);
    *cap = c;
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("phaseprof: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void warnx_pp(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("phaseprof: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- buffer ---- */

void buf_init(pp_buf *b) { b->data = NULL; b->len = b->cap = 0; }
void buf_free(pp_buf *b) { free(b->data); buf_init(b); }
void buf_clear(pp_buf *b) { b->len = 0; if (b->data) b->data[0] = 0; }

void buf_reserve(pp_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t c = b->cap ? b->cap : 64;
    while (c < b->len + extra + 1) c *= 2;
    b->data = xrealloc(b->data, c);
    b->cap = c;
}

void buf_put(pp_buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void buf_putc(pp_buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

void buf_puts(pp_buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_vprintf(pp_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    if (n < 0) { va_end(ap2); return; }
    if ((size_t)n < sizeof tmp) {
        buf_put(b, tmp, (size_t)n);
    } else {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void buf_printf(pp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *buf_take(pp_buf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    buf_init(b);
    return p;
}

void buf_write(const pp_buf *b, FILE *f)
{
    if (b->len) fwrite(b->data, 1, b->len, f);
}

/* ---- escaping ---- */

size_t utf8_seq_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    uint32_t min;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    uint32_t cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

static const char hexd[] = "0123456789abcdef";

void buf_escape_text(pp_buf *b, const void *sv, size_t n)
{
    const uint8_t *s = sv;
    buf_reserve(b, n);
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') { buf_putc(b, (char)c); i++; continue; }
        switch (c) {
        case '"': buf_puts(b, "\\\""); i++; continue;
        case '\\': buf_puts(b, "\\\\"); i++; continue;
        case '\n': buf_puts(b, "\\n"); i++; continue;
        case '\r': buf_puts(b, "\\r"); i++; continue;
        case '\t': buf_puts(b, "\\t"); i++; continue;
        }
        size_t l = c >= 0x80 ? utf8_seq_len(s + i, n - i) : 0;
        if (l) { buf_put(b, s + i, l); i += l; continue; }
        char e[4] = { '\\', 'x', hexd[c >> 4], hexd[c & 15] };
        buf_put(b, e, 4);
        i++;
    }
}

void buf_quote_text(pp_buf *b, const void *s, size_t n)
{
    buf_putc(b, '"');
    buf_escape_text(b, s, n);
    buf_putc(b, '"');
}

void buf_escape_json(pp_buf *b, const void *sv, size_t n)
{
    const uint8_t *s = sv;
    buf_reserve(b, n);
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') { buf_putc(b, (char)c); i++; continue; }
        switch (c) {
        case '"': buf_puts(b, "\\\""); i++; continue;
        case '\\': buf_puts(b, "\\\\"); i++; continue;
        case '\n': buf_puts(b, "\\n"); i++; continue;
        case '\r': buf_puts(b, "\\r"); i++; continue;
        case '\t': buf_puts(b, "\\t"); i++; continue;
        case '\b': buf_puts(b, "\\b"); i++; continue;
        case '\f': buf_puts(b, "\\f"); i++; continue;
        }
        if (c < 0x20) {
            char e[6] = { '\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15] };
            buf_put(b, e, 6);
            i++;
            continue;
        }
        size_t l = utf8_seq_len(s + i, n - i);
        if (l) { buf_put(b, s + i, l); i += l; }
        else { buf_puts(b, "\xef\xbf\xbd"); i++; }
    }
}

void buf_escape_html(pp_buf *b, const void *sv, size_t n)
{
    const uint8_t *s = sv;
    buf_reserve(b, n);
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        switch (c) {
        case '&': buf_puts(b, "&amp;"); i++; continue;
        case '<': buf_puts(b, "&lt;"); i++; continue;
        case '>': buf_puts(b, "&gt;"); i++; continue;
        case '"': buf_puts(b, "&quot;"); i++; continue;
        case '\'': buf_puts(b, "&#39;"); i++; continue;
        }
        if (c < 0x20 || c == 0x7f) {
            if (c == '\t' || c == '\n') buf_putc(b, (char)c);
            i++;
            continue;
        }
        if (c < 0x80) { buf_putc(b, (char)c); i++; continue; }
        size_t l = utf8_seq_len(s + i, n - i);
        if (l) { buf_put(b, s + i, l); i += l; }
        else { buf_puts(b, "\xef\xbf\xbd"); i++; }
    }
}

/* ---- hash maps ---- */

static uint64_t hash_bytes(const void *p, size_t n)
{
    const uint8_t *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
    return x;
}

static size_t strmap_pos(const pp_strmap *m, const void *key, size_t len)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)hash_bytes(key, len) & mask;; i = (i + 1) & mask)
        if (!m->keys[i] || (m->klen[i] == len && !memcmp(m->keys[i], key, len))) return i;
}

size_t *strmap_find(const pp_strmap *m, const void *key, size_t len)
{
    if (!m->cap) return NULL;
    size_t i = strmap_pos(m, key, len);
    return m->keys[i] ? &m->vals[i] : NULL;
}

size_t *strmap_slot(pp_strmap *m, const void *key, size_t len, int *created)
{
    if ((m->n + 1) * 4 > m->cap * 3) {
        pp_strmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 32;
        m->keys = xcalloc(m->cap, sizeof *m->keys);
        m->klen = xmalloc(m->cap * sizeof *m->klen);
        m->vals = xmalloc(m->cap * sizeof *m->vals);
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.keys[i]) continue;
            size_t j = strmap_pos(m, old.keys[i], old.klen[i]);
            m->keys[j] = old.keys[i]; m->klen[j] = old.klen[i]; m->vals[j] = old.vals[i];
        }
        free(old.keys); free(old.klen); free(old.vals);
    }
    size_t i = strmap_pos(m, key, len);
    if (created) *created = !m->keys[i];
    if (!m->keys[i]) {
        m->keys[i] = xstrndup(key, len);
        m->klen[i] = len;
        m->vals[i] = 0;
        m->n++;
    }
    return &m->vals[i];
}

void strmap_free(pp_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys); free(m->klen); free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t u64map_pos(const pp_u64map *m, uint64_t key)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)hash_u64(key) & mask;; i = (i + 1) & mask)
        if (!m->used[i] || m->keys[i] == key) return i;
}

size_t *u64map_find(const pp_u64map *m, uint64_t key)
{
    if (!m->cap) return NULL;
    size_t i = u64map_pos(m, key);
    return m->used[i] ? &m->vals[i] : NULL;
}

size_t *u64map_slot(pp_u64map *m, uint64_t key, int *created)
{
    if ((m->n + 1) * 4 > m->cap * 3) {
        pp_u64map old = *m;
        m->cap = old.cap ? old.cap * 2 : 32;
        m->keys = xmalloc(m->cap * sizeof *m->keys);
        m->vals = xmalloc(m->cap * sizeof *m->vals);
        m->used = xcalloc(m->cap, 1);
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.used[i]) continue;
            size_t j = u64map_pos(m, old.keys[i]);
            m->used[j] = 1; m->keys[j] = old.keys[i]; m->vals[j] = old.vals[i];
        }
        free(old.keys); free(old.vals); free(old.used);
    }
    size_t i = u64map_pos(m, key);
    if (created) *created = !m->used[i];
    if (!m->used[i]) { m->used[i] = 1; m->keys[i] = key; m->vals[i] = 0; m->n++; }
    return &m->vals[i];
}

void u64map_free(pp_u64map *m)
{
    free(m->keys); free(m->vals); free(m->used);
    memset(m, 0, sizeof *m);
}

int exe_dir(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0) return -1;
    out[n] = 0;
    char *slash = strrchr(out, '/');
    if (!slash) return -1;
    *slash = 0;
    return 0;
}
