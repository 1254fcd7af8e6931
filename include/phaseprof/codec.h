/* Varints, zigzag and CRC32C shared by the writer (preload/) and the reader (analyzer/).
 * Header-only and allocation-free so the preload can use it on its hot path. */
#ifndef PHASEPROF_CODEC_H
#define PHASEPROF_CODEC_H

#include <stdint.h>
#include <stddef.h>

static inline uint64_t pp_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t pp_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Writes v as LEB128 at p (at most 10 bytes); returns the end. */
static inline uint8_t *pp_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) { *p++ = (uint8_t)(v | 0x80); v >>= 7; }
    *p++ = (uint8_t)v;
    return p;
}

static inline unsigned pp_varint_len(uint64_t v)
{
    unsigned n = 1;
    while (v >= 0x80) { v >>= 7; n++; }
    return n;
}

/* Reads a varint from [*p, end).  Returns 0 and leaves *p on success; -1 if it runs past end or
 * is longer than 10 bytes (a corrupt trace, never a crash). */
static inline int pp_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (q >= end) return -1;
        uint8_t b = *q++;
        if (shift == 63 && b > 1) return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *p = q; *out = v; return 0; }
    }
    return -1;
}

/* CRC32C (Castagnoli), reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF.
 * Bitwise-by-byte table built at first use; chunks are checksummed once per write, off the
 * per-call path. */
static inline uint32_t pp_crc32c_update(uint32_t crc, const void *data, size_t len)
{
    static uint32_t table[256];
    static volatile int ready;
    if (!ready) { /* benign race: every thread computes the same table */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & -(c & 1));
            table[i] = c;
        }
        ready = 1;
    }
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static inline uint32_t pp_crc32c(const void *data, size_t len) { return pp_crc32c_update(0, data, len); }

/* The same with the SSE4.2 crc32 instruction (8 bytes a step) where the CPU has it, checked once
 * with CPUID (no libgcc CPU model needed: this also runs in the preload's constructor). */
#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#include <string.h>
__attribute__((target("sse4.2"))) static inline uint32_t pp_crc32c_hw(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t c = ~crc & 0xffffffffu;
    while (n >= 8) { uint64_t w; memcpy(&w, p, 8); c = _mm_crc32_u64(c, w); p += 8; n -= 8; }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}
static inline uint32_t pp_crc32c_fast(uint32_t crc, const void *data, size_t n)
{
    static int hw = -1;
    if (hw < 0) {
        unsigned a, b, c, d;
        hw = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2) ? 1 : 0;
    }
    return hw ? pp_crc32c_hw(crc, data, n) : pp_crc32c_update(crc, data, n);
}
#else
static inline uint32_t pp_crc32c_fast(uint32_t crc, const void *data, size_t n) { return pp_crc32c_update(crc, data, n); }
#endif

/* A chunk's CRC (trace.h): bytes 12..31 of its header, then its payload. */
static inline uint32_t pp_chunk_crc(const void *hdr, const void *payload, size_t len)
{
    return pp_crc32c_fast(pp_crc32c_fast(0, (const uint8_t *)hdr + 12, 20), payload, len);
}

#endif
