/* `phaseprof export --format csv`: one row per window per process with every feature of the
 * analyzer's windows (windows.h) — the table to label for training, or to load into a notebook.
 *
 * Columns are fixed and named in the header row whatever the traces hold: the process and window
 * (pid, ppid, exe, exec_gen, window, start_s, end_s, duration_s, seconds since the root process
 * started), then every window feature under its stable name from PP_WFEATURES (rates per second,
 * *_frac in thread-seconds per second), then the code-location signature sig0..sig7 and the CPU
 * samples behind it.  A feature a process cannot give (a counter its backend lacks) is an empty
 * cell, never 0.  Text cells (exe) are quoted, with invalid UTF-8 as U+FFFD.
 *
 * One process at a time: memory is one process's windows. */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include "export.h"
#include "windows.h"

/* A quoted CSV cell from untrusted bytes (RFC 4180: quotes doubled; line breaks allowed inside). */
static void cell_text(pp_buf *b, const char *s, size_t n)
{
    buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq_len((const uint8_t *)s + i, n - i);
        if (!l) { buf_puts(b, "\xef\xbf\xbd"); i++; continue; }
        if (s[i] == '"') buf_putc(b, '"');
        buf_put(b, s + i, l);
        i += l;
    }
    buf_putc(b, '"');
}

static void num(pp_buf *b, double v)
{
    if (isfinite(v)) buf_printf(b, ",%.9g", v);
    else buf_putc(b, ',');
}

int export_csv(pp_export *ex)
{
    pp_buf b;
    buf_init(&b);
    buf_puts(&b, "pid,ppid,exe,exec_gen,window,start_s,end_s,duration_s");
    for (int k = 0; k < PP_WF_N; k++) buf_printf(&b, ",%s", pp_wfeat_name[k]);
    for (int k = 0; k < PP_SIG_DIMS; k++) buf_printf(&b, ",sig%d", k);
    buf_puts(&b, ",sig_samples\n");
    size_t skipped = 0;
    for (size_t i = 0; i < ex->n; i++) {
        const ex_proc *p = &ex->procs[i];
        if (!p->selected) continue;
        char err[512];
        pp_windows *w = pp_windows_build(p->t, NULL, err, sizeof err);
        if (!w) { skipped++; continue; }      /* no SAMPLE records: no windows */
        for (size_t k = 0; k < w->n; k++) {
            uint64_t t0 = pp_windows_t0(w, k), t1 = pp_windows_t1(w, k);
            if (!ex_in_range(ex, t0, t1 - t0)) continue;
            buf_printf(&b, "%" PRIu64 ",%" PRIu64 ",", p->pid, p->ppid);
            cell_text(&b, p->name, p->name_len);
            buf_printf(&b, ",%" PRIu64 ",%zu,%.6f,%.6f,%.6f", p->h->exec_gen.u, k, ex_rel_s(ex, t0), ex_rel_s(ex, t1),
                       (double)(t1 - t0) / 1e9);
            const double *f = pp_windows_row(w, k);
            for (int j = 0; j < PP_WF_N; j++) num(&b, w->present[j] ? f[j] : NAN);
            for (int j = 0; j < PP_SIG_DIMS; j++) num(&b, w->sig[k * PP_SIG_DIMS + j]);
            buf_printf(&b, ",%" PRIu32 "\n", w->sig_samples[k]);
            if (b.len >= (1u << 16)) ex_flush(ex, &b);
        }
        pp_windows_free(w);
        ex_flush(ex, &b);
    }
    ex_flush(ex, &b);
    buf_free(&b);
    if (skipped)
        fprintf(stderr, "phaseprof: export: %zu process%s without SAMPLE records (no windows) left out\n",
                skipped, skipped == 1 ? "" : "es");
    return 0;
}
