/* Compressing a finished trace's chunks (compress.h).  Done after the run, never by the preload:
 * the traced program's threads pay nothing for it.  Consecutive chunks of one thread (tid != 0),
 * as they are, headers and CRCs included, are gathered up to 1 MiB and stored as one PHCZ chunk
 * — payload u32 raw_len + one zstd frame of them, a CRC over what is stored — when that is
 * smaller: a 32 KiB chunk alone leaves zstd too little context (churn with every call kept: 4.0
 * bytes a call alone, 3.7 gathered).  Process-level chunks (HEADER, module map, FOOTER: small)
 * stay as they are, so `record` and quick scanners read a file's identity and its end without
 * zstd.  A PHCZ chunk already there is copied; bytes that are not a checked chunk (damage, a cut
 * tail) are copied as they are and scanned past, so compressing never loses what a reader could
 * use. */
#include "compress.h"
#include "phaseprof/codec.h"
#include "phaseprof/trace.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define H sizeof(struct pp_chunk_header)
#define MIN_GAIN 64          /* a chunk stays raw unless compressing saves at least this */

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

struct job {
    const char *path;
    int in, out;
    uint64_t size;               /* input size */
    uint8_t *buf, *zbuf;         /* one chunk in; one group out, compressed */
    size_t zcap;
    uint8_t *grp;                /* thread chunks gathered for one PHCZ chunk, as they are */
    size_t glen;
    uint32_t gtid, gchunks;
    uint8_t ghdr[H];             /* the first gathered chunk's header: tid, seq, base_ns */
    ZSTD_CCtx *cctx;
    int level;
    int last_footer;             /* the last chunk read holds a FOOTER not written for an exec */
    uint64_t pid;                /* HEADER pid, 0 if none */
    char *err; size_t errlen;
};

static int fail(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct job *j, const char *fmt, ...)
{
    int n = snprintf(j->err, j->errlen, "%s: ", j->path);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < j->errlen) vsnprintf(j->err + n, j->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return PP_Z_ERROR;
}

static int read_at(struct job *j, void *p, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(j->in, (uint8_t *)p + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return fail(j, "offset %" PRIu64 ": read: %s", off + got, strerror(errno));
        if (r == 0) return fail(j, "offset %" PRIu64 ": the file shrank while being compressed", off + got);
        got += (size_t)r;
    }
    return 0;
}

static int put(struct job *j, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(j->out, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return fail(j, "writing the compressed copy: %s", w < 0 ? strerror(errno) : "short write");
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copies input bytes [from, to) as they are. */
static int copy_raw(struct job *j, uint64_t from, uint64_t to)
{
    while (from < to) {
        size_t n = to - from < PP_CHUNK_MAX ? (size_t)(to - from) : PP_CHUNK_MAX;
        if (read_at(j, j->buf, n, from) || put(j, j->buf, n)) return PP_Z_ERROR;
        from += n;
    }
    return 0;
}

/* Process-chunk records: the HEADER's pid (its first field), and whether a FOOTER that ends
 * the process's writing is among them.  A FOOTER written before an exec does not: the exec may
 * fail, and the process then goes on writing to the same file. */
static void scan_process_chunk(struct job *j, const uint8_t *p, const uint8_t *end)
{
    j->last_footer = 0;
    while (p < end) {
        uint64_t kind, len, v[7] = { 0 };
        if (pp_get_varint(&p, end, &kind) || pp_get_varint(&p, end, &len) || len > (uint64_t)(end - p)) return;
        const uint8_t *body = p, *bend = p + len;
        if (kind == PP_K_HEADER && !j->pid) pp_get_varint(&body, bend, &j->pid);
        if (kind == PP_K_FOOTER) {           /* ts records chunks bytes dropped_records dropped_chunks flags */
            /* fields left off are 0, as the reader reads them */
            for (int i = 0; i < 7 && body < bend; i++)
                if (pp_get_varint(&body, bend, &v[i])) break;
            j->last_footer = !(v[6] & PP_FOOT_EXEC);
        }
        p += len;
    }
}

/* Writes the gathered chunks: one PHCZ chunk (the first one's tid, seq and base_ns) if that saves
 * space, else as they were. */
static int flush_group(struct job *j, pp_zstats *st)
{
    if (!j->glen) return 0;
    size_t n = j->glen, z = ZSTD_compressCCtx(j->cctx, j->zbuf + 4, j->zcap - 4, j->grp, n, j->level);
    j->glen = 0;
    if (ZSTD_isError(z) || z + 4 + MIN_GAIN > n) return put(j, j->grp, n);
    uint32_t raw = (uint32_t)n, stored = (uint32_t)z + 4, zm = PP_CHUNK_ZMAGIC;
    memcpy(j->zbuf, &raw, 4);
    uint8_t *hdr = j->ghdr;
    memcpy(hdr, &zm, 4);
    memcpy(hdr + 4, &stored, 4);
    uint32_t crc = pp_chunk_crc(hdr, j->zbuf, stored);
    memcpy(hdr + 8, &crc, 4);
    st->compressed += j->gchunks;
    return put(j, hdr, H) || put(j, j->zbuf, stored) ? PP_Z_ERROR : 0;
}

/* A checked chunk (header in hdr, payload in j->buf): gathered, or written as it is. */
static int put_chunk(struct job *j, uint8_t *hdr, uint32_t len, pp_zstats *st)
{
    uint32_t magic = rd32(hdr), tid = rd32(hdr + 12);
    st->chunks++;
    if (magic == PP_CHUNK_MAGIC && tid != 0 && H + len <= PP_CHUNK_MAX) {
        if (j->glen && (tid != j->gtid || j->glen + H + len > PP_CHUNK_MAX) && flush_group(j, st)) return PP_Z_ERROR;
        if (!j->glen) { memcpy(j->ghdr, hdr, H); j->gtid = tid; j->gchunks = 0; }
        memcpy(j->grp + j->glen, hdr, H);
        memcpy(j->grp + j->glen + H, j->buf, len);
        j->glen += H + len;
        j->gchunks++;
        j->last_footer = 0;
        return 0;
    }
    if (flush_group(j, st)) return PP_Z_ERROR;
    if (magic == PP_CHUNK_ZMAGIC) st->compressed++;
    if (tid == 0 && magic == PP_CHUNK_MAGIC) scan_process_chunk(j, j->buf, j->buf + len);
    else j->last_footer = 0;
    return put(j, hdr, H) || put(j, j->buf, len) ? PP_Z_ERROR : 0;
}

/* Is there a checked chunk at off?  Leaves its header in hdr and its payload in j->buf. */
static int chunk_at(struct job *j, uint64_t off, uint8_t *hdr, uint32_t *len)
{
    if (off + H > j->size || read_at(j, hdr, H, off)) return 0;
    uint32_t m = rd32(hdr);
    *len = rd32(hdr + 4);
    if ((m != PP_CHUNK_MAGIC && m != PP_CHUNK_ZMAGIC) || *len > PP_CHUNK_MAX || off + H + *len > j->size) return 0;
    if (read_at(j, j->buf, *len, off + H)) return 0;
    return pp_chunk_crc(hdr, j->buf, *len) == rd32(hdr + 8);
}

/* The offset of the next checked chunk at or after off (a window searched for "PHC" at a time,
 * as the reader resynchronizes), or the file's size. */
static uint64_t next_chunk(struct job *j, uint64_t off, uint8_t *hdr, uint32_t *len)
{
    static const uint8_t magic[3] = { 'P', 'H', 'C' };
    enum { WIN = 1 << 16 };
    uint8_t w[WIN];
    while (off + H <= j->size) {
        size_t n = j->size - off < WIN ? (size_t)(j->size - off) : WIN;
        if (read_at(j, w, n, off)) return j->size;
        const uint8_t *hit = memmem(w, n, magic, sizeof magic);
        if (!hit) { off += n - (sizeof magic - 1); continue; }   /* a magic may straddle windows */
        uint64_t cand = off + (uint64_t)(hit - w);
        if (chunk_at(j, cand, hdr, len)) return cand;
        off = cand + 1;
    }
    return j->size;
}

/* The copy: 0 written to j->out, 1 nothing to do (the file stays), PP_Z_ERROR. */
static int run(struct job *j, pp_zstats *st)
{
    uint8_t pre[sizeof(struct pp_preamble)];
    if (j->size < sizeof pre) {
        /* cut before its preamble ended (a process killed at once): nothing to compress, as the
         * reader reads it (empty, truncated), unless it is not the start of a trace at all */
        if (j->size && (read_at(j, pre, (size_t)j->size, 0) || memcmp(pre, PP_MAGIC, j->size < 8 ? (size_t)j->size : 8)))
            return fail(j, "offset 0: not a phaseprof trace");
        return 1;
    }
    if (read_at(j, pre, sizeof pre, 0) || memcmp(pre, PP_MAGIC, 8))
        return fail(j, "offset 0: not a phaseprof trace");
    if (rd32(pre + 8) != PP_VERSION)
        return fail(j, "offset 8: trace format version %" PRIu32 ", this phaseprof reads %u", rd32(pre + 8), PP_VERSION);
    /* a longer preamble (a later writer's) is copied as it is, as the reader skips it */
    uint32_t plen = rd32(pre + 12);
    if (plen < sizeof pre || plen > 65536) return fail(j, "offset 12: bad preamble length %" PRIu32, plen);
    if (plen >= j->size) return 1;                  /* cut inside it: no chunk to compress */
    if (copy_raw(j, 0, plen)) return PP_Z_ERROR;
    uint64_t off = plen;
    uint8_t hdr[H];
    uint32_t len;
    while (off < j->size) {
        if (chunk_at(j, off, hdr, &len)) {
            if (put_chunk(j, hdr, len, st)) return PP_Z_ERROR;
            off += H + len;
            continue;
        }
        /* not a chunk: copy up to the next one that checks out (or the end) */
        uint64_t next = next_chunk(j, off + 1, hdr, &len);
        if (flush_group(j, st) || copy_raw(j, off, next)) return PP_Z_ERROR;
        j->last_footer = 0;
        off = next;
    }
    return flush_group(j, st);
}

/* Is the file still being written?  Open for writing anywhere on this machine (no read lease to
 * be had), or, where leases are not supported (another file system, not our file) and once run()
 * has read it (read), no FOOTER that ends it and its process (or one with its pid) alive. */
static int still_written(struct job *j, int read)
{
    if (fcntl(j->in, F_SETLEASE, F_RDLCK) == 0) {
        fcntl(j->in, F_SETLEASE, F_UNLCK);
        return 0;
    }
    if (errno == EAGAIN) return 1;
    return read && !j->last_footer && (!j->pid || kill((pid_t)j->pid, 0) == 0 || errno == EPERM);
}

int pp_compress_trace(const char *path, int level, pp_zstats *st, char *err, size_t errlen)
{
    struct job j = { .path = path, .in = -1, .out = -1, .level = level, .err = err, .errlen = errlen };
    pp_zstats s = { 0 };
    struct stat a, b;
    char *tmp = NULL, *real = NULL;
    int rc = PP_Z_ERROR, lease = -1;
    /* The file itself, not a symbolic link to it, is what gets replaced. */
    if (!(real = realpath(path, NULL))) { fail(&j, "%s", strerror(errno)); goto out; }
    path = real;
    j.in = open(path, O_RDONLY | O_CLOEXEC);
    if (j.in < 0) { fail(&j, "%s", strerror(errno)); goto out; }
    if (fstat(j.in, &a)) { fail(&j, "%s", strerror(errno)); goto out; }
    if (!S_ISREG(a.st_mode)) { fail(&j, "not a regular file"); goto out; }
    /* A copy renamed over a file with other names, or someone else's, would not be that file:
     * left as it is. */
    if (a.st_nlink != 1 || (geteuid() != 0 && a.st_uid != geteuid())) { rc = PP_Z_BUSY; goto out; }
    j.size = s.before = s.after = (uint64_t)a.st_size;
    size_t n = strlen(path) + 32;
    tmp = xmalloc(n);
    snprintf(tmp, n, "%s.z%d.tmp", path, (int)getpid());
    j.out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (j.out < 0) { fail(&j, "cannot create %s: %s", tmp, strerror(errno)); goto out; }
    j.buf = xmalloc(PP_CHUNK_MAX);
    j.grp = xmalloc(PP_CHUNK_MAX);
    j.zcap = ZSTD_compressBound(PP_CHUNK_MAX) + 4;
    j.zbuf = xmalloc(j.zcap);
    if (!(j.cctx = ZSTD_createCCtx())) { fail(&j, "out of memory"); goto out; }
    if (still_written(&j, 0)) { rc = PP_Z_BUSY; goto out; }    /* before all the work, too */
    int r = run(&j, &s);
    if (r > 0) { rc = PP_Z_DONE; goto out; }                    /* nothing to do: left as it is */
    if (r) goto out;
    off_t end = lseek(j.out, 0, SEEK_CUR);
    if (end < 0 || (uint64_t)end >= s.before) { rc = PP_Z_DONE; goto out; }     /* nothing gained */
    if (fchown(j.out, a.st_uid, a.st_gid)) { /* not ours to give away: the copy stays the caller's */ }
    if (fchmod(j.out, a.st_mode & 07777) || fsync(j.out)) { fail(&j, "%s: %s", tmp, strerror(errno)); goto out; }
    if (close(j.out)) { j.out = -1; fail(&j, "%s: %s", tmp, strerror(errno)); goto out; }
    j.out = -1;
    /* From here to the rename, a read lease: none can be had while anyone has the file open for
     * writing; one being broken (an open for writing arrived: the caller ignores SIGIO) is a
     * reason to stop. */
    lease = fcntl(j.in, F_SETLEASE, F_RDLCK);
    if (lease < 0 && (errno == EAGAIN || still_written(&j, 1))) { rc = PP_Z_BUSY; goto out; }
    if (fstat(j.in, &b) || b.st_size != a.st_size || b.st_mtim.tv_sec != a.st_mtim.tv_sec ||
        b.st_mtim.tv_nsec != a.st_mtim.tv_nsec) { rc = PP_Z_BUSY; goto out; }
    if (lease == 0 && fcntl(j.in, F_GETLEASE) != F_RDLCK) { rc = PP_Z_BUSY; goto out; }
    if (rename(tmp, path)) { fail(&j, "rename from %s: %s", tmp, strerror(errno)); goto out; }
    free(tmp);
    tmp = NULL;
    s.after = (uint64_t)end;
    rc = PP_Z_DONE;
out:
    if (j.out >= 0) close(j.out);
    if (tmp) { unlink(tmp); free(tmp); }
    if (lease == 0) fcntl(j.in, F_SETLEASE, F_UNLCK);
    if (j.in >= 0) close(j.in);
    free(real);
    ZSTD_freeCCtx(j.cctx);
    free(j.buf);
    free(j.zbuf);
    free(j.grp);
    if (rc == PP_Z_DONE && st) {
        st->before += s.before;
        st->after += s.after;
        st->chunks += s.chunks;
        st->compressed += s.after < s.before ? s.compressed : 0;
    }
    return rc;
}
