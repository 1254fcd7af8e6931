/* libFuzzer's custom mutator for trace files, shared by the targets that read traces
 * (fuzz_reader.c, fuzz_analyzer.c): include it once per target.
 *
 * A mutation of a trace mostly stops at the first CRC (the chunk is skipped whole) or, inside a
 * compressed group, at zstd (the frame no longer decodes), so the parsers behind them see little
 * of the fuzzer's work.  Three mutations in four therefore pick a chunk, or a chunk inside a
 * compressed group, mutate its payload, and write back a valid length, CRC and (for a group)
 * zstd frame around it; the fourth is a plain mutation of the whole input, for the damage
 * paths. */
#ifndef PP_MUTATE_TRACE_H
#define PP_MUTATE_TRACE_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "phaseprof/codec.h"
#include "phaseprof/trace.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define HDR 32u
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* Mutates the payload of the chunk whose header is at c (len bytes of payload, room for at most
 * max), then sets its length and CRC.  Returns the new payload length. */
static size_t mutate_chunk(uint8_t *c, size_t len, size_t max)
{
    size_t n = LLVMFuzzerMutate(c + HDR, len, max);
    put32(c + 4, (uint32_t)n);
    put32(c + 8, pp_chunk_crc(c, c + HDR, n));
    return n;
}

/* The chunks of a trace in memory: offsets of those whose header and payload fit. */
static size_t chunks_of(const uint8_t *d, size_t size, size_t start, size_t *off, size_t cap)
{
    size_t n = 0;
    for (size_t o = start; o + HDR <= size && n < cap;) {
        uint32_t m = get32(d + o), len = get32(d + o + 4);
        if ((m != PP_CHUNK_MAGIC && m != PP_CHUNK_ZMAGIC) || len > size - o - HDR) break;
        off[n++] = o;
        o += HDR + len;
    }
    return n;
}

/* A compressed group at g (payload len): decompress, mutate one chunk inside, recompress into
 * out (cap bytes).  Returns the new group's total size (header included), 0 if it cannot. */
static size_t mutate_group(const uint8_t *g, size_t len, uint8_t *out, size_t cap, unsigned seed)
{
    static uint8_t raw[PP_CHUNK_MAX + 4096];
    if (len < 4) return 0;
    size_t got = ZSTD_decompress(raw, PP_CHUNK_MAX, g + HDR + 4, len - 4);
    if (ZSTD_isError(got)) return 0;
    size_t inner[256];
    size_t n = chunks_of(raw, got, 0, inner, 256);
    if (!n) return 0;
    size_t k = inner[seed % n], ilen = get32(raw + k + 4), tail = got - (k + HDR + ilen);
    size_t room = sizeof raw - tail - k - HDR;
    uint8_t *rest = malloc(tail ? tail : 1);
    if (!rest) return 0;
    memcpy(rest, raw + k + HDR + ilen, tail);
    size_t nl = mutate_chunk(raw + k, ilen, room < 4096 + ilen ? room : 4096 + ilen);
    memcpy(raw + k + HDR + nl, rest, tail);
    free(rest);
    size_t total = k + HDR + nl + tail;
    if (cap < HDR + 4 + ZSTD_compressBound(total)) return 0;
    size_t z = ZSTD_compress(out + HDR + 4, cap - HDR - 4, raw, total, 1);
    if (ZSTD_isError(z)) return 0;
    memcpy(out, g, HDR);
    put32(out + HDR, (uint32_t)total);
    put32(out + 4, (uint32_t)(4 + z));
    put32(out + 8, pp_chunk_crc(out, out + HDR, 4 + z));
    return HDR + 4 + z;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    size_t off[1024];
    size_t n = size >= 16 ? chunks_of(data, size, 16, off, 1024) : 0;
    if (!n || seed % 4 == 0) return LLVMFuzzerMutate(data, size, max_size);
    size_t c = off[(seed >> 2) % n], len = get32(data + c + 4), end = c + HDR + len;
    size_t tail = size - end;
    uint8_t *rest = malloc(tail ? tail : 1), *grp = NULL;
    if (!rest) return LLVMFuzzerMutate(data, size, max_size);
    memcpy(rest, data + end, tail);
    size_t nl;
    if (get32(data + c) == PP_CHUNK_ZMAGIC) {
        size_t cap = max_size - c;
        grp = malloc(cap);
        size_t g = grp ? mutate_group(data + c, len, grp, cap, seed >> 4) : 0;
        if (!g || c + g + tail > max_size) { free(grp); free(rest); return LLVMFuzzerMutate(data, size, max_size); }
        memcpy(data + c, grp, g);
        nl = g - HDR;
        free(grp);
    } else {
        if (max_size < size) { free(rest); return LLVMFuzzerMutate(data, size, max_size); }
        nl = mutate_chunk(data + c, len, max_size - c - HDR - tail);
    }
    memcpy(data + c + HDR + nl, rest, tail);
    free(rest);
    return c + HDR + nl + tail;
}
#endif
