/* Writes the reader fuzzer's seed corpus (tests/fuzz/corpus/) with tests/unit/tracegen.h: small
 * valid traces covering every record kind, several threads and chunks, a truncated one, one with
 * a damaged chunk, one with an unknown kind, and one whose thread chunks are compressed (PHCZ groups).
 * The seeds are committed; rerun this only when events.def changes:
 *   cc -Iinclude -Itests/unit tests/fuzz/gen_seeds.c -o /tmp/g -lzstd && /tmp/g DIR */
#include <stdio.h>
#include <zstd.h>
#include "tracegen.h"

static void save(const tg *g, const char *dir, const char *name, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fwrite(g->buf, 1, len, f);
    fclose(f);
}

static void process(tg *g, int events_all)
{
    tg_chunk(g, 0, 0, 1000000);
    tg_header(g, 4242, 1, 1000000, 1764000000000000000ull, "/usr/bin/demo");
    tg_string(g, 1, "/tmp/out.txt");
    tg_string(g, 2, "worker");
    tg_rec(g, PP_K_MODULE); tg_t(g, 1000100); tg_u(g, 0x400000); tg_u(g, 0x2000); tg_u(g, 1);
    tg_str(g, "\x12\x34\xab\xcd", 4); tg_u(g, 0); tg_u(g, 0); tg_end(g);
    tg_flush(g);
    for (unsigned th = 0; th < 2; th++) {
        uint32_t tid = 4242 + th;
        tg_chunk(g, tid, 1 + th, 1001000 + th * 10);
        if (th) { tg_rec(g, PP_K_THREAD_START); tg_t(g, 1001010); tg_u(g, tid); tg_u(g, 4242); tg_u(g, 0); tg_end(g);
                  tg_rec(g, PP_K_THREAD_NAME); tg_t(g, 1001020); tg_u(g, tid); tg_u(g, 2); tg_end(g); }
        uint64_t frames[3] = { 0x401234, 0x401500, 0x7f0000001000 };
        tg_rec(g, PP_K_STACK); tg_u(g, 1 + th); tg_arr(g, frames, 3); tg_end(g);
        for (unsigned i = 0; i < 3; i++) {
            uint64_t ts = 1002000 + i * 10000000ull;
            uint64_t counters[1] = { 9000000 };
            uint64_t io[8] = { PP_FD_FILE * PP_OPS + PP_OP_WRITE, 5000, 4096, 4, PP_FD_PIPE * PP_OPS + PP_OP_READ, 100, 10, 1 };
            uint64_t wait[3] = { PP_WAIT_MUTEX, 2000, 3 };
            tg_rec(g, PP_K_SAMPLE); tg_t(g, ts); tg_u(g, 10000000); tg_u(g, tid); tg_u(g, 9000000);
            tg_arr(g, counters, 1); tg_arr(g, io, 8); tg_u(g, 100); tg_u(g, 90); tg_u(g, 6400); tg_u(g, 5000);
            tg_u(g, 2); tg_u(g, 300); tg_u(g, 1); tg_u(g, 65536); tg_u(g, 0); tg_u(g, 0); tg_arr(g, wait, 3);
            tg_u(g, 1 << 20); tg_u(g, 9); tg_u(g, 0); tg_end(g);
            tg_rec(g, PP_K_CPU_SAMPLE); tg_t(g, ts + 5); tg_u(g, tid); tg_u(g, 1 + th); tg_end(g);
            tg_rec(g, PP_K_ALLOC_SAMPLE); tg_t(g, ts + 6); tg_u(g, tid); tg_p(g, 0x5555000 + i * 64); tg_u(g, 64); tg_u(g, 524288); tg_u(g, 1); tg_end(g);
            tg_rec(g, PP_K_FREE_SAMPLE); tg_t(g, ts + 7); tg_u(g, tid); tg_p(g, 0x5555000 + i * 64); tg_end(g);
            if (events_all) { tg_rec(g, PP_K_CALL); tg_t(g, ts + 8); tg_u(g, PP_FN_write); tg_p(g, 3); tg_s(g, 1024); tg_u(g, 50); tg_end(g); }
        }
        tg_rec(g, PP_K_IO_EVENT); tg_t(g, 1003000); tg_u(g, 2000000); tg_u(g, tid); tg_s(g, 3); tg_u(g, PP_FN_write);
        tg_u(g, PP_OP_WRITE); tg_u(g, PP_FD_FILE); tg_s(g, 4096); tg_u(g, 1); tg_s(g, 0); tg_u(g, 1); tg_end(g);
        tg_rec(g, PP_K_WAIT_EVENT); tg_t(g, 1004000); tg_u(g, 100000); tg_u(g, tid); tg_u(g, PP_WAIT_MUTEX); tg_u(g, 0xdead0); tg_u(g, 1); tg_end(g);
        tg_rec(g, PP_K_MARK); tg_t(g, 1005000); tg_u(g, tid); tg_u(g, PP_MARK_BEGIN); tg_u(g, 2); tg_end(g);
        if (th) { tg_rec(g, PP_K_THREAD_END); tg_t(g, 40000000); tg_u(g, tid); tg_u(g, 27000000); tg_end(g); }
        tg_flush(g);
    }
    tg_chunk(g, 4242, 3, 41000000);
    uint64_t hist[PP_HIST] = { 0, 0, 0, 4 };
    tg_rec(g, PP_K_FILE_STATS); tg_t(g, 41000001); tg_u(g, 1); tg_u(g, PP_FD_FILE); tg_s(g, 3); tg_u(g, 1001500);
    tg_u(g, 1); tg_u(g, 0); tg_u(g, 4); tg_u(g, 0); tg_u(g, 16384); tg_u(g, 0); tg_u(g, 20000); tg_u(g, 2); tg_u(g, 100);
    tg_u(g, 1); tg_u(g, 5000); tg_u(g, 0); tg_u(g, 0); tg_u(g, 3); tg_arr(g, hist, 0); tg_arr(g, hist, PP_HIST);
    tg_u(g, 16384); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0); tg_end(g);
    tg_rec(g, PP_K_MMAP); tg_t(g, 41000002); tg_u(g, 4242); tg_u(g, 1); tg_u(g, 8192); tg_u(g, 1); tg_u(g, 2); tg_u(g, 0); tg_end(g);
    tg_rec(g, PP_K_FORK); tg_t(g, 41000003); tg_u(g, 4242); tg_s(g, 4300); tg_u(g, PP_FORK_FORK); tg_end(g);
    const char *argv[] = { "sh", "-c", "echo hi" };
    tg_rec(g, PP_K_EXEC); tg_t(g, 41000004); tg_u(g, 4242); tg_cstr(g, "/bin/sh"); tg_list(g, argv, 3); tg_end(g);
    tg_flush(g);
    tg_chunk(g, 0, 4, 42000000);
    tg_footer(g, 42000001, PP_FOOT_EXEC);
    tg_flush(g);
}

/* The file in g with each run of one thread's chunks stored as one PHCZ group (bigger or not: the
 * seed is for the reader's decompression path), as analyzer/compress.c writes them. */
static size_t compress_chunks(const tg *g, uint8_t *out)
{
    size_t o = 16, i = 16;
    memcpy(out, g->buf, 16);
    while (i + 32 <= g->len) {
        uint32_t len, tid, tid2;
        memcpy(&len, g->buf + i + 4, 4);
        memcpy(&tid, g->buf + i + 12, 4);
        if (!tid) { memcpy(out + o, g->buf + i, 32 + len); o += 32 + len; i += 32 + len; continue; }
        size_t j = i;                                  /* the run of tid's chunks: [i, j) */
        do {
            memcpy(&len, g->buf + j + 4, 4);
            j += 32 + len;
            if (j + 32 <= g->len) memcpy(&tid2, g->buf + j + 12, 4);
        } while (j + 32 <= g->len && tid2 == tid);
        uint8_t *h = out + o;
        uint32_t raw = (uint32_t)(j - i), magic = 0x5a434850u;
        memcpy(h, g->buf + i, 32);
        memcpy(h + 32, &raw, 4);
        size_t z = ZSTD_compress(h + 36, ZSTD_compressBound(raw), g->buf + i, raw, 3);
        uint32_t stored = (uint32_t)z + 4;
        memcpy(h, &magic, 4);
        memcpy(h + 4, &stored, 4);
        uint32_t crc = pp_crc32c_update(pp_crc32c(h + 12, 20), h + 32, stored);
        memcpy(h + 8, &crc, 4);
        o += 32 + stored;
        i = j;
    }
    return o;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus";
    tg g;
    tg_init(&g); process(&g, 0); save(&g, dir, "seed_full.pptrace", g.len);
    size_t full = g.len;
    save(&g, dir, "seed_truncated.pptrace", full - 7);
    g.buf[full / 2] ^= 0x40;
    save(&g, dir, "seed_damaged.pptrace", full);
    tg_free(&g);
    tg_init(&g); process(&g, 1); save(&g, dir, "seed_events_all.pptrace", g.len);
    tg zg = { .buf = malloc(g.len * 2 + 4096) };
    zg.len = compress_chunks(&g, zg.buf);
    save(&zg, dir, "seed_compressed.pptrace", zg.len);
    free(zg.buf);
    tg_free(&g);
    tg_init(&g);
    tg_chunk(&g, 1, 0, 5);
    tg_rec(&g, 77); tg_u(&g, 1); tg_cstr(&g, "future kind"); tg_end(&g);
    tg_rec(&g, PP_K_SAMPLE); tg_t(&g, 6); tg_end(&g);
    tg_rec(&g, PP_K_MARK); tg_t(&g, 7); tg_u(&g, 1); tg_u(&g, 0); tg_u(&g, 9); tg_u(&g, 99); tg_end(&g);
    tg_flush(&g);
    save(&g, dir, "seed_unknown_short_long.pptrace", g.len);
    tg_free(&g);
    return 0;
}
