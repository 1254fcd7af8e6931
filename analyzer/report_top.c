/* `phaseprof report PATH --top`: the hottest call stacks of a run, symbolized — by CPU samples,
 * by allocated bytes (byte-sampled allocations, each carrying its weight), by bytes still live at
 * the end (sampled allocations never freed: the leak view), and by time in slow I/O calls and
 * waits.  Stacks are merged across processes by their symbolized text, so the same code path in
 * many forked workers adds up. */
#include <stdlib.h>
#include <string.h>
#include "report_top.h"
#include "symbols.h"
#include "util.h"

enum { W_CPU, W_ALLOC, W_LIVE, W_IO, W_WAIT, W_KINDS };
static const char *const titles[W_KINDS] = {
    "CPU time (samples)", "allocated bytes (sampled)", "live heap at exit (sampled, not freed)",
    "time in slow I/O calls", "time blocked (locks, sleeps, polls, joins)" };

typedef struct entry { char *text; double w[W_KINDS]; } entry;
typedef struct acc { entry *e; size_t n, cap; pp_strmap idx; } acc;

static entry *entry_for(acc *a, const char *text)
{
    int created;
    size_t *slot = strmap_slot(&a->idx, text, strlen(text), &created);
    if (created) {
        xgrow((void **)&a->e, &a->cap, a->n + 1, sizeof *a->e);
        memset(&a->e[a->n], 0, sizeof a->e[a->n]);
        a->e[a->n].text = xstrdup(text);
        *slot = a->n++;
    }
    return &a->e[*slot];
}

static const char *const wait_names[PP_WAIT_KINDS] = {
    "mutex", "condition variable", "rwlock", "semaphore", "sleep", "poll/select/epoll",
    "thread join", "child process wait" };

/* Renders a stack as text lines, innermost first, at most depth frames, after a label line
 * (the wait kind or I/O function) when label is not NULL. */
static void stack_text(pp_trace *t, pp_symtab *sy, uint64_t id, int first_is_pc, int depth,
                       const char *label, pp_buf *b)
{
    size_t n = 0;
    const uint64_t *f = pp_trace_stack(t, id, &n);
    buf_clear(b);
    if (label) buf_printf(b, "      [%s]\n", label);
    if (!f || !n) { buf_puts(b, "      (no stack)\n"); return; }
    int shown = 0;
    for (size_t i = 0; i < n && shown < depth; i++) {
        pp_sym y = sym_lookup(sy, f[i], !(first_is_pc && i == 0));
        char tmp[512];
        sym_format(&y, f[i], tmp, sizeof tmp);
        buf_puts(b, "      ");
        buf_escape_text(b, tmp, strlen(tmp));
        buf_putc(b, '\n');
        shown++;
    }
    if (n > (size_t)depth) buf_printf(b, "      … %zu more frames\n", n - (size_t)depth);
}

static int by_weight_kind;
static int cmp_entry(const void *x, const void *y)
{
    double a = ((const entry *)x)->w[by_weight_kind], b = ((const entry *)y)->w[by_weight_kind];
    return a < b ? 1 : a > b ? -1 : 0;
}

static void human_bytes(double v, char *out, size_t cap)
{
    const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int i = 0;
    while (v >= 1024 && i < 4) { v /= 1024; i++; }
    snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

int report_top(pp_set *set, FILE *out, int top_n, int depth)
{
    acc a = { 0 };
    pp_buf b;
    buf_init(&b);
    uint64_t cpu_samples = 0, interval_ns = 10000000;
    for (size_t ti = 0; ti < set->n; ti++) {
        pp_trace *t = set->traces[ti];
        const struct pp_r_HEADER *h = pp_trace_header(t);
        if (h && h->interval_ns.u) interval_ns = h->interval_ns.u;
        pp_symtab *sy = sym_open(t);
        pp_u64map live = { 0 };          /* sampled pointer → index in a */
        double *live_w = NULL; size_t live_cap = 0, nlive = 0;
        size_t *live_entry = NULL; size_t live_ecap = 0;
        unsigned kinds[] = { PP_K_CPU_SAMPLE, PP_K_ALLOC_SAMPLE, PP_K_FREE_SAMPLE, PP_K_IO_EVENT, PP_K_WAIT_EVENT };
        pp_trace_select(t, kinds, sizeof kinds / sizeof kinds[0]);
        pp_trace_rewind(t);
        pp_rec r;
        while (pp_trace_next(t, &r)) {
            switch (r.kind) {
            case PP_K_CPU_SAMPLE:
                cpu_samples++;
                stack_text(t, sy, r.CPU_SAMPLE.stack.u, 1, depth, NULL, &b);
                entry_for(&a, b.data)->w[W_CPU] += 1;
                break;
            case PP_K_ALLOC_SAMPLE: {
                stack_text(t, sy, r.ALLOC_SAMPLE.stack.u, 0, depth, NULL, &b);
                entry *e = entry_for(&a, b.data);
                e->w[W_ALLOC] += (double)r.ALLOC_SAMPLE.weight.u;
                e->w[W_LIVE] += (double)r.ALLOC_SAMPLE.weight.u;
                int created;
                size_t *slot = u64map_slot(&live, r.ALLOC_SAMPLE.ptr.u, &created);
                xgrow((void **)&live_w, &live_cap, nlive + 1, sizeof *live_w);
                xgrow((void **)&live_entry, &live_ecap, nlive + 1, sizeof *live_entry);
                live_w[nlive] = (double)r.ALLOC_SAMPLE.weight.u;
                live_entry[nlive] = (size_t)(e - a.e);
                *slot = nlive++;
                break;
            }
            case PP_K_FREE_SAMPLE: {
                size_t *slot = u64map_find(&live, r.FREE_SAMPLE.ptr.u);
                if (slot && live_w[*slot] > 0) {
                    a.e[live_entry[*slot]].w[W_LIVE] -= live_w[*slot];
                    live_w[*slot] = 0;
                }
                break;
            }
            case PP_K_IO_EVENT:
                {
                    const char *fn = pp_fn_name(r.IO_EVENT.fn.u);
                    stack_text(t, sy, r.IO_EVENT.stack.u, 0, depth, fn ? fn : "I/O", &b);
                }
                entry_for(&a, b.data)->w[W_IO] += (double)r.IO_EVENT.dur.u;
                break;
            case PP_K_WAIT_EVENT:
                stack_text(t, sy, r.WAIT_EVENT.stack.u, 0, depth,
                           r.WAIT_EVENT.kind.u < PP_WAIT_KINDS ? wait_names[r.WAIT_EVENT.kind.u] : "wait", &b);
                entry_for(&a, b.data)->w[W_WAIT] += (double)r.WAIT_EVENT.dur.u;
                break;
            }
        }
        pp_trace_select(t, NULL, 0);
        u64map_free(&live);
        free(live_w);
        free(live_entry);
        sym_close(sy);
    }

    for (int k = 0; k < W_KINDS; k++) {
        double total = 0;
        for (size_t i = 0; i < a.n; i++) total += a.e[i].w[k] > 0 ? a.e[i].w[k] : 0;
        fprintf(out, "Top stacks by %s", titles[k]);
        if (k == W_CPU) fprintf(out, ": %llu samples, ~%.2f s of CPU\n", (unsigned long long)cpu_samples,
                                (double)cpu_samples * (double)interval_ns / 1e9);
        else if (k == W_ALLOC || k == W_LIVE) { char hb[32]; human_bytes(total, hb, sizeof hb); fprintf(out, ": %s in all\n", hb); }
        else fprintf(out, ": %.3f s in all\n", total / 1e9);
        if (total <= 0) { fprintf(out, "  (none recorded)\n\n"); continue; }
        by_weight_kind = k;
        qsort(a.e, a.n, sizeof *a.e, cmp_entry);
        strmap_free(&a.idx);      /* order changed: the index is rebuilt if needed (it is not) */
        memset(&a.idx, 0, sizeof a.idx);
        for (size_t i = 0; i < a.n && i < (size_t)top_n && a.e[i].w[k] > 0; i++) {
            double w = a.e[i].w[k];
            char val[48];
            if (k == W_CPU) snprintf(val, sizeof val, "%.0f samples", w);
            else if (k == W_ALLOC || k == W_LIVE) human_bytes(w, val, sizeof val);
            else snprintf(val, sizeof val, "%.3f s", w / 1e9);
            fprintf(out, "  %5.1f%%  %s\n%s", 100.0 * w / total, val, a.e[i].text);
        }
        fputc('\n', out);
    }
    buf_clear(&b);
    sym_missing_report(&b);
    if (b.len) fprintf(out, "Objects without full symbols (frames there show as module+offset):\n%s", b.data);
    for (size_t i = 0; i < a.n; i++) free(a.e[i].text);
    free(a.e);
    buf_free(&b);
    return 0;
}
