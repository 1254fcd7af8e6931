/* The HTML report on a long, wide run: a synthetic 1-hour trace of 65 threads (tracegen.h) with
 * a phase schedule (compute, file I/O, allocation, lock waits, 5 minutes each), CPU stacks, slow
 * I/O events, sampled allocations and file statistics.  The page must stay small (under 5 MB:
 * downsampled series, capped lanes and flame-graph nodes) and escape what the trace says (a
 * thread and a file named like markup).  `test_report_html --write DIR` also leaves the trace and
 * the page in DIR (tests/integration/html_big.sh loads it in Chromium). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "analysis.h"
#include "check.h"
#include "report_html.h"
#include "tracegen.h"

#define S 1000000000ull
#define T0 (1000 * S)
#define RUN (3600 * S)
#define IV (250000000ull)          /* 250 ms sampling interval */
#define WORKERS 64
#define PID 4000u
#define NSTACK 400
#define NFILES 12

static int behaviour(uint64_t t) { return (int)((t - T0) / (300 * S)) % 4; }   /* 0 cpu 1 io 2 alloc 3 wait */

static void header(tg *g)
{
    const char *argv[] = { "/opt/app/bin/server", "--threads", "64" };
    const char *events[] = { "rusage:minflt", "rusage:majflt", "rusage:nvcsw", "rusage:nivcsw" };
    tg_rec(g, PP_K_HEADER);
    tg_u(g, PID); tg_u(g, 1); tg_u(g, 0x1234); tg_u(g, T0); tg_u(g, 1764590000ull * S);
    tg_cstr(g, "bighost"); tg_cstr(g, "/opt/app/bin/server"); tg_cstr(g, "/tmp"); tg_list(g, argv, 3);
    tg_cstr(g, "sw"); tg_list(g, events, 4); tg_u(g, IV); tg_u(g, 0); tg_list(g, NULL, 0);
    tg_s(g, -1); tg_u(g, 0); tg_u(g, 0); tg_cstr(g, "");
    tg_end(g);
}

/* Stacks: a tree of branching 4 over depth 6..30, so stacks share prefixes as real ones do. */
static void stacks(tg *g)
{
    for (int s = 1; s <= NSTACK; s++) {
        uint64_t f[40];
        int depth = 6 + (int)(unif() * 25);
        for (int i = 0; i < depth; i++) {
            int choice = (int)(((unsigned)s * 2654435761u >> (i % 16)) & 3) + (i > 4 ? (s % 7) : 0);
            f[depth - 1 - i] = 0x401000 + (uint64_t)i * 0x1000 + (uint64_t)choice * 0x40 + (uint64_t)(s / 100) * 0x10;
        }
        tg_rec(g, PP_K_STACK); tg_u(g, (uint64_t)s); tg_arr(g, f, (size_t)depth); tg_end(g);
    }
}

static void sample(tg *g, uint64_t ts, uint32_t tid, int beh, uint64_t rss)
{
    double j = 0.9 + 0.2 * unif();
    uint64_t io[4] = { PP_FD_FILE * PP_OPS + PP_OP_READ, (uint64_t)(0.7 * IV * j), 1 << 20, 64 };
    uint64_t wt[3] = { PP_WAIT_MUTEX, (uint64_t)(0.8 * IV * j), 12 };
    uint64_t cnt[4] = { 10, 0, 5, 1 };
    tg_rec(g, PP_K_SAMPLE);
    tg_t(g, ts); tg_u(g, IV); tg_u(g, tid); tg_u(g, (uint64_t)((beh == 0 ? 0.95 : 0.15) * IV * j));
    tg_arr(g, cnt, 4);
    tg_arr(g, io, beh == 1 ? 4 : 0);
    uint64_t ac = beh == 2 ? 20000 : 50;
    tg_u(g, ac); tg_u(g, ac); tg_u(g, ac * 64); tg_u(g, ac * 64);
    tg_u(g, ac / 64 + 1); tg_u(g, (uint64_t)((beh == 2 ? 0.6 : 0.01) * IV * j * (double)(ac / 64 + 1) / (double)(2 * ac)));
    tg_u(g, 0); tg_u(g, 0); tg_u(g, 0); tg_u(g, 0);
    tg_arr(g, wt, beh == 3 ? 3 : 0);
    tg_u(g, rss); tg_u(g, beh == 0 ? 25 : 4); tg_u(g, 0);
    tg_end(g);
}

static void write_trace(tg *g)
{
    tg_init(g);
    tg_chunk(g, 0, 0, T0);
    header(g);
    char name[64];
    for (int i = 0; i < NFILES; i++) {
        snprintf(name, sizeof name, "/data/part-%02d.bin", i);
        tg_string(g, 10 + (uint64_t)i, i == 3 ? "/data/<img src=x onerror=alert(1)>" : name);
    }
    for (int w = 0; w <= WORKERS; w++) {
        snprintf(name, sizeof name, w == 0 ? "main" : w == 5 ? "w<b>\"&'</b>" : "worker-%d", w);
        tg_string(g, 100 + (uint64_t)w, name);
    }
    stacks(g);
    tg_flush(g);
    uint64_t seq = 1;
    for (int w = 0; w <= WORKERS; w++) {
        uint32_t tid = PID + (uint32_t)w;
        for (uint64_t c0 = T0; c0 < T0 + RUN; c0 += 60 * S) {
            tg_chunk(g, tid, seq++, c0);
            if (c0 == T0) { tg_rec(g, PP_K_THREAD_NAME); tg_t(g, c0); tg_u(g, tid); tg_u(g, 100 + (uint64_t)w); tg_end(g); }
            for (uint64_t ts = c0; ts < c0 + 60 * S && ts < T0 + RUN; ts += IV) {
                int beh = w == 0 ? 3 : behaviour(ts);    /* main waits (joins) all along */
                sample(g, ts, tid, beh, (200ull << 20) + (ts - T0) / S * 4096);
                if (w && (ts - T0) % S == 0) {
                    tg_rec(g, PP_K_CPU_SAMPLE); tg_t(g, ts + 1000); tg_u(g, tid);
                    tg_u(g, 1 + (uint64_t)beh * (NSTACK / 4) + (uint64_t)(unif() * (NSTACK / 4))); tg_end(g);
                }
                if (w && beh == 1 && (ts - T0) % (2 * S) == 0) {
                    tg_rec(g, PP_K_IO_EVENT); tg_t(g, ts + 2000); tg_u(g, 3000000); tg_u(g, tid); tg_s(g, 7);
                    tg_u(g, PP_FN_read); tg_u(g, PP_OP_READ); tg_u(g, PP_FD_FILE); tg_s(g, 1 << 20);
                    tg_u(g, 10 + (uint64_t)(w % NFILES)); tg_s(g, 0); tg_u(g, 1 + (uint64_t)(NSTACK / 4) + (uint64_t)(w % 20)); tg_end(g);
                }
                if (w && beh == 2 && (ts - T0) % S == 0) {
                    tg_rec(g, PP_K_ALLOC_SAMPLE); tg_t(g, ts + 3000); tg_u(g, tid); tg_p(g, 0x7f0000000000ull + ts % 100000);
                    tg_u(g, 64); tg_u(g, 524288); tg_u(g, 1 + (uint64_t)(NSTACK / 2) + (uint64_t)(w % 30)); tg_end(g);
                }
            }
            tg_flush(g);
        }
    }
    tg_chunk(g, 0, seq++, T0 + RUN);
    for (int i = 0; i < NFILES; i++) {
        tg_rec(g, PP_K_FILE_STATS);
        tg_t(g, T0 + RUN); tg_u(g, 10 + (uint64_t)i); tg_u(g, PP_FD_FILE); tg_s(g, 7); tg_u(g, T0 + S);
        tg_u(g, 1); tg_u(g, 100000); tg_u(g, 0); tg_u(g, 100000ull << 20); tg_u(g, 0); tg_u(g, 900 * S); tg_u(g, 0);
        tg_end(g);
    }
    tg_footer(g, T0 + RUN, 0);
    tg_flush(g);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
    return n;
}

int main(int argc, char **argv)
{
    const char *keep = argc == 3 && !strcmp(argv[1], "--write") ? argv[2] : NULL;
    char dir[512], path[600], html[600];
    if (keep) snprintf(dir, sizeof dir, "%s", keep);
    else { snprintf(dir, sizeof dir, "/tmp/pphtml.XXXXXX"); if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; } }
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/big.pptrace", dir);
    snprintf(html, sizeof html, "%s/big.html", dir);
    rs = 7;
    tg g;
    write_trace(&g);
    if (tg_save(&g, path)) { perror(path); return 1; }
    printf("synthetic trace: %.1f MB, 1 h, %d threads\n", (double)g.len / 1e6, WORKERS + 1);
    tg_free(&g);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[512];
    pp_set *set = pp_set_open(path, err, sizeof err);
    result("html_big.open", set != NULL, "%s", err);
    if (!set) return 1;
    pp_analysis_opts o = { 0 };
    pp_analysis *a = pp_analyze(set, &o, err, sizeof err);
    result("html_big.analyze", a != NULL, "%s", err);
    if (!a) return 1;
    FILE *f = fopen(html, "w");
    int rc = report_html(a, f);
    rc |= fclose(f);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    result("html_big.written", rc == 0, "report_html failed");
    struct stat st;
    stat(html, &st);
    printf("analysis + page: %.2f s; page %.2f MB, %zu phases\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, (double)st.st_size / 1e6, a->nphase);
    result("html_big.under_5MB", st.st_size > 10000 && st.st_size < 5000000, "page is %lld bytes", (long long)st.st_size);
    result("html_big.phases_found", a->nphase >= 8, "%zu phases in a 12-step schedule", a->nphase);

    char *page = malloc((size_t)st.st_size + 1);
    f = fopen(html, "r");
    size_t n = fread(page, 1, (size_t)st.st_size, f);
    fclose(f);
    page[n] = 0;
    /* every drawn series downsampled, lanes capped (64 shown + one "other threads" lane) */
    size_t maxpts = 0;
    for (const char *p = page; (p = strstr(p, "points=\"")); ) {
        p += 8;
        size_t pts = 0;
        for (; *p && *p != '"'; p++) pts += *p == ' ';
        if (pts > maxpts) maxpts = pts;
    }
    result("html_big.series_downsampled", maxpts > 100 && maxpts <= 1000, "%zu points in a series", maxpts);
    size_t lanes = count(page, "<g class=\"lane\"");
    result("html_big.lanes_capped", lanes == 65 && strstr(page, "1 other threads") && strstr(page, "main (4000)"),
           "%zu lanes (64 threads, the main one among them, and one for the rest)", lanes);
    result("html_big.thread_name_escaped", strstr(page, "w&lt;b&gt;&quot;&amp;&#39;&lt;/b&gt;") && !strstr(page, "w<b>"),
           "a thread name came out as markup");
    result("html_big.path_escaped", strstr(page, "&lt;img src=x onerror=alert(1)&gt;") && !strstr(page, "<img"),
           "a file name came out as markup (or is missing)");
    result("html_big.script_data_closed", count(page, "<script") == count(page, "</script"), "script data closes its element");
    result("html_big.flame_graphs", count(page, "class=\"flame\"") >= 8, "%zu flame graphs", count(page, "class=\"flame\""));
    free(page);
    pp_analysis_free(a);
    pp_set_close(set);
    if (!keep) { unlink(html); unlink(path); rmdir(dir); }
    return failures != 0;
}
