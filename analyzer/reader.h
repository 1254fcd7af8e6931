/* Trace reader: opens one trace file (or a directory of them), validates it, and streams its
 * records in file order, decoded generically from include/phaseprof/events.def.
 *
 * Opening a trace makes one validating pass over the file (the "index pass"): it checks the
 * preamble, walks the chunks (magic, length, CRC32C, every record decodes within its chunk),
 * resyncs past damage, and keeps only what later passes need at random: the HEADER and FOOTER,
 * the string table (STRING records may come after their first use, in any thread's chunk), the
 * stack table, and a small index of the good chunks.  Every problem is reported once, here, with
 * file and byte offset.  Iterating afterwards (pp_trace_next) walks the good chunks only and never
 * fails.  Memory is bounded by strings + stacks + chunks, never by the number of records, and the
 * file is not held open between passes (a `make -j` run leaves thousands of traces).
 *
 * Bad input never crashes the reader and never makes it read out of bounds: a bad preamble is an
 * open error; a bad chunk is skipped and counted; a file cut mid-chunk is read up to its last
 * complete chunk and flagged truncated. */
#ifndef PHASEPROF_READER_H
#define PHASEPROF_READER_H

#include <stddef.h>
#include <stdint.h>
#include "phaseprof/trace.h"
#include "phaseprof/codec.h"

/* ---- record kinds, from events.def ---- */
typedef struct pp_kind_info {
    const char *name;              /* "SAMPLE" */
    unsigned id;                   /* PP_K_SAMPLE */
    unsigned nfields;
    const char *types;             /* one events.def type letter per field: "tuuuAA…" */
    const char *const *fields;     /* field names, in order */
    int last_delta;                /* index of the last t/p field (-1: none): decoding must reach
                                    * it even for records the caller does not want */
} pp_kind_info;

/* NULL for a kind this reader does not know. */
const pp_kind_info *pp_kind(uint64_t kind);
/* Kind by name ("SAMPLE"), 0 if none. */
unsigned pp_kind_by_name(const char *name);
/* Name of a PP_FN_* number ("write"), NULL if out of range. */
const char *pp_fn_name(uint64_t fn);
/* Index of field `name` in kind k, -1 if none. */
int pp_field_index(const pp_kind_info *k, const char *name);

/* ---- one decoded record ---- */
typedef struct pp_rec {
    uint64_t kind;                 /* PP_K_* (or an unknown number) */
    const pp_kind_info *info;      /* NULL: unknown kind; then only kind/len/body are set */
    uint32_t tid;                  /* the chunk's thread id (0: process-level chunk) */
    uint64_t seq;                  /* the chunk's sequence number */
    size_t chunk;                  /* the chunk's index: pp_trace_chunk(t, r->chunk) */
    uint64_t off;                  /* file offset of the record (its kind varint) */
    const uint8_t *body;           /* the raw body; valid until the next pp_trace_next */
    uint32_t len;
    unsigned nfields;              /* fields present in the body; the others read 0 */
    /* One pp_val per field in events.def order, or by name: r->SAMPLE.cpu_ns.u.
     * t fields are absolute CLOCK_MONOTONIC ns, p fields absolute pointers.  S/B/A/L point into
     * the chunk buffer: valid until the next pp_trace_next (copy what you keep). */
    union {
        pp_val v[PP_MAX_FIELDS];
#define F(n, t)
#define PP_REC(NAME, id, ...) struct pp_r_##NAME NAME;
#include "phaseprof/events.def"
#undef PP_REC
#undef F
    };
} pp_rec;

/* Walks an A (unsigned varints) or L (strings) value.  Items were validated when the chunk was,
 * so these only stop at the end; they still never read past it. */
typedef struct pp_iter { const uint8_t *p, *end; uint64_t left; } pp_iter;
static inline pp_iter pp_iter_of(pp_val v)
{
    pp_iter it = { v.b.p, v.b.p ? v.b.p + v.b.len : NULL, v.b.p ? v.b.count : 0 };
    return it;
}
static inline int pp_iter_u(pp_iter *it, uint64_t *out)
{
    if (!it->left || pp_get_varint(&it->p, it->end, out)) return 0;
    it->left--;
    return 1;
}
/* The next group of n values of a flat A array (SAMPLE.io: 4 per cell, SAMPLE.wait: 3 per kind);
 * 0 at the end or on a short group. */
static inline int pp_iter_group(pp_iter *it, uint64_t *g, int n)
{
    for (int k = 0; k < n; k++) if (!pp_iter_u(it, &g[k])) return 0;
    return 1;
}
static inline int pp_iter_str(pp_iter *it, const uint8_t **s, size_t *len)
{
    uint64_t n;
    if (!it->left || pp_get_varint(&it->p, it->end, &n) || n > (uint64_t)(it->end - it->p)) return 0;
    *s = it->p; *len = (size_t)n;
    it->p += n;
    it->left--;
    return 1;
}

/* ---- a trace file ---- */
typedef struct pp_trace pp_trace;

typedef struct pp_trace_stats {
    uint64_t file_bytes;           /* size when opened */
    uint64_t chunks;               /* good chunks */
    uint64_t records;              /* records in good chunks, all kinds */
    uint64_t unknown_records;      /* of a kind this reader does not know: skipped */
    uint64_t bad_chunks;           /* damaged stretches skipped (each counted once) */
    uint64_t bad_crc;              /*   of which: CRC mismatch */
    uint64_t malformed;            /*   of which: CRC fine, but a record did not decode */
    uint64_t bad_bytes;            /* bytes skipped in damaged stretches */
    uint64_t undefined_strings;    /* distinct string ids used by i fields that no STRING defines */
    int truncated;                 /* ends mid-chunk: read up to the last complete chunk */
    int complete;                  /* a FOOTER was read */
    int has_header;
    uint64_t first_ns, last_ns;    /* smallest and largest timestamp (t field) seen; 0 if none */
    uint64_t threads;              /* distinct non-zero chunk tids */
} pp_trace_stats;

typedef struct pp_chunk_info {
    uint64_t off;                  /* file offset of the chunk header */
    uint64_t seq, base_ns;
    uint64_t first_ns, last_ns;    /* timestamps in this chunk (base_ns if it has none) */
    uint32_t len;                  /* payload bytes (decompressed) */
    uint32_t zlen;                 /* in a compressed group (PHCZ chunk at off): its stored bytes; 0: not */
    uint32_t zin;                  /* in a group: where the payload starts in the decompressed bytes */
    uint32_t tid;
    uint32_t records;
    uint64_t kinds;                /* bit k: a record of kind k in it (bit 63: kind 63 or more) */
} pp_chunk_info;

/* Opens and validates a trace.  NULL on an open error (missing file, bad preamble), with a
 * message naming the file (and the offset) in err.  Damage past the preamble is not an error: it
 * is reported through the diagnostic hook and counted in the stats. */
pp_trace *pp_trace_open(const char *path, char *err, size_t errlen);
/* The same over bytes in memory (not copied: they must outlive the trace).  name is used in
 * messages.  For tests and the fuzzer. */
pp_trace *pp_trace_open_mem(const void *data, size_t len, const char *name, char *err, size_t errlen);
void pp_trace_close(pp_trace *t);

const char *pp_trace_path(const pp_trace *t);
const pp_trace_stats *pp_trace_stats_of(const pp_trace *t);
/* NULL when the trace has none (cut before it, or its chunk damaged).  Values stay valid until
 * pp_trace_close. */
const struct pp_r_HEADER *pp_trace_header(const pp_trace *t);
const struct pp_r_FOOTER *pp_trace_footer(const pp_trace *t);
/* Text of string id (NUL-terminated; *len without the NUL), NULL if no STRING defines it. */
const char *pp_trace_string(const pp_trace *t, uint64_t id, size_t *len);
/* Frames of stack id, innermost first; NULL if no STACK defines it. */
const uint64_t *pp_trace_stack(const pp_trace *t, uint64_t id, size_t *nframes);
size_t pp_trace_nchunks(const pp_trace *t);
const pp_chunk_info *pp_trace_chunk(const pp_trace *t, size_t i);

/* ---- streaming the records ---- */
/* Restricts pp_trace_next to the given kinds (n == 0: every record, unknown kinds included).
 * Records of other kinds are decoded only as far as their last t/p field, to keep the running
 * time right: selecting a few kinds is much faster than filtering in the caller. */
void pp_trace_select(pp_trace *t, const unsigned *kinds, size_t n);
/* Starts again from the first record.  Called implicitly before the first pp_trace_next. */
void pp_trace_rewind(pp_trace *t);
/* Positions the iterator at the start of chunk i (pp_trace_chunk): with the chunk index
 * (tid, first_ns, last_ns) a caller can read one thread or one time range without the rest. */
void pp_trace_seek(pp_trace *t, size_t i);
/* Next record in file order: 1 and *r filled, or 0 at the end (or if the file changed under us,
 * reported through the diagnostic hook).  The file is held open only while iterating; it is
 * closed at the end. */
int pp_trace_next(pp_trace *t, pp_rec *r);

/* ---- diagnostics ---- */
/* Called for every problem found in a trace: file, byte offset, what is wrong.  The default prints
 * "phaseprof: FILE: offset N: WHAT" on stderr, at most 20 per file, then a count. */
typedef void (*pp_diag_fn)(void *ctx, const char *path, uint64_t off, const char *what);
void pp_reader_set_diag(pp_diag_fn fn, void *ctx);   /* fn NULL: back to the default */
void pp_diag_quiet(void *ctx, const char *path, uint64_t off, const char *what);

/* ---- a set of traces: one file, or every *.pptrace in a directory ---- */
/* Whether a directory entry's name is a trace's: "*.pptrace". */
int pp_is_trace_name(const char *name);
typedef struct pp_set {
    size_t n;
    pp_trace **traces;             /* sorted by start time (HEADER start_real_ns, then pid) */
    size_t failed;                 /* files that could not be opened (each reported) */
} pp_set;

/* PATH is a trace file or a directory.  NULL with err set when it does not exist, a directory
 * holds no *.pptrace file, or no file in it could be opened. */
pp_set *pp_set_open(const char *path, char *err, size_t errlen);
/* Index of the run's root process: the earliest trace whose parent pid has no earlier trace in
 * the set (0 if every trace lacks a header).  Its start is the run's time zero. */
size_t pp_set_root(const pp_set *s);
void pp_set_close(pp_set *s);

#endif
