/* Unit tests for include/phaseprof/codec.h: varint round trips and rejection of bad varints,
 * zigzag, CRC32C against the standard check value.  Prints PASS/FAIL lines for tests/run.sh. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "phaseprof/codec.h"

static int failures;
#define CHECK(name, cond, ...) do { \
    if (cond) printf("PASS %s\n", name); \
    else { printf("FAIL %s: ", name); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

static int roundtrip(uint64_t v, unsigned want_len)
{
    uint8_t buf[16];
    uint8_t *end = pp_put_varint(buf, v);
    if ((unsigned)(end - buf) != want_len || pp_varint_len(v) != want_len) return 0;
    const uint8_t *p = buf;
    uint64_t out = ~v;
    if (pp_get_varint(&p, end, &out) || out != v || p != end) return 0;
    /* every strict prefix is rejected and leaves p alone */
    for (unsigned cut = 0; cut < want_len; cut++) {
        p = buf;
        if (!pp_get_varint(&p, buf + cut, &out) || p != buf) return 0;
    }
    return 1;
}

int main(void)
{
    struct { uint64_t v; unsigned len; } cases[] = {
        { 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 16383, 2 }, { 16384, 3 },
        { (1ull << 32) - 1, 5 }, { 1ull << 32, 5 }, { 1ull << 63, 10 }, { UINT64_MAX, 10 },
        { (1ull << 63) - 1, 9 },
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!roundtrip(cases[i].v, cases[i].len)) {
            ok = 0;
            printf("  varint %" PRIu64 " failed\n", cases[i].v);
        }
    CHECK("varint_roundtrip", ok, "see above");

    /* 0..2^20 and powers of two around every 7-bit boundary */
    ok = 1;
    for (uint64_t v = 0; v < (1u << 20) && ok; v++) ok = roundtrip(v, pp_varint_len(v));
    for (int s = 0; s < 64 && ok; s++) {
        uint64_t b = 1ull << s;
        ok = roundtrip(b - 1, pp_varint_len(b - 1)) && roundtrip(b, pp_varint_len(b)) &&
             roundtrip(b + 1, pp_varint_len(b + 1));
    }
    CHECK("varint_roundtrip_range", ok, "a value did not round-trip");

    /* over-long: 11 continuation bytes; a 10th byte above 1 overflows 64 bits */
    uint8_t over[12];
    memset(over, 0x80, sizeof over);
    over[11] = 0;
    const uint8_t *p = over;
    uint64_t out;
    CHECK("varint_overlong_rejected", pp_get_varint(&p, over + sizeof over, &out) == -1 && p == over,
          "11-byte varint accepted");
    uint8_t ovf[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
    p = ovf;
    CHECK("varint_overflow_rejected", pp_get_varint(&p, ovf + 10, &out) == -1, "2^64 accepted");
    uint8_t max[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
    p = max;
    CHECK("varint_max_accepted", pp_get_varint(&p, max + 10, &out) == 0 && out == UINT64_MAX,
          "2^64-1 not read");
    uint8_t trunc[3] = { 0x80, 0x80, 0x80 };
    p = trunc;
    CHECK("varint_truncated_rejected", pp_get_varint(&p, trunc + 3, &out) == -1, "accepted");
    p = trunc;
    CHECK("varint_empty_rejected", pp_get_varint(&p, trunc, &out) == -1, "accepted");
    /* non-minimal encodings are legal LEB128: 0x80 0x00 is 0 */
    uint8_t nonmin[2] = { 0x80, 0x00 };
    p = nonmin;
    CHECK("varint_nonminimal_read", pp_get_varint(&p, nonmin + 2, &out) == 0 && out == 0 && p == nonmin + 2,
          "0x80 0x00 not read as 0");

    int64_t zz[] = { 0, -1, 1, -2, 2, INT64_MAX, INT64_MIN, 123456789, -123456789 };
    uint64_t zzw[] = { 0, 1, 2, 3, 4, UINT64_MAX - 1, UINT64_MAX };
    ok = 1;
    for (size_t i = 0; i < sizeof zz / sizeof zz[0]; i++) ok &= pp_unzigzag(pp_zigzag(zz[i])) == zz[i];
    for (size_t i = 0; i < sizeof zzw / sizeof zzw[0]; i++) ok &= pp_zigzag(zz[i]) == zzw[i];
    CHECK("zigzag", ok, "mismatch");

    const char *check = "123456789";
    uint32_t c = pp_crc32c(check, 9);
    CHECK("crc32c_check_value", c == 0xe3069283u, "got %08x", c);
    uint32_t inc = pp_crc32c_update(pp_crc32c(check, 4), check + 4, 5);
    CHECK("crc32c_incremental", inc == 0xe3069283u, "got %08x", inc);
    CHECK("crc32c_empty", pp_crc32c("", 0) == 0, "got %08x", pp_crc32c("", 0));
    uint8_t zeros[32] = { 0 };
    CHECK("crc32c_32_zeros", pp_crc32c(zeros, 32) == 0x8a9136aau, "got %08x", pp_crc32c(zeros, 32));
    return failures != 0;
}
