/* Appending records to a thread's chunk buffer and writing whole chunks.
 *
 * Only the owning thread appends (or its own signal handler, or the exit path after claiming the
 * buffer): `busy` is taken with one atomic exchange per record, so a handler or the exit flusher
 * that finds it taken skips rather than waits.  No malloc, no lock, no stdio.  errno is preserved
 * because flushing makes system calls inside the program's calls. */
#include "pp.h"
#include "internal.h"
#include <string.h>

#define HDR ((uint32_t)sizeof(struct pp_chunk_header))
static atomic_uint_fast64_t chunk_seq;

#if defined(__x86_64__) && __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
/* pp_crc32c_fast asks CPUID, which in a VM traps to the hypervisor (~11 µs a time here, two per
 * check: a sixth of what the preload added to an empty program).  The dynamic linker ran CPUID
 * for every process already; glibc (2.33+) hands out its answer for free. */
static uint32_t chunk_crc(uint32_t crc, const void *data, size_t n)
{
    static int hw = -1;
    if (pp_unlikely(hw < 0)) hw = CPU_FEATURE_ACTIVE(SSE4_2) ? 1 : 0;
    return hw ? pp_crc32c_hw(crc, data, n) : pp_crc32c_update(crc, data, n);
}
#else
#define chunk_crc pp_crc32c_fast
#endif

static void chunk_reset(struct pp_thread *t, uint64_t now)
{
    t->len = 0;
    t->base_ns = t->last_ts = t->chunk_open_ns = now;
    t->last_ptr = 0;
}

/* Writes what t holds as one chunk.  Caller owns t->busy. */
static void flush_locked(struct pp_thread *t)
{
    if (!t->len) return;
    int saved = errno;
    uint64_t t0 = pp_now();
    struct pp_chunk_header *h = (struct pp_chunk_header *)t->buf;
    h->magic = PP_CHUNK_MAGIC;
    h->payload_len = t->len;
    h->tid = (uint32_t)t->tid;
    h->seq = atomic_fetch_add(&chunk_seq, 1);
    h->base_ns = t->base_ns;
    h->crc = chunk_crc(chunk_crc(0, (const uint8_t *)h + 12, HDR - 12), t->buf + HDR, t->len);
    pp_output_write(t->buf, HDR + t->len);
    uint64_t t1 = pp_now();
    /* The recorder's own cost (selfcost.c).  Capped: a write that takes longer waited for the
     * disk, or was preempted; either is not CPU we spent. */
    t->self_ns += t1 - t0 < 2000000 ? t1 - t0 : 2000000;
    chunk_reset(t, t1);
    errno = saved;
}

void pp_buffer_init(struct pp_thread *t)
{
    chunk_reset(t, pp_now());
}

void pp_buffer_reset_seq(void) { atomic_store(&chunk_seq, 0); }

uint8_t *pp_rec_begin(struct pp_thread *t, unsigned kind, size_t max_body)
{
    if (pp_unlikely(t->dead) || atomic_exchange_explicit(&t->busy, 1, memory_order_acquire)) {
        t->dropped++;
        return 0;
    }
    size_t need = max_body + 4;               /* kind (1) + length (≤ 3) */
    if (HDR + t->len + need > t->cap) {
        flush_locked(t);
        if (HDR + need > t->cap) {  /* can never fit: drop, say so in the footer */
            atomic_store_explicit(&t->busy, 0, memory_order_release);
            t->dropped++;
            atomic_fetch_or(&pp_footer_flags, PP_FOOT_DROPPED);
            return 0;
        }
    }
    uint8_t *p = t->buf + HDR + t->len;
    *p++ = (uint8_t)kind;                      /* kinds < 128: one byte */
    return p + 1;                              /* one byte reserved for the length */
}

void pp_rec_end(struct pp_thread *t, uint8_t *end)
{
    uint8_t *start = t->buf + HDR + t->len + 2;   /* body start as given by pp_rec_begin */
    size_t body = (size_t)(end - start);
    unsigned lb = pp_varint_len(body);
    if (lb > 1) memmove(start + lb - 1, start, body);   /* rare: bodies over 127 bytes */
    pp_put_varint(start - 1, body);
    t->len += 1 + lb + (uint32_t)body;
    t->records++;
    atomic_store_explicit(&t->busy, 0, memory_order_release);
}

uint8_t *pp_put_bytes(uint8_t *p, const void *s, size_t n)
{
    p = pp_put_varint(p, n);
    memcpy(p, s, n);
    return p + n;
}

void pp_flush(struct pp_thread *t)
{
    if (atomic_exchange_explicit(&t->busy, 1, memory_order_acquire)) return;
    flush_locked(t);
    atomic_store_explicit(&t->busy, 0, memory_order_release);
}

void pp_flush_if_old(struct pp_thread *t, uint64_t now)
{
    if (t->len && now - t->chunk_open_ns >= pp_cfg.flush_ns) pp_flush(t);
}

/* Exit path, possibly from another thread: claim the buffer for good (the owner's later appends
 * are dropped) and write it.  Returns 0 if the owner was mid-append and its chunk is lost. */
int pp_flush_final(struct pp_thread *t)
{
    if (atomic_exchange_explicit(&t->busy, 1, memory_order_acquire)) return 0;
    pp_final_chunk = 1;       /* its last write: the exit path may gather it (output.c) */
    flush_locked(t);
    pp_final_chunk = 0;
    t->dead = 1;
    return 1;    /* busy stays 1: nothing appends after the final flush */
}

/* events=all: one compact CALL record per intercepted call (≈ 8 bytes). */
void pp_call_event(struct pp_thread *t, int fn, uint64_t a, int64_t b, uint64_t ts, uint64_t dur)
{
    pp_calls_flush(t);                         /* staged calls came first */
    uint8_t *p = pp_rec_begin(t, PP_K_CALL, 48);
    if (!p) return;
    p = pp_put_ts(t, p, ts);
    p = pp_put_u(p, (uint64_t)fn);
    p = pp_put_ptr(t, p, a);
    p = pp_put_s(p, b);
    p = pp_put_u(p, dur);
    pp_rec_end(t, p);
}

/* Room for `max` bytes of whole records, with busy held across them (events=all batches:
 * calls.c).  NULL: dropped (busy, dead, or can never fit). */
uint8_t *pp_recs_begin(struct pp_thread *t, size_t max)
{
    uint8_t *p = pp_rec_begin(t, 0, max);     /* kind byte and length byte: rewritten below */
    return p ? p - 2 : 0;
}

void pp_recs_end(struct pp_thread *t, uint8_t *end, unsigned records)
{
    t->len = (uint32_t)(end - (t->buf + HDR));
    t->records += records;
    atomic_store_explicit(&t->busy, 0, memory_order_release);
}
