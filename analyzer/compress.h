/* Compressing a finished trace's chunks in place (zstd), off the traced program's path: `phaseprof
 * record` does it once the program is done, `phaseprof compress` on demand.  The reader reads
 * both forms (docs/trace-format.md, "Compressed chunks"). */
#ifndef PHASEPROF_COMPRESS_H
#define PHASEPROF_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct pp_zstats {
    uint64_t before, after;        /* file bytes */
    uint64_t chunks, compressed;   /* chunks seen, chunks stored compressed afterwards */
} pp_zstats;

enum { PP_Z_DONE = 0, PP_Z_BUSY = 1, PP_Z_ERROR = -1 };

/* Rewrites path with each thread chunk compressed where that saves space, through a temporary
 * file renamed over it, so a reader never sees half of it.  PP_Z_BUSY (file untouched) when the
 * process may still write to it (the file is open for writing: no read lease; or, without lease
 * support, no FOOTER that ends it and its pid alive), or when the copy would not be that file
 * (other hard links; someone else's file).  Bytes that are not a whole, checked chunk (damage, a
 * cut-short tail) are kept as they are.  PP_Z_ERROR with a message naming the file in err; the
 * file is then untouched too. */
int pp_compress_trace(const char *path, int level, pp_zstats *st, char *err, size_t errlen);

/* `phaseprof compress [--level N] PATH...` (files or directories of traces). */
int cmd_compress(int argc, char **argv);

#endif
