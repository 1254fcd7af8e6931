/* `phaseprof export --format chrome`: the run as Chrome Trace Event JSON (the "JSON Object
 * Format": {"traceEvents": [...]}), which the Perfetto UI and chrome://tracing open.
 *
 * One Chrome pid per process and one tid per thread, named by metadata events; slow I/O calls and
 * waits as complete ("X") slices on their thread; marks as instants, phase_begin/phase_end marks
 * as B/E slices; a fork as a short slice in the parent joined by a flow arrow to a short "start"
 * slice in the traced child; an exec as an instant; per process, counter ("C") tracks from its
 * windows (windows.h: CPU cores busy, I/O MB/s, threads in I/O and waiting, allocations, RSS) and
 * the detected phases (phases.h) as slices on a "phases" track.  Timestamps are microseconds,
 * with ns decimals, since the root process started.
 *
 * Streamed: events are written as records are read, in file order (viewers sort by time
 * themselves), one process at a time.  Memory: the thread names of one process, its windows and
 * phases (bounded by the windows' own cap), never the records.
 *
 * Every string from a trace (paths, names, argv) is untrusted: it goes through buf_escape_json,
 * which turns invalid UTF-8 into U+FFFD, so the output is valid JSON whatever the bytes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "export.h"
#include "phases.h"
#include "windows.h"

#define FLUSH_AT (1u << 16)
#define MARK_NS 100               /* length of the fork/start slices a flow arrow binds to */

static const char *const class_names[PP_FD_CLASSES] = { "file", "pipe", "socket", "tty", "device", "other" };
static const char *const op_names[PP_OPS] = { "read", "write", "meta", "sync" };
static const char *const wait_names[PP_WAIT_KINDS] = {
    "mutex", "condition variable", "rwlock", "semaphore", "sleep", "poll/select/epoll",
    "thread join", "child wait" };
static const char *const fork_names[] = { "fork", "vfork", "posix_spawn", "clone" };

typedef struct cw {
    pp_export *ex;
    pp_buf b;
    int first;                    /* no event written yet (no comma before the next) */
} cw;

/* ---- JSON pieces ---- */

/* Numbers without printf: a big trace is millions of events and printf was most of the time. */
static void put_u(pp_buf *b, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do { tmp[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    buf_put(b, tmp + i, sizeof tmp - (size_t)i);
}
static void put_i(pp_buf *b, int64_t v)
{
    if (v < 0) { buf_putc(b, '-'); put_u(b, v == INT64_MIN ? (uint64_t)INT64_MAX + 1 : (uint64_t)-v); }
    else put_u(b, (uint64_t)v);
}
/* ns as microseconds with three decimals (exact: no floating point) */
static void put_us(pp_buf *b, int64_t ns)
{
    uint64_t a = ns < 0 ? (ns == INT64_MIN ? (uint64_t)INT64_MAX + 1 : (uint64_t)-ns) : (uint64_t)ns;
    if (ns < 0) buf_putc(b, '-');
    put_u(b, a / 1000);
    char f[4] = { '.', (char)('0' + a % 1000 / 100), (char)('0' + a % 100 / 10), (char)('0' + a % 10) };
    buf_put(b, f, 4);
}
/* ,"key":value */
static void kv_u(pp_buf *b, const char *key, uint64_t v) { buf_puts(b, key); put_u(b, v); }
static void kv_i(pp_buf *b, const char *key, int64_t v) { buf_puts(b, key); put_i(b, v); }

static void put_str(pp_buf *b, const void *s, size_t n)
{
    buf_putc(b, '"');
    if (s) buf_escape_json(b, s, n);
    buf_putc(b, '"');
}
static void put_cstr(pp_buf *b, const char *s) { put_str(b, s, strlen(s)); }

/* A trace string by id, or null. */
static void put_string_id(pp_buf *b, pp_trace *t, uint64_t id)
{
    size_t n;
    const char *s = id ? pp_trace_string(t, id, &n) : NULL;
    if (s) put_str(b, s, n); else buf_puts(b, "null");
}

static void put_list(pp_buf *b, pp_val v)
{
    pp_iter it = pp_iter_of(v);
    const uint8_t *s;
    size_t n;
    buf_putc(b, '[');
    for (int first = 1; pp_iter_str(&it, &s, &n); first = 0) {
        if (!first) buf_putc(b, ',');
        put_str(b, s, n);
    }
    buf_putc(b, ']');
}

/* Starts an event: {"ph":"X","pid":P,"tid":T,"ts":US — the caller adds the rest and ev_end()s.
 * rel_ns: time since the root started. */
static void ev_begin(cw *w, const char *ph, uint64_t pid, uint64_t tid, int64_t rel_ns)
{
    pp_buf *b = &w->b;
    if (!w->first) buf_puts(b, ",\n");
    w->first = 0;
    buf_puts(b, "{\"ph\":\"");
    buf_puts(b, ph);
    kv_u(b, "\",\"pid\":", pid);
    kv_u(b, ",\"tid\":", tid);
    buf_puts(b, ",\"ts\":");
    put_us(b, rel_ns);
}
static void put_dur(pp_buf *b, uint64_t ns)
{
    buf_puts(b, ",\"dur\":");
    put_us(b, ns > INT64_MAX ? INT64_MAX : (int64_t)ns);
}
static void ev_end(cw *w)
{
    buf_putc(&w->b, '}');
    if (w->b.len >= FLUSH_AT) ex_flush(w->ex, &w->b);
}

static void meta_name(cw *w, const char *what, uint64_t pid, uint64_t tid, const void *name, size_t n)
{
    ev_begin(w, "M", pid, tid, 0);
    buf_printf(&w->b, ",\"name\":\"%s\",\"args\":{\"name\":", what);
    put_str(&w->b, name, n);
    buf_putc(&w->b, '}');
    ev_end(w);
}

static void meta_sort(cw *w, const char *what, uint64_t pid, uint64_t tid, uint64_t index)
{
    ev_begin(w, "M", pid, tid, 0);
    buf_printf(&w->b, ",\"name\":\"%s\",\"args\":{\"sort_index\":%" PRIu64 "}", what, index);
    ev_end(w);
}

/* ---- counters and phases, from the process's windows (windows.h, phases.h) ---- */

enum { G_CPU, G_IO, G_BLOCKED, G_ALLOC, G_RSS, G_N };

typedef struct counters {
    cw *w;
    uint64_t pid;
    char last[G_N][96];           /* what each track shows: unchanged values are not repeated */
} counters;

/* One counter event for group g, unless it shows what the track already shows. */
static void counter_event(counters *c, int g, int64_t rel_ns, const char *name, const char *args)
{
    if (!strcmp(c->last[g], args)) return;
    snprintf(c->last[g], sizeof c->last[g], "%s", args);
    ev_begin(c->w, "C", c->pid, c->pid, rel_ns);
    buf_printf(&c->w->b, ",\"name\":\"%s\",\"args\":{%s}", name, args);
    ev_end(c->w);
}

static double fin(double v) { return isfinite(v) ? v : 0; }

/* The counter values of one window (f: its features), from t0. */
static void counters_at(counters *c, uint64_t t0, const double *f)
{
    int64_t ns = ex_rel_ns(c->w->ex, t0);
    char a[96];
    snprintf(a, sizeof a, "\"cores busy\":%.3f", fin(f[PP_WF_cpu_util]));
    counter_event(c, G_CPU, ns, "CPU", a);
    snprintf(a, sizeof a, "\"read MB/s\":%.3f,\"write MB/s\":%.3f", fin(f[PP_WF_read_bps]) / 1e6, fin(f[PP_WF_write_bps]) / 1e6);
    counter_event(c, G_IO, ns, "I/O", a);
    snprintf(a, sizeof a, "\"in I/O\":%.3f,\"waiting\":%.3f", fin(f[PP_WF_io_frac]), fin(f[PP_WF_wait_frac]));
    counter_event(c, G_BLOCKED, ns, "threads", a);
    snprintf(a, sizeof a, "\"calls/s\":%.0f,\"MB/s\":%.3f", fin(f[PP_WF_alloc_calls_ps]), fin(f[PP_WF_alloc_bps]) / 1e6);
    counter_event(c, G_ALLOC, ns, "allocations", a);
    if (fin(f[PP_WF_rss_bytes]) > 0) {
        snprintf(a, sizeof a, "\"MB\":%.3f", f[PP_WF_rss_bytes] / 1e6);
        counter_event(c, G_RSS, ns, "RSS", a);
    }
}

/* A synthetic thread per process for the phase slices (above any real tid, below 2^31). */
#define PHASES_TID(pid) (1000000000u + (pid) % 1000000000u)

static void emit_windows(cw *w, const ex_proc *p)
{
    pp_export *ex = w->ex;
    char err[512];
    pp_windows *win = pp_windows_build(p->t, NULL, err, sizeof err);
    if (!win) return;                     /* no SAMPLE records: no counters, no phases */
    counters c;
    memset(&c, 0, sizeof c);
    c.w = w;
    c.pid = p->pid;
    for (size_t i = 0; i < win->n; i++) {
        uint64_t t0 = pp_windows_t0(win, i), t1 = pp_windows_t1(win, i);
        if (ex_in_range(ex, t0, t1 - t0)) counters_at(&c, t0, pp_windows_row(win, i));
    }
    if (win->n && ex_in_range(ex, win->end_ns, 0)) {   /* the process is gone: back to zero */
        double zero[PP_WF_N] = { 0 };
        counters_at(&c, win->end_ns, zero);
    }
    pp_phases *ph = pp_phases_detect(win, NULL);
    uint64_t tid = PHASES_TID(p->pid);
    const char *track = "phases";
    meta_name(w, "thread_name", p->pid, tid, track, strlen(track));
    meta_sort(w, "thread_sort_index", p->pid, tid, 0);
    pp_buf *b = &w->b;
    for (size_t s = 0; ph && s < ph->nseg; s++) {
        const pp_segment *g = &ph->seg[s];
        if (!ex_in_range(ex, g->start_ns, g->end_ns - g->start_ns)) continue;
        ev_begin(w, "X", p->pid, tid, ex_rel_ns(ex, g->start_ns));
        put_dur(b, g->end_ns - g->start_ns);
        buf_printf(b, ",\"cat\":\"phase\",\"name\":\"phase type %d\",\"args\":{\"segment\":%zu,\"type\":%d,"
                   "\"types\":%d,\"windows\":%zu", g->type, s, g->type, ph->ntypes, g->w1 - g->w0);
        for (int k = 0; k < PP_WF_N; k++)
            if (isfinite(g->mean[k])) buf_printf(b, ",\"%s\":%.6g", pp_wfeat_name[k], g->mean[k]);
        buf_puts(b, "}");
        ev_end(w);
    }
    pp_phases_free(ph);
    pp_windows_free(win);
}

/* ---- one process image ---- */

static void name_thread(cw *w, const ex_proc *p, pp_u64map *named, uint64_t tid)
{
    if (!tid) return;
    int created;
    u64map_slot(named, tid, &created);
    if (!created) return;
    const char *n = tid == p->pid ? "main" : "thread";
    meta_name(w, "thread_name", p->pid, tid, n, strlen(n));
    meta_sort(w, "thread_sort_index", p->pid, tid, tid == p->pid ? 1 : tid);
}

static void emit_process(cw *w, size_t idx, const size_t *next_image)
{
    pp_export *ex = w->ex;
    ex_proc *p = &ex->procs[idx];
    pp_trace *t = p->t;
    const struct pp_r_HEADER *h = p->h;
    uint64_t pid = p->pid;
    pp_buf *b = &w->b;

    if (p->first_image) {
        /* one Chrome process per pid: its name lists every image exec gave it */
        pp_buf label;
        buf_init(&label);
        for (size_t i = idx, guard = 0; i != (size_t)-1 && guard < ex->n; i = next_image[i], guard++) {
            if (ex->procs[i].selected) {
                if (label.len) buf_puts(&label, " \xe2\x86\x92 ");   /* → */
                buf_put(&label, ex->procs[i].name, ex->procs[i].name_len);
            }
        }
        meta_name(w, "process_name", pid, 0, label.data, label.len);
        meta_sort(w, "process_sort_index", pid, 0, idx);
        buf_free(&label);
    }
    pp_u64map named = { 0 };
    name_thread(w, p, &named, pid);
    for (size_t i = 0; i < pp_trace_nchunks(t); i++) name_thread(w, p, &named, pp_trace_chunk(t, i)->tid);

    /* the image's start: a short slice with who it is (a fork's flow arrow ends here) */
    if (ex_in_range(ex, p->start_ns, 0)) {
        int64_t ns = ex_rel_ns(ex, p->start_ns);
        ev_begin(w, "X", pid, pid, ns);
        put_dur(b, MARK_NS);
        buf_puts(b, ",\"cat\":\"process\",\"name\":");
        buf_puts(b, p->first_image ? "\"start\"" : "\"start after exec\"");
        buf_puts(b, ",\"args\":{\"exe\":");
        put_str(b, h->exe.b.p, h->exe.b.len);
        buf_puts(b, ",\"argv\":");
        put_list(b, h->argv);
        buf_puts(b, ",\"cwd\":");
        put_str(b, h->cwd.b.p, h->cwd.b.len);
        buf_printf(b, ",\"pid\":%" PRIu64 ",\"ppid\":%" PRIu64 ",\"exec_gen\":%" PRIu64 ",\"counters\":",
                   pid, p->ppid, h->exec_gen.u);
        put_str(b, h->backend.b.p, h->backend.b.len);
        buf_putc(b, '}');
        ev_end(w);
        long parent = -1;
        for (size_t i = 0; i < ex->n; i++)
            if (ex->procs[i].pid == p->ppid && ex->procs[i].selected && ex->procs[i].start_ns <= p->start_ns) parent = (long)i;
        if (p->first_image && parent >= 0) {
            ev_begin(w, "f", pid, pid, ns + 1);
            buf_printf(b, ",\"bp\":\"e\",\"cat\":\"fork\",\"name\":\"fork\",\"id\":%" PRIu64, (p->ppid << 22) | (pid & 0x3fffff));
            ev_end(w);
        }
    }

    unsigned kinds[] = { PP_K_SAMPLE, PP_K_IO_EVENT, PP_K_WAIT_EVENT, PP_K_MARK, PP_K_FORK, PP_K_EXEC,
                         PP_K_THREAD_NAME, PP_K_THREAD_START };
    pp_trace_select(t, kinds, sizeof kinds / sizeof kinds[0]);
    pp_trace_rewind(t);
    pp_rec r;
    while (pp_trace_next(t, &r)) {
        switch (r.kind) {
        case PP_K_SAMPLE:             /* only to name every thread that ran */
            name_thread(w, p, &named, r.SAMPLE.tid.u);
            break;
        case PP_K_IO_EVENT: {
            const struct pp_r_IO_EVENT *e = &r.IO_EVENT;
            if (!ex_in_range(ex, e->ts.u, e->dur.u)) break;
            uint64_t tid = e->tid.u ? e->tid.u : (r.tid ? r.tid : pid);
            name_thread(w, p, &named, tid);
            const char *fn = pp_fn_name(e->fn.u);
            ev_begin(w, "X", pid, tid, ex_rel_ns(ex, e->ts.u));
            put_dur(b, e->dur.u);
            buf_puts(b, ",\"cat\":\"io\",\"name\":");
            put_cstr(b, fn ? fn : "io");
            kv_i(b, ",\"args\":{\"fd\":", e->fd.s);
            buf_puts(b, ",\"path\":");
            put_string_id(b, t, e->path.u);
            if (e->bytes.s >= 0) kv_i(b, ",\"bytes\":", e->bytes.s);
            kv_i(b, ",\"result\":", e->bytes.s);
            if (e->bytes.s < 0 && e->bytes.s != INT64_MIN) kv_i(b, ",\"errno\":", -e->bytes.s);
            if (e->offset.s >= 0) kv_i(b, ",\"offset\":", e->offset.s);
            buf_puts(b, ",\"class\":\"");
            buf_puts(b, e->cls.u < PP_FD_CLASSES ? class_names[e->cls.u] : "other");
            buf_puts(b, "\",\"op\":\"");
            buf_puts(b, e->op.u < PP_OPS ? op_names[e->op.u] : "other");
            kv_u(b, "\",\"dur_ns\":", e->dur.u);
            buf_putc(b, '}');
            ev_end(w);
            break;
        }
        case PP_K_WAIT_EVENT: {
            const struct pp_r_WAIT_EVENT *e = &r.WAIT_EVENT;
            if (!ex_in_range(ex, e->ts.u, e->dur.u)) break;
            uint64_t tid = e->tid.u ? e->tid.u : (r.tid ? r.tid : pid);
            name_thread(w, p, &named, tid);
            const char *k = e->kind.u < PP_WAIT_KINDS ? wait_names[e->kind.u] : "wait";
            ev_begin(w, "X", pid, tid, ex_rel_ns(ex, e->ts.u));
            put_dur(b, e->dur.u);
            buf_printf(b, ",\"cat\":\"wait\",\"name\":\"%s\",\"args\":{\"kind\":\"%s\","
                       "\"object\":\"0x%" PRIx64 "\",\"dur_ns\":%" PRIu64 "}", k, k, e->obj.u, e->dur.u);
            ev_end(w);
            break;
        }
        case PP_K_MARK: {
            const struct pp_r_MARK *m = &r.MARK;
            if (!ex_in_range(ex, m->ts.u, 0)) break;
            uint64_t tid = m->tid.u ? m->tid.u : (r.tid ? r.tid : pid);
            name_thread(w, p, &named, tid);
            const char *ph = m->kind.u == PP_MARK_BEGIN ? "B" : m->kind.u == PP_MARK_END ? "E" : "i";
            ev_begin(w, ph, pid, tid, ex_rel_ns(ex, m->ts.u));
            buf_puts(b, ",\"cat\":\"mark\",\"name\":");
            size_t n;
            const char *s = pp_trace_string(t, m->name.u, &n);
            if (s) put_str(b, s, n); else buf_puts(b, "\"mark\"");
            if (*ph == 'i') buf_puts(b, ",\"s\":\"t\"");
            ev_end(w);
            break;
        }
        case PP_K_FORK: {
            const struct pp_r_FORK *f = &r.FORK;
            if (!ex_in_range(ex, f->ts.u, 0)) break;
            uint64_t tid = f->tid.u ? f->tid.u : (r.tid ? r.tid : pid);
            name_thread(w, p, &named, tid);
            uint64_t child = f->child_pid.s > 0 ? (uint64_t)f->child_pid.s : 0;
            long ci = child ? ex_find_child(ex, child, pid) : -1;
            int64_t ns = ex_rel_ns(ex, f->ts.u);
            const char *kind = f->kind.u < 4 ? fork_names[f->kind.u] : "fork";
            ev_begin(w, "X", pid, tid, ns);
            put_dur(b, MARK_NS);
            buf_printf(b, ",\"cat\":\"process\",\"name\":\"%s\",\"args\":{\"child_pid\":%" PRId64
                       ",\"child_traced\":%s}", kind, f->child_pid.s, ci >= 0 ? "true" : "false");
            ev_end(w);
            if (ci >= 0 && ex_in_range(ex, ex->procs[ci].start_ns, 0)) {
                ev_begin(w, "s", pid, tid, ns + 1);
                buf_printf(b, ",\"cat\":\"fork\",\"name\":\"fork\",\"id\":%" PRIu64, (pid << 22) | (child & 0x3fffff));
                ev_end(w);
            }
            break;
        }
        case PP_K_EXEC: {
            const struct pp_r_EXEC *e = &r.EXEC;
            if (!ex_in_range(ex, e->ts.u, 0)) break;
            uint64_t tid = e->tid.u ? e->tid.u : (r.tid ? r.tid : pid);
            ev_begin(w, "i", pid, tid, ex_rel_ns(ex, e->ts.u));
            buf_puts(b, ",\"s\":\"p\",\"cat\":\"process\",\"name\":\"exec\",\"args\":{\"path\":");
            put_str(b, e->path.b.p, e->path.b.len);
            buf_puts(b, ",\"argv\":");
            put_list(b, e->argv);
            buf_puts(b, "}");
            ev_end(w);
            break;
        }
        case PP_K_THREAD_START:
            name_thread(w, p, &named, r.THREAD_START.tid.u);
            break;
        case PP_K_THREAD_NAME: {
            uint64_t tid = r.THREAD_NAME.tid.u;
            size_t n;
            const char *s = pp_trace_string(t, r.THREAD_NAME.name.u, &n);
            if (!tid || !s) break;
            name_thread(w, p, &named, tid);
            meta_name(w, "thread_name", pid, tid, s, n);   /* later metadata wins in the viewers */
            break;
        }
        }
    }
    pp_trace_select(t, NULL, 0);
    emit_windows(w, p);
    u64map_free(&named);
}

int export_chrome(pp_export *ex)
{
    cw w = { .ex = ex, .first = 1 };
    buf_init(&w.b);
    /* each image's next image of the same pid, for process names */
    size_t *next_image = xmalloc(ex->n * sizeof *next_image);
    pp_u64map last = { 0 };
    for (size_t i = 0; i < ex->n; i++) {
        next_image[i] = (size_t)-1;
        int created;
        size_t *slot = u64map_slot(&last, ex->procs[i].pid, &created);
        if (!created) next_image[*slot] = i;
        *slot = i;
    }
    u64map_free(&last);

    buf_puts(&w.b, "{\"traceEvents\":[\n");
    for (size_t i = 0; i < ex->n; i++) {
        if (!ex->procs[i].selected) continue;
        emit_process(&w, i, next_image);
        ex_flush(ex, &w.b);
    }
    const ex_proc *root = &ex->procs[ex->root];
    buf_printf(&w.b, "\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{\"generator\":\"phaseprof export\","
               "\"time_zero\":\"start of the root process\",\"root_pid\":%" PRIu64 ",\"root_exe\":", root->pid);
    put_str(&w.b, root->h->exe.b.p, root->h->exe.b.len);
    buf_printf(&w.b, ",\"root_start_monotonic_ns\":%" PRIu64 ",\"processes\":%zu}}\n", ex->root_ns, ex->n);
    ex_flush(ex, &w.b);
    buf_free(&w.b);
    free(next_image);
    return 0;
}
