/* `phaseprof compress [--level N] PATH...`: compresses finished traces in place (compress.c);
 * `record` does the same for its run's traces when the program is done. */
#include "compress.h"
#include "reader.h"
#include "util.h"

#include <dirent.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

static const char usage_text[] =
    "usage: phaseprof compress [--level N] PATH...\n"
    "\n"
    "Compresses the thread chunks of finished traces in place with zstd (PATH: a .pptrace file or\n"
    "a directory of them).  Every phaseprof command reads compressed traces as it reads the others.\n"
    "`phaseprof record` does this by itself once the program is done; use this for traces written\n"
    "with LD_PRELOAD alone.  A trace that may still be written (open for writing, or no footer yet\n"
    "and its pid alive) is left as it is; so is one that compressing would not make smaller, one\n"
    "with other hard links, and one you do not own.  A symbolic link's target is compressed.\n"
    "\n"
    "  --level N   zstd level, 1 (fastest) to 19 (smallest); default 3\n";

/* Compresses one file; counts it in st and *busy; 1 on an error (reported). */
static int one(const char *path, int level, pp_zstats *st, unsigned *busy)
{
    char err[512];
    int rc = pp_compress_trace(path, level, st, err, sizeof err);
    if (rc == PP_Z_ERROR) { warnx_pp("compress: %s", err); return 1; }
    if (rc == PP_Z_BUSY) (*busy)++;
    return 0;
}

int cmd_compress(int argc, char **argv)
{
    int level = 3, first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        const char *a = argv[first];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(usage_text, stdout); return 0; }
        if (!strcmp(a, "--")) { first++; break; }
        if (!strcmp(a, "--level") && first + 1 < argc) {
            char *end;
            long v = strtol(argv[++first], &end, 10);
            if (*end || v < 1 || v > ZSTD_maxCLevel()) {
                fprintf(stderr, "phaseprof compress: --level: '%s' is not a level from 1 to %d\n", argv[first], ZSTD_maxCLevel());
                return 2;
            }
            level = (int)v;
            continue;
        }
        fprintf(stderr, "phaseprof compress: unknown option '%s'\n%s", a, usage_text);
        return 2;
    }
    if (first >= argc) { fputs(usage_text, stderr); return 2; }
    /* A file size limit (ulimit -f) must end in an error that leaves the trace as it was, not in
     * a kill halfway through the copy. */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGIO, SIG_IGN);      /* a broken read lease (compress.c) is seen, not fatal */
    int bad = 0;
    for (int i = first; i < argc; i++) {
        pp_zstats st = { 0 };
        unsigned busy = 0, files = 0;
        struct stat sb;
        if (stat(argv[i], &sb)) { warnx_pp("compress: %s: no such file or directory", argv[i]); bad = 1; continue; }
        if (S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(argv[i]);
            if (!d) { warnx_pp("compress: %s: cannot read the directory", argv[i]); bad = 1; continue; }
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!pp_is_trace_name(e->d_name)) continue;
                size_t n = strlen(argv[i]) + strlen(e->d_name) + 2;
                char *p = xmalloc(n);
                snprintf(p, n, "%s/%s", argv[i], e->d_name);
                bad |= one(p, level, &st, &busy);
                files++;
                free(p);
            }
            closedir(d);
        } else {
            bad |= one(argv[i], level, &st, &busy);
            files++;
        }
        fprintf(stderr, "phaseprof compress: %s: %u trace%s, %" PRIu64 " -> %" PRIu64 " bytes (%" PRIu64
                " of %" PRIu64 " chunks compressed)", argv[i], files, files == 1 ? "" : "s", st.before, st.after,
                st.compressed, st.chunks);
        if (busy) fprintf(stderr, "; %u left as they are (still being written, or linked elsewhere or not yours)", busy);
        fputc('\n', stderr);
    }
    return bad;
}
