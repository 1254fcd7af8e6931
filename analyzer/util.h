/* Small helpers every analyzer file uses: allocation that never returns NULL, die() for fatal
 * errors, a growable byte buffer, and escaping of untrusted bytes (paths, argv, thread names come
 * straight from the traced program) for text, JSON and HTML output.
 * Analyzer only: the preload must never link this (it may not exit or malloc freely). */
#ifndef PHASEPROF_UTIL_H
#define PHASEPROF_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grows *p (of *cap elements of size elem) so that it holds at least need elements. */
void xgrow(void **p, size_t *cap, size_t need, size_t elem);

/* Prints "phaseprof: <message>" on stderr and exits 1. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* Prints "phaseprof: <message>" on stderr and goes on. */
__attribute__((format(printf, 1, 2))) void warnx_pp(const char *fmt, ...);

/* A growable byte buffer; data is always NUL-terminated (not counted in len). */
typedef struct pp_buf {
    char *data;
    size_t len, cap;
} pp_buf;

void buf_init(pp_buf *b);
void buf_free(pp_buf *b);
void buf_clear(pp_buf *b);
void buf_reserve(pp_buf *b, size_t extra);
void buf_put(pp_buf *b, const void *p, size_t n);
void buf_putc(pp_buf *b, char c);
void buf_puts(pp_buf *b, const char *s);
__attribute__((format(printf, 2, 3))) void buf_printf(pp_buf *b, const char *fmt, ...);
void buf_vprintf(pp_buf *b, const char *fmt, va_list ap);
/* Moves the contents out (the caller frees them); the buffer is left empty. */
char *buf_take(pp_buf *b);

/* Escaping of arbitrary bytes.  None of these add the surrounding quotes.
 * text: valid UTF-8 passes through; \" \\ \n \r \t; other control bytes, DEL and bytes that are
 *       not valid UTF-8 become \xNN — so the output is one line and shows exactly what is there.
 * json: a JSON string body; bytes that are not valid UTF-8 become U+FFFD.
 * html: & < > " ' as entities; invalid UTF-8 becomes U+FFFD; control bytes other than \t \n
 *       are dropped. */
void buf_escape_text(pp_buf *b, const void *s, size_t n);
void buf_escape_json(pp_buf *b, const void *s, size_t n);
void buf_escape_html(pp_buf *b, const void *s, size_t n);
/* Convenience: "escaped" with the quotes, for text output. */
void buf_quote_text(pp_buf *b, const void *s, size_t n);
/* Writes b's contents to f. */
void buf_write(const pp_buf *b, FILE *f);

/* Hash maps from a byte string or a 64-bit key to an index (size_t) into the caller's own array:
 * the caller keeps the values, the map only finds them.  Keys are copied. */
typedef struct pp_strmap { char **keys; size_t *klen; size_t *vals; size_t cap, n; } pp_strmap;
/* The value slot for key: *created says whether it is new (its value is then 0; set it). */
size_t *strmap_slot(pp_strmap *m, const void *key, size_t len, int *created);
size_t *strmap_find(const pp_strmap *m, const void *key, size_t len);   /* NULL if absent */
void strmap_free(pp_strmap *m);

typedef struct pp_u64map { uint64_t *keys; size_t *vals; unsigned char *used; size_t cap, n; } pp_u64map;
size_t *u64map_slot(pp_u64map *m, uint64_t key, int *created);
size_t *u64map_find(const pp_u64map *m, uint64_t key);
void u64map_free(pp_u64map *m);

/* Length of the valid UTF-8 sequence starting at s (of n bytes available), 0 if invalid. */
size_t utf8_seq_len(const uint8_t *s, size_t n);

/* The directory holding the running phaseprof executable (from /proc/self/exe), into out;
 * 0, or -1 when it cannot be read.  Where the library and the models are looked for first. */
int exe_dir(char *out, size_t cap);

#endif
