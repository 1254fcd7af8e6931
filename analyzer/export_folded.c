/* `phaseprof export --format folded`: stacks in the "folded" text format that flamegraph.pl,
 * speedscope and most flame-graph tools read — one line per distinct stack,
 * `process;outer;...;inner weight`, root first.
 *
 * Weights (--weight): cpu counts CPU_SAMPLE records (one per timer sample, so the lines add up to
 * the sample count `phaseprof info` shows); alloc sums ALLOC_SAMPLE weights (the bytes each
 * byte-based sample stands for); io and wait sum the durations (ns) of slow I/O calls and
 * blocking waits, clipped to --from/--to, with the call or wait kind as a bracketed leaf frame.
 * The process's exe basename is the root frame, so forked workers of one program merge.
 *
 * Frames are symbolized offline (symbols.h): the function name, else module+offset, else the
 * address.  The format has no quoting, so frame text is sanitized: ';' becomes ':', white space
 * and control bytes become '_' (a line is then "frames<space>weight"), invalid UTF-8 becomes '?'.
 *
 * Memory: one weight per distinct (stack, leaf) per process while reading it, then one per
 * distinct line: stacks, never records. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "export.h"
#include "symbols.h"

static const char *const wait_names[PP_WAIT_KINDS] = {
    "mutex", "condvar", "rwlock", "semaphore", "sleep", "poll", "join", "child-wait" };

/* weight per key; keys are kept by the map, values here */
typedef struct acc {
    pp_strmap idx;
    uint64_t *w;
    size_t n, cap;
} acc;

static void acc_add(acc *a, const void *key, size_t len, uint64_t w)
{
    int created;
    size_t *slot = strmap_slot(&a->idx, key, len, &created);
    if (created) {
        xgrow((void **)&a->w, &a->cap, a->n + 1, sizeof *a->w);
        a->w[a->n] = 0;
        *slot = a->n++;
    }
    a->w[*slot] += w;
}

static void acc_free(acc *a)
{
    strmap_free(&a->idx);
    free(a->w);
    memset(a, 0, sizeof *a);
}

/* One frame's text, made safe for the format. */
static void put_frame(pp_buf *b, const void *sv, size_t n)
{
    const uint8_t *s = sv;
    if (!n) { buf_putc(b, '?'); return; }
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c == ';') { buf_putc(b, ':'); i++; continue; }
        if (c <= ' ' || c == 0x7f) { buf_putc(b, '_'); i++; continue; }
        if (c < 0x80) { buf_putc(b, (char)c); i++; continue; }
        size_t l = utf8_seq_len(s + i, n - i);
        if (!l) { buf_putc(b, '?'); i++; continue; }
        /* U+0085, U+2028 and U+2029 are line breaks to some readers */
        if ((l == 2 && s[i] == 0xc2 && s[i + 1] == 0x85) ||
            (l == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)))
            buf_putc(b, '_');
        else buf_put(b, s + i, l);
        i += l;
    }
}

/* A per-process entry: stack id and leaf label (fn or wait kind + 1; 0: none), and its weight.
 * Found through a u64map on stack * 128 + label (labels are < 128; a stack id that large only
 * comes from a damaged file, and then merges two entries, nothing worse). */
typedef struct key { uint64_t stack, label; } key;
typedef struct per_proc { pp_u64map idx; key *k; uint64_t *w; size_t n, cap; } per_proc;

static void per_add(per_proc *pp, key k, uint64_t w)
{
    int created;
    size_t *slot = u64map_slot(&pp->idx, k.stack * 128 + k.label, &created);
    if (created) {
        size_t cap = pp->cap;
        xgrow((void **)&pp->k, &pp->cap, pp->n + 1, sizeof *pp->k);
        if (cap != pp->cap) pp->w = xrealloc(pp->w, pp->cap * sizeof *pp->w);
        pp->k[pp->n] = k;
        pp->w[pp->n] = 0;
        *slot = pp->n++;
    }
    pp->w[*slot] += w;
}

static void render(pp_buf *line, pp_trace *t, pp_symtab *sy, const ex_proc *p, const key *k, int weight)
{
    buf_clear(line);
    put_frame(line, p->name, p->name_len);
    size_t n = 0;
    const uint64_t *f = k->stack ? pp_trace_stack(t, k->stack, &n) : NULL;
    if (!f || !n) buf_puts(line, k->stack ? ";[unknown stack]" : ";[no stack]");
    for (size_t i = n; i-- > 0;) {           /* outermost first */
        int is_return = !(weight == EX_W_CPU && i == 0);   /* a CPU sample's frame 0 is the PC */
        pp_sym y = sym_lookup(sy, f[i], is_return);
        char tmp[512];
        sym_frame(&y, f[i], tmp, sizeof tmp);
        buf_putc(line, ';');
        put_frame(line, tmp, strlen(tmp));
    }
    if (k->label) {
        const char *l = NULL;
        if (weight == EX_W_IO) l = pp_fn_name(k->label - 1);
        else if (weight == EX_W_WAIT && k->label - 1 < PP_WAIT_KINDS) l = wait_names[k->label - 1];
        buf_puts(line, ";[");
        put_frame(line, l ? l : "?", strlen(l ? l : "?"));
        buf_putc(line, ']');
    }
}

/* Clipped duration of [ts, ts+dur) inside --from/--to. */
static uint64_t clipped(const pp_export *ex, uint64_t ts, uint64_t dur)
{
    uint64_t a = ts, e = ts + dur < ts ? UINT64_MAX : ts + dur;
    if (ex->has_from && a < ex->from_ns) a = ex->from_ns;
    if (ex->has_to && e > ex->to_ns) e = ex->to_ns;
    return e > a ? e - a : 0;
}

static const char **sort_keys;
static int by_text(const void *x, const void *y)
{
    return strcmp(sort_keys[*(const size_t *)x], sort_keys[*(const size_t *)y]);
}

int export_folded(pp_export *ex)
{
    acc lines = { 0 };
    pp_buf line;
    buf_init(&line);
    unsigned kind = ex->weight == EX_W_CPU ? PP_K_CPU_SAMPLE : ex->weight == EX_W_ALLOC ? PP_K_ALLOC_SAMPLE
                  : ex->weight == EX_W_IO ? PP_K_IO_EVENT : PP_K_WAIT_EVENT;
    for (size_t i = 0; i < ex->n; i++) {
        ex_proc *p = &ex->procs[i];
        if (!p->selected) continue;
        pp_trace *t = p->t;
        per_proc per = { 0 };
        pp_trace_select(t, &kind, 1);
        pp_trace_rewind(t);
        pp_rec r;
        while (pp_trace_next(t, &r)) {
            key k = { 0, 0 };
            uint64_t w = 0;
            switch (r.kind) {
            case PP_K_CPU_SAMPLE:
                if (!ex_in_range(ex, r.CPU_SAMPLE.ts.u, 0)) continue;
                k.stack = r.CPU_SAMPLE.stack.u;
                w = 1;
                break;
            case PP_K_ALLOC_SAMPLE:
                if (!ex_in_range(ex, r.ALLOC_SAMPLE.ts.u, 0)) continue;
                k.stack = r.ALLOC_SAMPLE.stack.u;
                w = r.ALLOC_SAMPLE.weight.u;
                break;
            case PP_K_IO_EVENT:
                k.stack = r.IO_EVENT.stack.u;
                k.label = r.IO_EVENT.fn.u < PP_FN_COUNT ? r.IO_EVENT.fn.u + 1 : PP_FN_other + 1;
                w = clipped(ex, r.IO_EVENT.ts.u, r.IO_EVENT.dur.u);
                break;
            case PP_K_WAIT_EVENT:
                k.stack = r.WAIT_EVENT.stack.u;
                k.label = r.WAIT_EVENT.kind.u < PP_WAIT_KINDS ? r.WAIT_EVENT.kind.u + 1 : PP_WAIT_KINDS + 1;
                w = clipped(ex, r.WAIT_EVENT.ts.u, r.WAIT_EVENT.dur.u);
                break;
            default:
                continue;
            }
            if (w) per_add(&per, k, w);
        }
        pp_trace_select(t, NULL, 0);
        if (per.n) {
            /* symbolize each distinct stack of this process once, then merge by text */
            pp_symtab *sy = sym_open(t);
            for (size_t j = 0; j < per.n; j++) {
                render(&line, t, sy, p, &per.k[j], ex->weight);
                acc_add(&lines, line.data, line.len, per.w[j]);
            }
            sym_close(sy);
        }
        u64map_free(&per.idx);
        free(per.k);
        free(per.w);
    }
    /* sorted, so the output does not depend on hash order */
    size_t *order = xmalloc((lines.n ? lines.n : 1) * sizeof *order);
    const char **texts = xcalloc(lines.n ? lines.n : 1, sizeof *texts);
    for (size_t j = 0; j < lines.idx.cap; j++)
        if (lines.idx.keys[j]) texts[lines.idx.vals[j]] = lines.idx.keys[j];
    for (size_t j = 0; j < lines.n; j++) order[j] = j;
    sort_keys = texts;
    qsort(order, lines.n, sizeof *order, by_text);
    buf_clear(&line);
    for (size_t j = 0; j < lines.n; j++) {
        buf_puts(&line, texts[order[j]]);
        buf_printf(&line, " %" PRIu64 "\n", lines.w[order[j]]);
        if (line.len >= (1u << 16)) ex_flush(ex, &line);
    }
    ex_flush(ex, &line);
    free(order);
    free(texts);
    acc_free(&lines);
    buf_free(&line);
    return 0;
}
