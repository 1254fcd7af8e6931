/* The HTML report's per-phase details: what the phase's threads were running (CPU_SAMPLE stacks
 * as a flame graph the page's script draws and zooms), its I/O per file (FILE_STATS of the files
 * open during the phase) and per call site (IO_EVENT: calls slower than the recording threshold),
 * and its allocation sites (ALLOC_SAMPLE, byte-sampled: each sample stands for its weight).
 *
 * One pass per process over those records; every record goes to the phase holding its time.
 * Each distinct stack is symbolized once per process, each distinct address once.  The flame
 * graph keeps nodes above FG_MIN of the phase's samples, at most FG_NODES of them and FG_DEPTH
 * levels, so a long run's page stays small; what is cut off still counts in its parent. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "html_common.h"

#define FG_MIN 0.002
#define FG_NODES 1500
#define FG_DEPTH 80
#define TOP_ROWS 10

/* weight, count and a third figure (bytes) per key */
typedef struct acc { pp_u64map idx; uint64_t *key; double (*v)[3]; size_t n, cap; } acc;

static void acc_add(acc *a, uint64_t key, double w, double c, double x)
{
    int created;
    size_t *slot = u64map_slot(&a->idx, key, &created);
    if (created) {
        size_t cap = a->cap;
        xgrow((void **)&a->key, &a->cap, a->n + 1, sizeof *a->key);
        if (cap != a->cap) a->v = xrealloc(a->v, a->cap * sizeof *a->v);
        a->key[a->n] = key;
        a->v[a->n][0] = a->v[a->n][1] = a->v[a->n][2] = 0;
        *slot = a->n++;
    }
    a->v[*slot][0] += w;
    a->v[*slot][1] += c;
    a->v[*slot][2] += x;
}

static void acc_free(acc *a) { u64map_free(&a->idx); free(a->key); free(a->v); memset(a, 0, sizeof *a); }

typedef struct pacc { acc cpu, alloc, io_site, io_file; double cpu_n, alloc_w, io_ns; } pacc;

typedef struct fstat { uint64_t path, open_ts, close_ts; double reads, writes, rbytes, wbytes, ns; } fstat;

/* Symbol names of one process: address -> name index, names deduplicated. */
typedef struct names {
    pp_symtab *sy;
    pp_u64map by_addr;
    pp_strmap by_text;
    char **text;
    size_t n, cap;
} names;

static size_t name_of_text(names *nm, const char *s)
{
    int created;
    size_t *slot = strmap_slot(&nm->by_text, s, strlen(s), &created);
    if (created) {
        xgrow((void **)&nm->text, &nm->cap, nm->n + 1, sizeof *nm->text);
        nm->text[nm->n] = xstrdup(s);
        *slot = nm->n++;
    }
    return *slot;
}

/* Function name (flame graph frames merge by function, as folded stacks do). */
static size_t frame_name(names *nm, uint64_t addr, int is_return)
{
    int created;
    size_t *slot = u64map_slot(&nm->by_addr, addr << 1 | (uint64_t)is_return, &created);
    if (!created) return *slot;
    pp_sym y = sym_lookup(nm->sy, addr, is_return);
    char tmp[512];
    size_t id = name_of_text(nm, sym_frame(&y, addr, tmp, sizeof tmp));
    *u64map_slot(&nm->by_addr, addr << 1 | (uint64_t)is_return, &created) = id;
    return id;
}

/* A call site: the first frame outside the runtime libraries (sym_runtime, as the text report's
 * call sites), as "func (file:line)". */
static size_t site_name(names *nm, pp_trace *t, uint64_t stack)
{
    size_t n = 0;
    const uint64_t *f = stack ? pp_trace_stack(t, stack, &n) : NULL;
    if (!f || !n) return name_of_text(nm, "(no stack)");
    pp_sym y;
    size_t pick = sym_first_user(nm->sy, f, n, 0, &y);
    char tmp[768];
    sym_format(&y, f[pick], tmp, sizeof tmp);
    return name_of_text(nm, tmp);
}

/* ---- flame graph trie ---- */
typedef struct fnode { size_t name; double v; size_t child, next; } fnode;   /* 0: none */
typedef struct trie { fnode *n; size_t len, cap; } trie;

static size_t trie_child(trie *t, size_t parent, size_t name)
{
    for (size_t c = t->n[parent].child; c; c = t->n[c].next) if (t->n[c].name == name) return c;
    xgrow((void **)&t->n, &t->cap, t->len + 1, sizeof *t->n);
    fnode *x = &t->n[t->len];
    x->name = name; x->v = 0; x->child = 0; x->next = t->n[parent].child;
    t->n[parent].child = t->len;
    return t->len++;
}

static const fnode *sort_nodes;
static int by_value(const void *x, const void *y)
{
    double a = sort_nodes[*(const size_t *)x].v, b = sort_nodes[*(const size_t *)y].v;
    return a < b ? 1 : a > b ? -1 : 0;
}

typedef struct emit { pp_buf *b; const names *nm; long *local; size_t *used, nused; double minv; size_t nodes; } emit;

static void emit_node(emit *e, const trie *t, size_t i, int depth)
{
    const fnode *x = &t->n[i];
    if (e->local[x->name] < 0) { e->local[x->name] = (long)e->nused; e->used[e->nused++] = x->name; }
    buf_printf(e->b, "[%ld,%.0f", e->local[x->name], x->v);
    e->nodes++;
    size_t nc = 0;
    for (size_t c = x->child; c; c = t->n[c].next) nc++;
    if (nc && depth < FG_DEPTH) {
        size_t *kids = xmalloc(nc * sizeof *kids), k = 0;
        for (size_t c = x->child; c; c = t->n[c].next) kids[k++] = c;
        sort_nodes = t->n;
        qsort(kids, nc, sizeof *kids, by_value);
        int first = 1;
        for (k = 0; k < nc; k++) {
            if (t->n[kids[k]].v < e->minv || e->nodes >= FG_NODES) break;
            buf_puts(e->b, first ? ",[" : ",");
            first = 0;
            emit_node(e, t, kids[k], depth + 1);
        }
        if (!first) buf_putc(e->b, ']');
        free(kids);
    }
    buf_putc(e->b, ']');
}

static void flame(pp_buf *b, const pp_aphase *ph, pp_trace *t, names *nm, const acc *cpu, double total, const char *root)
{
    if (total <= 0) { buf_puts(b, "<p class=\"muted\">No CPU samples in this phase.</p>\n"); return; }
    trie tr = { 0 };
    xgrow((void **)&tr.n, &tr.cap, 1, sizeof *tr.n);
    tr.n[0] = (fnode){ name_of_text(nm, root), 0, 0, 0 };
    tr.len = 1;
    for (size_t k = 0; k < cpu->n; k++) {
        double c = cpu->v[k][0];
        size_t n = 0;
        const uint64_t *f = cpu->key[k] ? pp_trace_stack(t, cpu->key[k], &n) : NULL;
        tr.n[0].v += c;
        size_t at = 0;
        if (!f || !n) { at = trie_child(&tr, at, name_of_text(nm, "[no stack]")); tr.n[at].v += c; continue; }
        for (size_t i = n; i-- > 0;) {
            size_t nmid = frame_name(nm, f[i], i != 0);   /* frame 0 of a CPU sample is the PC */
            at = trie_child(&tr, at, nmid);
            tr.n[at].v += c;
        }
    }
    pp_buf tree;
    buf_init(&tree);
    emit e = { &tree, nm, xmalloc(nm->n * sizeof(long)), xmalloc(nm->n * sizeof(size_t)), 0, total * FG_MIN, 0 };
    for (size_t i = 0; i < nm->n; i++) e.local[i] = -1;
    emit_node(&e, &tr, 0, 0);
    buf_printf(b, "<div class=\"flame\" data-src=\"fg-%d\"></div>\n<script type=\"application/json\" id=\"fg-%d\">{\"unit\":\"samples\",\"n\":[", ph->id, ph->id);
    for (size_t i = 0; i < e.nused; i++) {
        if (i) buf_putc(b, ',');
        h_jsonz(b, nm->text[e.used[i]]);
    }
    buf_puts(b, "],\"t\":");
    buf_put(b, tree.data, tree.len);
    buf_puts(b, "}</script>\n");
    buf_free(&tree);
    free(e.local);
    free(e.used);
    free(tr.n);
}

/* Rows of an acc, largest first column 0, at most TOP_ROWS. */
static size_t *top_rows(const acc *a, size_t *nout)
{
    size_t *o = xmalloc((a->n ? a->n : 1) * sizeof *o);
    for (size_t i = 0; i < a->n; i++) o[i] = i;
    /* selection of the largest few: n may be large, rows are few */
    size_t m = a->n < TOP_ROWS ? a->n : TOP_ROWS;
    for (size_t i = 0; i < m; i++) {
        size_t best = i;
        for (size_t j = i + 1; j < a->n; j++) if (a->v[o[j]][0] > a->v[o[best]][0]) best = j;
        size_t x = o[i]; o[i] = o[best]; o[best] = x;
    }
    *nout = m;
    return o;
}

static void metric_row(pp_buf *b, const char *name, const char *desc, const char *val)
{
    buf_printf(b, "<tr><th title=\"%s\">%s</th><td>%s</td></tr>", desc, name, val);
}

static void phase_metrics(pp_buf *b, const pp_aphase *ph)
{
    const double *m = ph->seg ? ph->seg->mean : NULL;
    if (!m) return;
    pp_buf v;
    buf_init(&v);
    buf_puts(b, "<table class=\"kv\">");
#define FRAC(f, label) do { buf_clear(&v); if (isfinite(m[f])) buf_printf(&v, "%.2f", m[f]); else buf_puts(&v, "n/a"); \
        metric_row(b, label, pp_wfeat_desc[f], v.data); } while (0)
#define RATE(f, label, unit) do { buf_clear(&v); h_rate(&v, m[f], unit); metric_row(b, label, pp_wfeat_desc[f], v.data); } while (0)
    FRAC(PP_WF_cpu_util, "cores computing");
    FRAC(PP_WF_threads, "live threads");
    FRAC(PP_WF_io_frac, "threads in I/O");
    FRAC(PP_WF_alloc_frac, "threads in allocator");
    FRAC(PP_WF_wait_frac, "threads blocked");
    RATE(PP_WF_read_bps, "read", "B/s");
    RATE(PP_WF_write_bps, "written", "B/s");
    RATE(PP_WF_io_calls_ps, "I/O calls", "/s");
    RATE(PP_WF_alloc_calls_ps, "allocations", "/s");
    RATE(PP_WF_faults_ps, "page faults", "/s");
    buf_clear(&v);
    h_bytes(&v, m[PP_WF_rss_bytes]);
    metric_row(b, "resident memory", pp_wfeat_desc[PP_WF_rss_bytes], v.data);
    if (isfinite(m[PP_WF_ipc])) FRAC(PP_WF_ipc, "IPC");
    if (isfinite(m[PP_WF_llc_mpki])) FRAC(PP_WF_llc_mpki, "LLC misses / kinstr");
#undef FRAC
#undef RATE
    buf_puts(b, "</table>\n");
    buf_free(&v);
}

static void one_phase(pp_buf *b, const pp_analysis *a, const pp_aphase *ph, pp_trace *t, names *nm,
                      pacc *pa, const fstat *fs, size_t nfs)
{
    const pp_aproc *p = &a->procs[ph->proc];
    buf_printf(b, "<section class=\"phase\" id=\"phase-%d\"><h3><span class=\"sw\" style=\"background:%s\"></span>Phase #%d — ",
               ph->id, h_class_color(ph->cls, ph->type), ph->id);
    if (ph->cls) { h_esc(b, ph->cls); if (ph->class_note) buf_puts(b, " (compute or memory)"); }
    else buf_printf(b, "type %c, not classified", 'A' + ph->type % 26);
    buf_printf(b, " <small>pid %u ", p->pid);
    h_esc(b, h_base(p->exe));
    buf_puts(b, ", ");
    h_sec(b, (double)ph->start_ns);
    buf_puts(b, " → ");
    h_sec(b, (double)ph->end_ns);
    if (isfinite(ph->share)) buf_printf(b, ", %.1f%% of the run", 100 * ph->share);
    buf_puts(b, "</small></h3>\n<div class=\"pgrid\"><div>");
    phase_metrics(b, ph);
    buf_puts(b, "</div><div>");
    buf_printf(b, "<h4>Where the CPU time went <small>(%.0f samples; click a frame to zoom, click the top bar to zoom out)</small></h4>\n", pa->cpu_n);
    char root[96];
    snprintf(root, sizeof root, "phase #%d", ph->id);
    flame(b, ph, t, nm, &pa->cpu, pa->cpu_n, root);
    buf_puts(b, "</div></div>\n<div class=\"pgrid3\"><div>");

    /* files open during the phase */
    buf_puts(b, "<h4>I/O by file <small>(files open during the phase; figures over each file's open period)</small></h4>");
    size_t shown = 0;
    size_t *ord = xmalloc((nfs ? nfs : 1) * sizeof *ord), nord = 0;
    uint64_t a0 = a->t0 + ph->start_ns, a1 = a->t0 + ph->end_ns;
    for (size_t i = 0; i < nfs; i++)
        if (fs[i].open_ts < a1 && fs[i].close_ts >= a0 && (fs[i].reads + fs[i].writes > 0 || fs[i].ns > 0)) ord[nord++] = i;
    for (size_t i = 0; i < nord && i < TOP_ROWS; i++) {       /* most bytes first */
        size_t best = i;
        for (size_t j = i + 1; j < nord; j++)
            if (fs[ord[j]].rbytes + fs[ord[j]].wbytes > fs[ord[best]].rbytes + fs[ord[best]].wbytes) best = j;
        size_t x = ord[i]; ord[i] = ord[best]; ord[best] = x;
    }
    for (size_t i = 0; i < nord && i < TOP_ROWS; i++) {
        const fstat *f = &fs[ord[i]];
        if (!shown++) buf_puts(b, "<table class=\"t\"><tr><th>file</th><th>reads</th><th>read</th><th>writes</th><th>written</th><th>time in I/O</th></tr>");
        size_t len = 0;
        const char *path = pp_trace_string(t, f->path, &len);
        buf_puts(b, "<tr><td class=\"path\">");
        if (path) buf_escape_html(b, path, len); else buf_puts(b, "(unknown)");
        buf_printf(b, "</td><td>%.0f</td><td>", f->reads);
        h_bytes(b, f->rbytes);
        buf_printf(b, "</td><td>%.0f</td><td>", f->writes);
        h_bytes(b, f->wbytes);
        buf_puts(b, "</td><td>");
        h_dur(b, f->ns);
        buf_puts(b, "</td></tr>");
    }
    if (shown) buf_puts(b, "</table>");
    else buf_puts(b, "<p class=\"muted\">No file I/O recorded in this phase.</p>");
    if (nord > TOP_ROWS) buf_printf(b, "<p class=\"muted\">… and %zu more files</p>", nord - TOP_ROWS);
    free(ord);

    /* slow I/O calls by file and by call site */
    buf_puts(b, "</div><div><h4>Slow I/O calls by call site <small>(calls above the recording threshold)</small></h4>");
    size_t nr, *o = top_rows(&pa->io_site, &nr);
    if (!nr) buf_puts(b, "<p class=\"muted\">No I/O call in this phase was slow enough to be recorded one by one.</p>");
    else {
        buf_puts(b, "<table class=\"t\"><tr><th>call site</th><th>calls</th><th>time</th><th>bytes</th></tr>");
        for (size_t i = 0; i < nr; i++) {
            const double *v = pa->io_site.v[o[i]];
            buf_puts(b, "<tr><td class=\"path\">");
            h_esc(b, nm->text[pa->io_site.key[o[i]]]);
            buf_printf(b, "</td><td>%.0f</td><td>", v[1]);
            h_dur(b, v[0]);
            buf_puts(b, "</td><td>");
            h_bytes(b, v[2]);
            buf_puts(b, "</td></tr>");
        }
        buf_puts(b, "</table>");
        free(o);
        o = top_rows(&pa->io_file, &nr);
        buf_puts(b, "<table class=\"t\"><tr><th>file (slow calls)</th><th>calls</th><th>time</th></tr>");
        for (size_t i = 0; i < nr; i++) {
            const double *v = pa->io_file.v[o[i]];
            size_t len = 0;
            const char *path = pa->io_file.key[o[i]] ? pp_trace_string(t, pa->io_file.key[o[i]], &len) : NULL;
            buf_puts(b, "<tr><td class=\"path\">");
            if (path) buf_escape_html(b, path, len); else buf_puts(b, "(descriptor without a path)");
            buf_printf(b, "</td><td>%.0f</td><td>", v[1]);
            h_dur(b, v[0]);
            buf_puts(b, "</td></tr>");
        }
        buf_puts(b, "</table>");
    }
    free(o);

    /* allocation sites */
    buf_puts(b, "</div><div><h4>Allocation sites <small>(sampled by bytes: each sample stands for its weight)</small></h4>");
    o = top_rows(&pa->alloc, &nr);
    if (!nr) buf_puts(b, "<p class=\"muted\">No sampled allocation in this phase.</p>");
    else {
        buf_puts(b, "<table class=\"t\"><tr><th>call site</th><th>bytes (est.)</th><th>share</th><th>samples</th></tr>");
        for (size_t i = 0; i < nr; i++) {
            const double *v = pa->alloc.v[o[i]];
            buf_puts(b, "<tr><td class=\"path\">");
            h_esc(b, nm->text[pa->alloc.key[o[i]]]);
            buf_puts(b, "</td><td>");
            h_bytes(b, v[0]);
            buf_printf(b, "</td><td>%.0f%%</td><td>%.0f</td></tr>", pa->alloc_w > 0 ? 100 * v[0] / pa->alloc_w : 0, v[1]);
        }
        buf_puts(b, "</table>");
    }
    free(o);
    buf_puts(b, "</div></div>");

    if (ph->nadvice) {
        buf_puts(b, "<h4>Advice for this phase</h4><ul class=\"adv\">");
        for (size_t k = 0; k < ph->nadvice; k++) {
            const pp_advice *ad = &ph->advice[k];
            buf_puts(b, "<li><b>");
            h_esc(b, ad->advice);
            buf_puts(b, "</b> — ");
            h_esc(b, ad->finding);
            buf_puts(b, "</li>");
        }
        buf_puts(b, "</ul>");
    }
    buf_puts(b, "</section>\n");
}

/* Phase of process p holding time ts (absolute), or -1: phases are in time order. */
static long phase_at(const pp_analysis *a, const pp_aproc *p, uint64_t ts)
{
    if (ts < a->t0) return -1;
    uint64_t rel = ts - a->t0;
    size_t lo = 0, hi = p->nphases;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a->phases[p->phase0 + mid].end_ns <= rel) lo = mid + 1; else hi = mid;
    }
    if (lo >= p->nphases || a->phases[p->phase0 + lo].start_ns > rel) return -1;
    return (long)lo;
}

void html_phase_details(pp_buf *b, const pp_analysis *a, const unsigned char *show)
{
    for (size_t pi = 0; pi < a->nproc; pi++) {
        const pp_aproc *p = &a->procs[pi];
        int any = 0;
        for (size_t k = 0; k < p->nphases; k++) any |= show[p->phase0 + k];
        if (!any) continue;
        pp_trace *t = p->t;
        pacc *pa = xcalloc(p->nphases, sizeof *pa);
        names nm = { 0 };
        nm.sy = p->sym ? p->sym : sym_open(t);     /* the analysis's own, when it made one */
        fstat *fs = NULL;
        size_t nfs = 0, fcap = 0;
        unsigned kinds[] = { PP_K_CPU_SAMPLE, PP_K_ALLOC_SAMPLE, PP_K_IO_EVENT, PP_K_FILE_STATS };
        pp_trace_select(t, kinds, sizeof kinds / sizeof kinds[0]);
        pp_trace_rewind(t);
        pp_rec r;
        while (pp_trace_next(t, &r)) {
            long k;
            switch (r.kind) {
            case PP_K_CPU_SAMPLE:
                if ((k = phase_at(a, p, r.CPU_SAMPLE.ts.u)) < 0 || !show[p->phase0 + (size_t)k]) break;
                acc_add(&pa[k].cpu, r.CPU_SAMPLE.stack.u, 1, 1, 0);
                pa[k].cpu_n += 1;
                break;
            case PP_K_ALLOC_SAMPLE:
                if ((k = phase_at(a, p, r.ALLOC_SAMPLE.ts.u)) < 0 || !show[p->phase0 + (size_t)k]) break;
                acc_add(&pa[k].alloc, site_name(&nm, t, r.ALLOC_SAMPLE.stack.u), (double)r.ALLOC_SAMPLE.weight.u, 1, 0);
                pa[k].alloc_w += (double)r.ALLOC_SAMPLE.weight.u;
                break;
            case PP_K_IO_EVENT: {
                if ((k = phase_at(a, p, r.IO_EVENT.ts.u)) < 0 || !show[p->phase0 + (size_t)k]) break;
                double ns = (double)r.IO_EVENT.dur.u, by = r.IO_EVENT.bytes.s > 0 ? (double)r.IO_EVENT.bytes.s : 0;
                const char *fn = pp_fn_name(r.IO_EVENT.fn.u);
                char key[1024];
                size_t site = site_name(&nm, t, r.IO_EVENT.stack.u);
                snprintf(key, sizeof key, "%s() at %s", fn ? fn : "?", nm.text[site]);
                acc_add(&pa[k].io_site, name_of_text(&nm, key), ns, 1, by);
                acc_add(&pa[k].io_file, r.IO_EVENT.path.u, ns, 1, by);
                pa[k].io_ns += ns;
                break;
            }
            case PP_K_FILE_STATS: {
                const struct pp_r_FILE_STATS *f = &r.FILE_STATS;
                if (f->cls.u != PP_FD_FILE) break;
                xgrow((void **)&fs, &fcap, nfs + 1, sizeof *fs);
                fs[nfs++] = (fstat){ f->path.u, f->open_ts.u ? f->open_ts.u : p->t ? a->t0 + p->start_ns : 0, f->ts.u,
                                     (double)f->reads.u, (double)f->writes.u, (double)f->read_bytes.u,
                                     (double)f->write_bytes.u, (double)(f->read_ns.u + f->write_ns.u + f->meta_ns.u + f->sync_ns.u) };
                break;
            }
            }
        }
        pp_trace_select(t, NULL, 0);
        for (size_t k = 0; k < p->nphases; k++) {
            if (!show[p->phase0 + k]) continue;
            one_phase(b, a, &a->phases[p->phase0 + k], t, &nm, &pa[k], fs, nfs);
        }
        for (size_t k = 0; k < p->nphases; k++) {
            acc_free(&pa[k].cpu); acc_free(&pa[k].alloc); acc_free(&pa[k].io_site); acc_free(&pa[k].io_file);
        }
        free(pa);
        free(fs);
        for (size_t i = 0; i < nm.n; i++) free(nm.text[i]);
        free(nm.text);
        u64map_free(&nm.by_addr);
        strmap_free(&nm.by_text);
        if (nm.sy != p->sym) sym_close(nm.sy);
    }
}
