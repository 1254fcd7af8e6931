/* phaseprof trace format v1: the one contract between libphaseprof.so (writer) and the
 * phaseprof command (reader).  Spec for humans: docs/trace-format.md.
 *
 * A file is a 16-byte preamble followed by chunks.  Each chunk is written whole by one write(2)
 * on an O_APPEND descriptor, so chunks of different threads never interleave and a killed
 * process loses at most the chunks it had not written yet.  A chunk carries a CRC32C over its
 * header fields and payload; its payload is a sequence of records:
 *     varint kind, varint body_length, body (fields per events.def)
 * Everything is little-endian. */
#ifndef PHASEPROF_TRACE_H
#define PHASEPROF_TRACE_H

#include <stdint.h>
#include <stddef.h>

#define PP_MAGIC "PHASEPRF"          /* 8 bytes, no NUL on disk */
#define PP_VERSION 1u
#define PP_CHUNK_MAGIC 0x4b434850u   /* "PHCK" as little-endian bytes */
#define PP_CHUNK_MAX (1u << 20)      /* a reader rejects larger payloads as corrupt */
/* "PHCZ": the same chunk compressed after the fact (`phaseprof record` once the process is done,
 * or `phaseprof compress`; never the preload).  Same header; the payload is u32 raw_len then one
 * zstd frame of the raw_len bytes (<= PP_CHUNK_MAX) a PHCK chunk would hold; payload_len and the
 * CRC are those of the stored, compressed bytes. */
#define PP_CHUNK_ZMAGIC 0x5a434850u

struct pp_preamble {
    char magic[8];
    uint32_t version;
    uint32_t preamble_len;           /* 16 in v1; a reader skips to this offset */
};

struct pp_chunk_header {
    uint32_t magic;                  /* PP_CHUNK_MAGIC: lets a reader resync after damage */
    uint32_t payload_len;            /* bytes of records after this header */
    uint32_t crc;                    /* CRC32C of bytes 12..31 of this header, then the payload */
    uint32_t tid;                    /* kernel thread id that wrote it (0: process-level) */
    uint64_t seq;                    /* per-process chunk number, from 0, in write order */
    uint64_t base_ns;                /* CLOCK_MONOTONIC ns: start of the running time */
};

_Static_assert(sizeof(struct pp_preamble) == 16, "preamble is 16 bytes");
_Static_assert(sizeof(struct pp_chunk_header) == 32, "chunk header is 32 bytes");
_Static_assert(offsetof(struct pp_chunk_header, tid) == 12, "crc covers from byte 12");

/* Record kinds, from events.def. */
enum pp_kind {
#define F(n, t)
#define PP_REC(NAME, id, ...) PP_K_##NAME = id,
#include "events.def"
#undef PP_REC
#undef F
    PP_K_MAX
};

/* HEADER.flags */
#define PP_HDR_EVENTS_ALL    0x1u   /* every call recorded as CALL records */
#define PP_HDR_COUNTER_FALLBACK 0x2u /* counters asked for were not available; see counters_note */
#define PP_HDR_FORKED        0x4u   /* this process was forked from a traced parent */
#define PP_HDR_SAMPLER_OFF   0x8u   /* no timer sampling: samples only at intercepted calls */

/* FOOTER.flags: every cap has a flag so partial data never looks complete */
#define PP_FOOT_DISK_FULL    0x1u   /* a write failed (ENOSPC, EFBIG…): tracing stopped there */
#define PP_FOOT_DROPPED      0x2u   /* records were dropped (see dropped_records) */
#define PP_FOOT_FD_LOST      0x4u   /* the program closed or replaced our descriptor */
#define PP_FOOT_EXEC         0x8u   /* the image was replaced by exec (trace continues in a new file) */
#define PP_FOOT_STRINGS_FULL 0x10u  /* the string table filled: later strings not deduplicated */
#define PP_FOOT_THREADS_FULL 0x20u  /* more live threads than slots: some were not traced */
#define PP_FOOT_FDS_FULL     0x40u  /* descriptors above the per-fd table were counted without file stats */
#define PP_FOOT_EVENTS_CAPPED 0x80u /* IO_EVENT records hit their per-second cap */
#define PP_FOOT_SIGNAL_TAKEN 0x100u /* the program took over the sampling signal (recorders before 2026-12-02) */
#define PP_FOOT_SIGNAL_SHARED 0x200u /* the program installed a handler for the sampling signal: sampling went on, its handler got every other signal */

/* fd classes and operation kinds for SAMPLE.io cells and IO_EVENT */
enum pp_fd_class { PP_FD_FILE, PP_FD_PIPE, PP_FD_SOCKET, PP_FD_TTY, PP_FD_DEVICE, PP_FD_OTHER,
                   PP_FD_CLASSES };
enum pp_op { PP_OP_READ, PP_OP_WRITE, PP_OP_META, PP_OP_SYNC, PP_OPS };
#define PP_IO_CELLS (PP_FD_CLASSES * PP_OPS)

/* wait kinds for SAMPLE.wait and WAIT_EVENT */
enum pp_wait { PP_WAIT_MUTEX, PP_WAIT_COND, PP_WAIT_RWLOCK, PP_WAIT_SEM, PP_WAIT_SLEEP,
               PP_WAIT_POLL, PP_WAIT_JOIN, PP_WAIT_CHILD, PP_WAIT_KINDS };

/* FORK.kind */
enum pp_fork_kind { PP_FORK_FORK, PP_FORK_VFORK, PP_FORK_SPAWN, PP_FORK_CLONE };

/* MARK.kind */
enum pp_mark_kind { PP_MARK_POINT, PP_MARK_BEGIN, PP_MARK_END };

/* Access-size histogram buckets (Darshan's): upper bounds in bytes, last is open-ended. */
#define PP_HIST 10
static const uint64_t pp_hist_bounds[PP_HIST - 1] = {
    100, 1024, 10240, 102400, 1048576, 4194304, 10485760, 104857600, 1073741824 };
static inline unsigned pp_hist_bucket(uint64_t n)
{
    unsigned b = 0;
    while (b < PP_HIST - 1 && n >= pp_hist_bounds[b]) b++;
    return b;
}

/* Intercepted functions (IO_EVENT.fn, CALL.fn).  Append only: the numbers are on disk. */
#define PP_FNS(X) \
    X(malloc) X(calloc) X(realloc) X(free) X(memalign) X(mmap) X(munmap) X(mremap) \
    X(open) X(close) X(read) X(write) X(pread) X(pwrite) X(readv) X(writev) X(preadv) \
    X(pwritev) X(lseek) X(fsync) X(fdatasync) X(dup) X(sendfile) X(copy_file_range) \
    X(stat) X(fopen) X(fclose) X(fread) X(fwrite) X(fgets) X(fputs) X(fgetc) X(fputc) \
    X(fprintf) X(fflush) X(fseek) X(getline) X(send) X(recv) X(sendmsg) X(recvmsg) \
    X(connect) X(accept) X(rename) X(unlink) X(mkdir) X(truncate) X(fcntl) X(ftell) \
    X(socket) X(pipe) X(fstat) X(access) X(opendir) X(sync_file_range) X(msync) X(ftruncate) \
    X(splice) X(poll) X(other)
enum pp_fn {
#define PP_FN_ENUM(n) PP_FN_##n,
    PP_FNS(PP_FN_ENUM)
#undef PP_FN_ENUM
    PP_FN_COUNT
};

/* ---- decoded view (reader side): one pp_val per field, in events.def order ---- */
typedef union pp_val {
    uint64_t u;
    int64_t s;
    struct { const uint8_t *p; uint32_t len; uint32_t count; } b; /* S, B: bytes; A, L: encoded items */
} pp_val;

#define F(n, t) pp_val n;
#define PP_REC(NAME, id, ...) struct pp_r_##NAME { __VA_ARGS__ };
#include "events.def"
#undef PP_REC
#undef F

#define PP_MAX_FIELDS 32
#define F(n, t) + 1
#define PP_REC(NAME, id, ...) _Static_assert(0 __VA_ARGS__ <= PP_MAX_FIELDS, #NAME " has too many fields");
#include "events.def"
#undef PP_REC
#undef F

#endif
