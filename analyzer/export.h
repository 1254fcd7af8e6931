/* `phaseprof export`: what the command (cmd_export.c) hands each output format
 * (export_chrome.c, export_folded.c, export_csv.c).  The command opens the traces, finds the root
 * process (its start is time zero for every format and for --from/--to), applies --pid, and opens
 * the output; a format then streams the selected traces one record at a time and writes as it
 * reads, so memory grows with processes, threads, stacks and windows, never with records. */
#ifndef PHASEPROF_EXPORT_H
#define PHASEPROF_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include "reader.h"
#include "util.h"

enum ex_weight { EX_W_CPU, EX_W_ALLOC, EX_W_IO, EX_W_WAIT };

/* One trace file = one process image (an exec starts a new file with the same pid). */
typedef struct ex_proc {
    pp_trace *t;
    const struct pp_r_HEADER *h;   /* never NULL: traces without a header are left out */
    uint64_t pid, ppid;
    uint64_t start_ns;             /* HEADER start_mono_ns (CLOCK_MONOTONIC) */
    uint64_t end_ns;               /* FOOTER ts, else the last timestamp seen */
    const char *name;              /* exe basename: untrusted bytes, NUL-terminated copy */
    size_t name_len;
    int selected;                  /* passes --pid */
    int first_image;               /* earliest image of its pid (the one fork created) */
} ex_proc;

typedef struct pp_export {
    pp_set *set;
    ex_proc *procs;                /* in start order (CLOCK_MONOTONIC) */
    size_t n;
    size_t root;                   /* index of the root process in procs */
    uint64_t root_ns;              /* its start: time zero */
    int has_from, has_to;
    uint64_t from_ns, to_ns;       /* absolute CLOCK_MONOTONIC bounds when set */
    int weight;                    /* folded: enum ex_weight */
    FILE *out;
    const char *out_name;          /* "-" or the -o path, for messages */
} pp_export;

/* Does [ts, ts+dur) overlap the --from/--to window [from, to]?  (A point event has dur 0 and
 * must lie inside it.) */
static inline int ex_in_range(const pp_export *ex, uint64_t ts, uint64_t dur)
{
    if (ex->has_to && ts > ex->to_ns) return 0;
    if (ex->has_from && (dur ? ts + dur <= ex->from_ns : ts < ex->from_ns)) return 0;
    return 1;
}
/* Nanoseconds / seconds / microseconds since the root started (negative before it). */
static inline int64_t ex_rel_ns(const pp_export *ex, uint64_t ts)
{
    return ts >= ex->root_ns ? (int64_t)(ts - ex->root_ns) : -(int64_t)(ex->root_ns - ts);
}
static inline double ex_rel_s(const pp_export *ex, uint64_t ts) { return ((double)ts - (double)ex->root_ns) / 1e9; }
static inline double ex_rel_us(const pp_export *ex, uint64_t ts)
{
    /* integer difference first: the absolute values (~1e15 ns) would lose ns precision as doubles */
    return ts >= ex->root_ns ? (double)(ts - ex->root_ns) / 1e3 : -(double)(ex->root_ns - ts) / 1e3;
}
/* The index in procs of the first image of process pid whose parent is ppid, if it is selected;
 * -1 otherwise (the child was not traced, or --pid left it out). */
long ex_find_child(const pp_export *ex, uint64_t pid, uint64_t ppid);

/* Each returns 0, or 1 after printing why on stderr. */
int export_chrome(pp_export *ex);
int export_folded(pp_export *ex);
int export_csv(pp_export *ex);

/* Writes b to the output and empties it; called when b grows past a few tens of KiB. */
void ex_flush(pp_export *ex, pp_buf *b);

#endif
