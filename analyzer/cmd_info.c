/* `phaseprof info PATH`: what a run's traces hold, per process and in total, as exact integers in
 * lines a test can grep (`  io file write: bytes=N calls=M ns=T`, `  alloc: calls=… frees=…`).
 *
 * Per process: identity (pid, ppid, exe, argv, run id, start, duration), threads, the counter
 * backend and its events, completeness in words (complete / truncated / damaged / dropped), then
 * totals from SAMPLE (I/O by fd class and operation, waits, allocation, mmap, CPU, counters),
 * FILE_STATS (per path, top 10 by bytes), MMAP and CALL records.  Then the process tree (header
 * ppid, FORK and EXEC records) and totals over every process.  One streaming pass per trace;
 * memory grows with files, threads and processes, not records. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "reader.h"
#include "util.h"

int cmd_info(int argc, char **argv);

static const char usage_text[] =
"usage: phaseprof info PATH\n"
"\n"
"Describes a trace file or a directory of them: per process its identity, threads, counters,\n"
"completeness, I/O by descriptor class and operation, allocation, files and calls; then the\n"
"process tree and totals.  Figures are exact integers (bytes, calls, ns).\n"
"\n"
"  -h, --help   this text\n";

static const char *const class_names[PP_FD_CLASSES] = { "file", "pipe", "socket", "tty", "device", "other" };
static const char *const op_names[PP_OPS] = { "read", "write", "meta", "sync" };
static const char *const wait_names[PP_WAIT_KINDS] = { "mutex", "cond", "rwlock", "sem", "sleep", "poll",
                                                       "join", "child" };
#define MAX_EVENTS 64

/* Per-file figures summed over FILE_STATS records (one per close, so a path opened twice has two). */
typedef struct file_tot {
    char *path;
    uint64_t opens, reads, writes, read_bytes, write_bytes, read_ns, write_ns, meta, syncs, seeks,
             mmaps, mmap_bytes, errors;
} file_tot;

typedef struct files {
    pp_strmap index;             /* path → 1 + position in v */
    file_tot *v;
    size_t n, cap;
} files;

typedef struct fn_tot { uint64_t calls, bytes, ns; } fn_tot;

typedef struct totals {
    uint64_t io[PP_IO_CELLS][3];            /* ns, bytes, calls */
    uint64_t wait[PP_WAIT_KINDS][2];        /* ns, calls */
    uint64_t alloc_calls, free_calls, alloc_bytes, free_bytes, alloc_timed, alloc_timed_ns;
    uint64_t mmap_calls, mmap_bytes, munmap_calls, munmap_bytes;
    uint64_t cpu_ns, cpu_samples, skipped_samples, samples, rss_max;
    uint64_t counters[MAX_EVENTS];
    uint64_t file_mmaps, file_mmap_bytes;
    uint64_t io_events, alloc_samples, marks, stacks, modules;
    fn_tot fn[PP_FN_COUNT + 1];             /* last: out-of-range fn numbers */
    uint64_t ncalls;
    files files;
} totals;

typedef struct proc {
    pp_trace *t;
    const struct pp_r_HEADER *h;            /* NULL: the trace has no header */
    uint64_t pid, ppid;
    totals tot;
    uint64_t kinds[PP_K_MAX];
    pp_u64map tids;
    uint64_t *name_tid, *name_id; size_t nnames, cap_names;
    uint64_t *fork_pid, *fork_kind; size_t nforks, cap_forks;
    char **exec_path; size_t nexecs, cap_execs;
    uint64_t last_ts;
    /* tree */
    size_t parent;                          /* index + 1 of the parent process, 0: root */
    size_t exec_next;                       /* index + 1 of the image that replaced this one */
    int is_exec_successor, printed;
} proc;

/* ---- accumulation ---- */

static file_tot *file_get(files *f, const char *path, size_t len)
{
    int created;
    size_t *slot = strmap_slot(&f->index, path, len, &created);
    if (created) {
        xgrow((void **)&f->v, &f->cap, f->n + 1, sizeof *f->v);
        memset(&f->v[f->n], 0, sizeof *f->v);
        f->v[f->n].path = xstrndup(path, len);
        *slot = ++f->n;
    }
    return &f->v[*slot - 1];
}

static void file_add(file_tot *d, const file_tot *s)
{
    d->opens += s->opens; d->reads += s->reads; d->writes += s->writes;
    d->read_bytes += s->read_bytes; d->write_bytes += s->write_bytes;
    d->read_ns += s->read_ns; d->write_ns += s->write_ns; d->meta += s->meta; d->syncs += s->syncs;
    d->seeks += s->seeks; d->mmaps += s->mmaps; d->mmap_bytes += s->mmap_bytes; d->errors += s->errors;
}

static void files_free(files *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->v[i].path);
    free(f->v);
    strmap_free(&f->index);
}

static void add_totals(totals *d, const totals *s)
{
    for (int c = 0; c < PP_IO_CELLS; c++) for (int k = 0; k < 3; k++) d->io[c][k] += s->io[c][k];
    for (int w = 0; w < PP_WAIT_KINDS; w++) for (int k = 0; k < 2; k++) d->wait[w][k] += s->wait[w][k];
    d->alloc_calls += s->alloc_calls; d->free_calls += s->free_calls;
    d->alloc_bytes += s->alloc_bytes; d->free_bytes += s->free_bytes;
    d->alloc_timed += s->alloc_timed; d->alloc_timed_ns += s->alloc_timed_ns;
    d->mmap_calls += s->mmap_calls; d->mmap_bytes += s->mmap_bytes;
    d->munmap_calls += s->munmap_calls; d->munmap_bytes += s->munmap_bytes;
    d->cpu_ns += s->cpu_ns; d->cpu_samples += s->cpu_samples; d->skipped_samples += s->skipped_samples;
    d->samples += s->samples;
    d->file_mmaps += s->file_mmaps; d->file_mmap_bytes += s->file_mmap_bytes;
    d->io_events += s->io_events; d->alloc_samples += s->alloc_samples; d->marks += s->marks;
    for (int f = 0; f <= PP_FN_COUNT; f++) {
        d->fn[f].calls += s->fn[f].calls; d->fn[f].bytes += s->fn[f].bytes; d->fn[f].ns += s->fn[f].ns;
    }
    d->ncalls += s->ncalls;
    for (int i = 0; i < MAX_EVENTS; i++) d->counters[i] += s->counters[i];
    for (size_t i = 0; i < s->files.n; i++) {
        const file_tot *f = &s->files.v[i];
        file_add(file_get(&d->files, f->path, strlen(f->path)), f);
    }
}

static void note_tid(proc *p, uint64_t tid)
{
    if (tid) u64map_slot(&p->tids, tid, NULL);
}

static void on_sample(proc *p, const struct pp_r_SAMPLE *s)
{
    totals *t = &p->tot;
    pp_iter it = pp_iter_of(s->io);
    uint64_t cell, ns, bytes, calls;
    while (pp_iter_u(&it, &cell) && pp_iter_u(&it, &ns) && pp_iter_u(&it, &bytes) && pp_iter_u(&it, &calls)) {
        if (cell >= PP_IO_CELLS) cell = PP_FD_OTHER * PP_OPS + (cell % PP_OPS);
        t->io[cell][0] += ns; t->io[cell][1] += bytes; t->io[cell][2] += calls;
    }
    it = pp_iter_of(s->wait);
    uint64_t kind;
    while (pp_iter_u(&it, &kind) && pp_iter_u(&it, &ns) && pp_iter_u(&it, &calls)) {
        if (kind < PP_WAIT_KINDS) { t->wait[kind][0] += ns; t->wait[kind][1] += calls; }
    }
    it = pp_iter_of(s->counters);
    uint64_t v;
    for (int i = 0; i < MAX_EVENTS && pp_iter_u(&it, &v); i++) t->counters[i] += v;
    t->alloc_calls += s->alloc_calls.u; t->free_calls += s->free_calls.u;
    t->alloc_bytes += s->alloc_bytes.u; t->free_bytes += s->free_bytes.u;
    t->alloc_timed += s->alloc_timed.u; t->alloc_timed_ns += s->alloc_timed_ns.u;
    t->mmap_calls += s->mmap_calls.u; t->mmap_bytes += s->mmap_bytes.u;
    t->munmap_calls += s->munmap_calls.u; t->munmap_bytes += s->munmap_bytes.u;
    t->cpu_ns += s->cpu_ns.u; t->cpu_samples += s->cpu_samples.u; t->skipped_samples += s->skipped_samples.u;
    if (s->rss_bytes.u > t->rss_max) t->rss_max = s->rss_bytes.u;
    t->samples++;
    note_tid(p, s->tid.u);
}

static void on_file_stats(proc *p, const struct pp_r_FILE_STATS *f)
{
    size_t len;
    const char *path = pp_trace_string(p->t, f->path.u, &len);
    char tmp[64];
    if (!path) {   /* no path recorded, or its STRING record was lost */
        if (f->path.u) len = (size_t)snprintf(tmp, sizeof tmp, "(string %" PRIu64 " missing)", f->path.u);
        else len = (size_t)snprintf(tmp, sizeof tmp, "(fd %" PRId64 ")", f->fd.s);
        path = tmp;
    }
    file_tot s = { NULL, f->opens.u, f->reads.u, f->writes.u, f->read_bytes.u, f->write_bytes.u, f->read_ns.u,
                   f->write_ns.u, f->meta.u, f->syncs.u, f->seeks.u, f->mmaps.u, f->mmap_bytes.u, f->errors.u };
    file_add(file_get(&p->tot.files, path, len), &s);
}

/* CALL.b is a byte count for these functions (sizes for the allocation family); for the others
 * it is a result such as a descriptor, which must not be summed as bytes. */
static int moves_bytes(uint64_t fn)
{
    switch (fn) {
    case PP_FN_malloc: case PP_FN_calloc: case PP_FN_realloc: case PP_FN_memalign: case PP_FN_mmap:
    case PP_FN_munmap: case PP_FN_mremap: case PP_FN_read: case PP_FN_write: case PP_FN_pread:
    case PP_FN_pwrite: case PP_FN_readv: case PP_FN_writev: case PP_FN_preadv: case PP_FN_pwritev:
    case PP_FN_sendfile: case PP_FN_copy_file_range: case PP_FN_fread: case PP_FN_fwrite:
    case PP_FN_fgets: case PP_FN_fputs: case PP_FN_fgetc: case PP_FN_fputc: case PP_FN_fprintf:
    case PP_FN_getline: case PP_FN_send: case PP_FN_recv: case PP_FN_sendmsg: case PP_FN_recvmsg:
    case PP_FN_splice:
        return 1;
    }
    return 0;
}

static void scan(proc *p)
{
    pp_rec r;
    pp_trace *t = p->t;
    for (size_t i = 0; i < pp_trace_nchunks(t); i++) note_tid(p, pp_trace_chunk(t, i)->tid);
    pp_trace_select(t, NULL, 0);
    pp_trace_rewind(t);
    while (pp_trace_next(t, &r)) {
        if (r.kind < PP_K_MAX) p->kinds[r.kind]++;
        if (!r.info) continue;
        if (r.info->types[0] == 't' && r.nfields && r.v[0].u > p->last_ts) p->last_ts = r.v[0].u;
        switch (r.kind) {
        case PP_K_SAMPLE: on_sample(p, &r.SAMPLE); break;
        case PP_K_FILE_STATS: on_file_stats(p, &r.FILE_STATS); break;
        case PP_K_THREAD_START: note_tid(p, r.THREAD_START.tid.u); break;
        case PP_K_THREAD_END: note_tid(p, r.THREAD_END.tid.u); break;
        case PP_K_THREAD_NAME:
            note_tid(p, r.THREAD_NAME.tid.u);
            xgrow((void **)&p->name_tid, &p->cap_names, p->nnames + 1, sizeof *p->name_tid);
            p->name_id = xrealloc(p->name_id, p->cap_names * sizeof *p->name_id);
            p->name_tid[p->nnames] = r.THREAD_NAME.tid.u;
            p->name_id[p->nnames++] = r.THREAD_NAME.name.u;
            break;
        case PP_K_IO_EVENT: p->tot.io_events++; break;
        case PP_K_ALLOC_SAMPLE: p->tot.alloc_samples++; break;
        case PP_K_MARK: p->tot.marks++; break;
        case PP_K_MMAP: p->tot.file_mmaps++; p->tot.file_mmap_bytes += r.MMAP.len.u; break;
        case PP_K_CALL: {
            uint64_t fn = r.CALL.fn.u < PP_FN_COUNT ? r.CALL.fn.u : PP_FN_COUNT;
            p->tot.fn[fn].calls++;
            if (r.CALL.b.s > 0 && moves_bytes(fn)) p->tot.fn[fn].bytes += (uint64_t)r.CALL.b.s;
            p->tot.fn[fn].ns += r.CALL.dur.u;
            p->tot.ncalls++;
            break;
        }
        case PP_K_FORK: {
            size_t cap = p->cap_forks;
            xgrow((void **)&p->fork_pid, &p->cap_forks, p->nforks + 1, sizeof *p->fork_pid);
            if (cap != p->cap_forks) p->fork_kind = xrealloc(p->fork_kind, p->cap_forks * sizeof *p->fork_kind);
            p->fork_pid[p->nforks] = (uint64_t)r.FORK.child_pid.s;
            p->fork_kind[p->nforks++] = r.FORK.kind.u;
            break;
        }
        case PP_K_EXEC:
            xgrow((void **)&p->exec_path, &p->cap_execs, p->nexecs + 1, sizeof *p->exec_path);
            p->exec_path[p->nexecs++] = xstrndup((const char *)r.EXEC.path.b.p, r.EXEC.path.b.len);
            break;
        }
    }
}

/* ---- printing helpers ---- */

static pp_buf out;

static void put_quoted_val(pp_val v) { buf_quote_text(&out, v.b.p, v.b.len); }

static void put_list(pp_val v, const char *sep)
{
    pp_iter it = pp_iter_of(v);
    const uint8_t *s;
    size_t n;
    for (int first = 1; pp_iter_str(&it, &s, &n); first = 0) {
        if (!first) buf_puts(&out, sep);
        buf_quote_text(&out, s, n);
    }
}

static void put_iso(uint64_t real_ns)
{
    time_t sec = (time_t)(real_ns / 1000000000u);
    struct tm tm;
    char tmp[64];
    if (!gmtime_r(&sec, &tm) || !strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm)) { buf_puts(&out, "?"); return; }
    buf_printf(&out, "%s.%09" PRIu64 "Z", tmp, real_ns % 1000000000u);
}

static void put_seconds(uint64_t ns)
{
    buf_printf(&out, "%" PRIu64 ".%06" PRIu64 " s", ns / 1000000000u, (ns % 1000000000u) / 1000u);
}

static void put_flags(uint64_t flags, const char *const *names, const uint64_t *bits, size_t n)
{
    if (!flags) { buf_puts(&out, "none"); return; }
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (!(flags & bits[i])) continue;
        buf_printf(&out, "%s%s", first ? "" : ",", names[i]);
        flags &= ~bits[i];
        first = 0;
    }
    if (flags) buf_printf(&out, "%s0x%" PRIx64, first ? "" : ",", flags);
}

static const char *const foot_names[] = { "disk_full", "dropped", "fd_lost", "exec", "strings_full",
                                          "threads_full", "fds_full", "events_capped", "signal_taken",
                                          "signal_shared" };
static const uint64_t foot_bits[] = { PP_FOOT_DISK_FULL, PP_FOOT_DROPPED, PP_FOOT_FD_LOST, PP_FOOT_EXEC,
                                      PP_FOOT_STRINGS_FULL, PP_FOOT_THREADS_FULL, PP_FOOT_FDS_FULL,
                                      PP_FOOT_EVENTS_CAPPED, PP_FOOT_SIGNAL_TAKEN, PP_FOOT_SIGNAL_SHARED };
static const char *const hdr_names[] = { "events_all", "counter_fallback", "forked", "sampler_off" };
static const uint64_t hdr_bits[] = { PP_HDR_EVENTS_ALL, PP_HDR_COUNTER_FALLBACK, PP_HDR_FORKED, PP_HDR_SAMPLER_OFF };

static int by_bytes(const void *a, const void *b)
{
    const file_tot *x = *(file_tot *const *)a, *y = *(file_tot *const *)b;
    uint64_t bx = x->read_bytes + x->write_bytes, by = y->read_bytes + y->write_bytes;
    if (bx != by) return bx > by ? -1 : 1;
    uint64_t cx = x->reads + x->writes + x->opens, cy = y->reads + y->writes + y->opens;
    if (cx != cy) return cx > cy ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* The figures shared by a process and the totals, each line "  <what>: k=v ...". */
static void print_totals(const totals *t, const pp_val *events, const char *indent)
{
    buf_printf(&out, "%scpu: ns=%" PRIu64 " samples=%" PRIu64 " intervals=%" PRIu64 " skipped_samples=%" PRIu64 "\n",
               indent, t->cpu_ns, t->cpu_samples, t->samples, t->skipped_samples);
    if (events && events->b.count) {
        pp_iter it = pp_iter_of(*events);
        const uint8_t *s;
        size_t n;
        buf_printf(&out, "%scounters:", indent);
        for (int i = 0; i < MAX_EVENTS && pp_iter_str(&it, &s, &n); i++) {
            buf_putc(&out, ' ');
            buf_escape_text(&out, s, n);
            buf_printf(&out, "=%" PRIu64, t->counters[i]);
        }
        buf_putc(&out, '\n');
    }
    int any = 0;
    for (int c = 0; c < PP_FD_CLASSES; c++)
        for (int o = 0; o < PP_OPS; o++) {
            const uint64_t *x = t->io[c * PP_OPS + o];
            if (!x[0] && !x[1] && !x[2]) continue;
            buf_printf(&out, "%sio %s %s: bytes=%" PRIu64 " calls=%" PRIu64 " ns=%" PRIu64 "\n",
                       indent, class_names[c], op_names[o], x[1], x[2], x[0]);
            any = 1;
        }
    if (!any) buf_printf(&out, "%sio: none\n", indent);
    for (int w = 0; w < PP_WAIT_KINDS; w++)
        if (t->wait[w][0] || t->wait[w][1])
            buf_printf(&out, "%swait %s: calls=%" PRIu64 " ns=%" PRIu64 "\n", indent, wait_names[w], t->wait[w][1], t->wait[w][0]);
    buf_printf(&out, "%salloc: calls=%" PRIu64 " frees=%" PRIu64 " bytes=%" PRIu64 " freed_bytes=%" PRIu64
               " timed=%" PRIu64 " timed_ns=%" PRIu64 " samples=%" PRIu64 "\n", indent, t->alloc_calls, t->free_calls,
               t->alloc_bytes, t->free_bytes, t->alloc_timed, t->alloc_timed_ns, t->alloc_samples);
    buf_printf(&out, "%smmap: calls=%" PRIu64 " bytes=%" PRIu64 " munmap_calls=%" PRIu64 " munmap_bytes=%" PRIu64
               " file_maps=%" PRIu64 " file_map_bytes=%" PRIu64 "\n", indent, t->mmap_calls, t->mmap_bytes,
               t->munmap_calls, t->munmap_bytes, t->file_mmaps, t->file_mmap_bytes);
    if (t->rss_max) buf_printf(&out, "%srss: max_bytes=%" PRIu64 "\n", indent, t->rss_max);
    buf_printf(&out, "%sevents: io=%" PRIu64 " marks=%" PRIu64 "\n", indent, t->io_events, t->marks);
    if (t->files.n) {
        const file_tot **v = xmalloc(t->files.n * sizeof *v);
        for (size_t i = 0; i < t->files.n; i++) v[i] = &t->files.v[i];
        qsort(v, t->files.n, sizeof *v, by_bytes);
        size_t show = t->files.n < 10 ? t->files.n : 10;
        buf_printf(&out, "%sfiles: %zu (top %zu by bytes)\n", indent, t->files.n, show);
        for (size_t i = 0; i < show; i++) {
            const file_tot *f = v[i];
            buf_printf(&out, "%s  file ", indent);
            buf_quote_text(&out, f->path, strlen(f->path));
            buf_printf(&out, " opens=%" PRIu64 " read_bytes=%" PRIu64 " write_bytes=%" PRIu64 " reads=%" PRIu64
                       " writes=%" PRIu64 " read_ns=%" PRIu64 " write_ns=%" PRIu64 " meta=%" PRIu64 " syncs=%" PRIu64
                       " seeks=%" PRIu64 " mmaps=%" PRIu64 " errors=%" PRIu64 "\n", f->opens, f->read_bytes,
                       f->write_bytes, f->reads, f->writes, f->read_ns, f->write_ns, f->meta, f->syncs, f->seeks,
                       f->mmaps, f->errors);
        }
        free(v);
    }
    if (t->ncalls) {
        buf_printf(&out, "%scalls: %" PRIu64 " (every call recorded)\n", indent, t->ncalls);
        for (int f = 0; f <= PP_FN_COUNT; f++) {
            if (!t->fn[f].calls) continue;
            buf_printf(&out, "%s  call %s: calls=%" PRIu64, indent, f < PP_FN_COUNT ? pp_fn_name((uint64_t)f) : "unknown",
                       t->fn[f].calls);
            if (moves_bytes((uint64_t)f)) buf_printf(&out, " bytes=%" PRIu64, t->fn[f].bytes);
            buf_printf(&out, " ns=%" PRIu64 "\n", t->fn[f].ns);
        }
    }
}

static void put_exe(const proc *p)
{
    if (!p->h) buf_puts(&out, "(no header)");
    else buf_escape_text(&out, p->h->exe.b.p, p->h->exe.b.len);
}

static void print_proc(const proc *p)
{
    const pp_trace_stats *st = pp_trace_stats_of(p->t);
    const struct pp_r_HEADER *h = p->h;
    const struct pp_r_FOOTER *f = pp_trace_footer(p->t);
    buf_printf(&out, "process %" PRIu64 " ", p->pid);
    put_exe(p);
    buf_putc(&out, '\n');
    buf_puts(&out, "  trace file: ");
    buf_escape_text(&out, pp_trace_path(p->t), strlen(pp_trace_path(p->t)));
    buf_printf(&out, " (%" PRIu64 " bytes)\n", st->file_bytes);
    if (h) {
        buf_printf(&out, "  pid: %" PRIu64 " ppid: %" PRIu64 " run: %016" PRIx64 " exec_gen: %" PRIu64, h->pid.u,
                   h->ppid.u, h->run_id.u, h->exec_gen.u);
        if (h->parent_run_pid.u) buf_printf(&out, " parent_pid: %" PRIu64, h->parent_run_pid.u);
        if (h->rank.s >= 0) buf_printf(&out, " rank: %" PRId64, h->rank.s);
        buf_puts(&out, "\n  host: ");
        put_quoted_val(h->host);
        buf_puts(&out, " cwd: ");
        put_quoted_val(h->cwd);
        buf_puts(&out, "\n  argv: ");
        put_list(h->argv, " ");
        buf_puts(&out, "\n  start: ");
        put_iso(h->start_real_ns.u);
        buf_printf(&out, " (monotonic_ns=%" PRIu64 ")\n", h->start_mono_ns.u);
        uint64_t end = f ? f->ts.u : p->last_ts;
        uint64_t dur = end > h->start_mono_ns.u ? end - h->start_mono_ns.u : 0;
        buf_puts(&out, "  duration: ");
        put_seconds(dur);
        buf_printf(&out, " (ns=%" PRIu64 "%s)\n", dur, f ? "" : ", up to the last record: no footer");
        buf_printf(&out, "  settings: interval_ns=%" PRIu64 " flags=", h->interval_ns.u);
        put_flags(h->flags.u, hdr_names, hdr_bits, sizeof hdr_bits / sizeof hdr_bits[0]);
        if (h->settings.b.count) { buf_puts(&out, " "); put_list(h->settings, " "); }
        buf_puts(&out, "\n  counters: backend=");
        buf_escape_text(&out, h->backend.b.p, h->backend.b.len);
        buf_puts(&out, " events=");
        if (h->events.b.count) put_list(h->events, ","); else buf_puts(&out, "none");
        if (h->counters_note.b.len) { buf_puts(&out, " note="); put_quoted_val(h->counters_note); }
        buf_putc(&out, '\n');
    } else {
        buf_puts(&out, "  header: missing (the trace was cut before it, or its chunk is damaged)\n");
    }
    buf_printf(&out, "  threads: %zu", p->tids.n);
    if (f) buf_printf(&out, " (footer: %" PRIu64 " traced, %" PRIu64 " lost)", f->threads.u, f->lost_threads.u);
    for (size_t i = 0; i < p->nnames && i < 16; i++) {
        size_t n;
        const char *s = pp_trace_string(p->t, p->name_id[i], &n);
        buf_printf(&out, "%s%" PRIu64 "=", i ? " " : " names: ", p->name_tid[i]);
        if (s) buf_quote_text(&out, s, n); else buf_puts(&out, "?");
    }
    buf_putc(&out, '\n');
    /* completeness in words, then in numbers */
    buf_puts(&out, "  status: ");
    buf_puts(&out, st->complete ? "complete" : "incomplete (no footer: the process was killed or is running)");
    if (st->truncated) buf_puts(&out, ", truncated (read up to the last complete chunk)");
    if (st->bad_chunks) buf_printf(&out, ", %" PRIu64 " damaged chunk%s skipped", st->bad_chunks, st->bad_chunks == 1 ? "" : "s");
    if (f && f->dropped_records.u) buf_printf(&out, ", %" PRIu64 " records dropped by the recorder", f->dropped_records.u);
    if (f && (f->flags.u & PP_FOOT_DISK_FULL)) buf_puts(&out, ", tracing stopped early (write failed)");
    buf_putc(&out, '\n');
    buf_printf(&out, "  trace: chunks=%" PRIu64 " records=%" PRIu64 " bad_chunks=%" PRIu64 " bad_crc=%" PRIu64
               " malformed=%" PRIu64 " bad_bytes=%" PRIu64 " truncated=%s complete=%s unknown_records=%" PRIu64
               " undefined_strings=%" PRIu64 "\n", st->chunks, st->records, st->bad_chunks, st->bad_crc,
               st->malformed, st->bad_bytes, st->truncated ? "yes" : "no", st->complete ? "yes" : "no",
               st->unknown_records, st->undefined_strings);
    if (f) {
        buf_printf(&out, "  footer: dropped_records=%" PRIu64 " dropped_chunks=%" PRIu64 " exit_status=%" PRId64
                   " cpu_ns=%" PRIu64 " max_rss_kb=%" PRIu64 " skipped_samples=%" PRIu64 " flags=",
                   f->dropped_records.u, f->dropped_chunks.u, f->exit_status.s, f->cpu_ns.u, f->max_rss_kb.u,
                   f->skipped_samples.u);
        put_flags(f->flags.u, foot_names, foot_bits, sizeof foot_bits / sizeof foot_bits[0]);
        buf_putc(&out, '\n');
    }
    buf_puts(&out, "  records:");
    for (unsigned k = 1; k < PP_K_MAX; k++)
        if (p->kinds[k]) buf_printf(&out, " %s=%" PRIu64, pp_kind(k)->name, p->kinds[k]);
    buf_putc(&out, '\n');
    print_totals(&p->tot, h ? &h->events : NULL, "  ");
    for (size_t i = 0; i < p->nforks; i++)
        buf_printf(&out, "  fork: child=%" PRId64 " kind=%s\n", (int64_t)p->fork_pid[i],
                   (const char *[]){ "fork", "vfork", "spawn", "clone", "?" }[p->fork_kind[i] < 4 ? p->fork_kind[i] : 4]);
    for (size_t i = 0; i < p->nexecs; i++) {
        buf_puts(&out, "  exec: ");
        buf_quote_text(&out, p->exec_path[i], strlen(p->exec_path[i]));
        buf_putc(&out, '\n');
    }
    buf_putc(&out, '\n');
}

/* ---- process tree ---- */

/* Same pid, later start, and this one's trace ended in exec (or recorded one): the next image. */
static void link_tree(proc *ps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!ps[i].h) continue;
        const struct pp_r_FOOTER *f = pp_trace_footer(ps[i].t);
        int execd = ps[i].nexecs || (f && (f->flags.u & PP_FOOT_EXEC));
        if (!execd) continue;
        size_t best = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i || !ps[j].h || ps[j].pid != ps[i].pid || ps[j].is_exec_successor) continue;
            /* strictly after i (ties by position), so the chain never loops */
            if (ps[j].h->start_mono_ns.u < ps[i].h->start_mono_ns.u ||
                (ps[j].h->start_mono_ns.u == ps[i].h->start_mono_ns.u && j < i)) continue;
            if (ps[j].h->exec_gen.u && ps[i].h->exec_gen.u + 1 != ps[j].h->exec_gen.u) continue;
            if (!best || ps[j].h->start_mono_ns.u < ps[best - 1].h->start_mono_ns.u) best = j + 1;
        }
        if (best) { ps[i].exec_next = best; ps[best - 1].is_exec_successor = 1; }
    }
    /* parent: the latest-starting process (first image of the pid chain) with pid == our ppid that
     * started before us */
    for (size_t i = 0; i < n; i++) {
        if (!ps[i].h || ps[i].is_exec_successor) continue;
        size_t best = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i || !ps[j].h || ps[j].pid != ps[i].ppid || ps[j].is_exec_successor) continue;
            if (ps[j].h->start_mono_ns.u > ps[i].h->start_mono_ns.u) continue;
            if (!best || ps[j].h->start_mono_ns.u > ps[best - 1].h->start_mono_ns.u) best = j + 1;
        }
        ps[i].parent = best;
    }
}

/* Is the child of a FORK record in image i traced?  (Its header names i's pid as parent.) */
static int forked_here(const proc *ps, size_t n, size_t i, uint64_t child)
{
    for (size_t j = 0; j < n; j++)
        if (ps[j].h && ps[j].pid == child && ps[j].ppid == ps[i].pid) return 1;
    return 0;
}

static void print_node(proc *ps, size_t n, size_t i, int depth)
{
    if (ps[i].printed || depth > 64) return;
    ps[i].printed = 1;
    buf_printf(&out, "%*s%" PRIu64 " ", 2 + 2 * depth, "", ps[i].pid);
    put_exe(&ps[i]);
    size_t last = i;
    for (size_t k = ps[i].exec_next, guard = 0; k && guard < n; k = ps[k - 1].exec_next, guard++) {
        buf_puts(&out, " -> exec ");
        put_exe(&ps[k - 1]);
        ps[k - 1].printed = 1;
        last = k - 1;
    }
    (void)last;
    buf_putc(&out, '\n');
    /* children of any image of this pid chain */
    for (size_t k = i + 1, guard = 0; k && guard <= n; k = ps[k - 1].exec_next, guard++) {
        size_t img = k - 1;
        for (size_t j = 0; j < n; j++)
            if (ps[j].parent == img + 1 && !ps[j].printed) print_node(ps, n, j, depth + 1);
        for (size_t f = 0; f < ps[img].nforks; f++)
            if (!forked_here(ps, n, img, ps[img].fork_pid[f]))
                buf_printf(&out, "%*s%" PRId64 " (forked, no trace)\n", 4 + 2 * depth, "", (int64_t)ps[img].fork_pid[f]);
    }
}

static void print_tree(proc *ps, size_t n)
{
    buf_puts(&out, "process tree:\n");
    for (size_t i = 0; i < n; i++)
        if (!ps[i].parent && !ps[i].is_exec_successor) print_node(ps, n, i, 0);
    for (size_t i = 0; i < n; i++)      /* whatever a cycle (pid reuse) left out */
        if (!ps[i].printed) print_node(ps, n, i, 0);
    buf_putc(&out, '\n');
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (c == 'h') { fputs(usage_text, stdout); return 0; }
        fputs(usage_text, stderr);
        return 2;
    }
    if (optind != argc - 1) { fputs(usage_text, stderr); return 2; }
    char err[1024];
    pp_set *s = pp_set_open(argv[optind], err, sizeof err);
    if (!s) die("%s", err);
    proc *ps = xcalloc(s->n, sizeof *ps);
    totals all;
    memset(&all, 0, sizeof all);
    uint64_t threads = 0, complete = 0, truncated = 0, bad = 0, dropped = 0;
    const pp_val *events = NULL;
    int mixed_events = 0;
    for (size_t i = 0; i < s->n; i++) {
        proc *p = &ps[i];
        p->t = s->traces[i];
        p->h = pp_trace_header(p->t);
        p->pid = p->h ? p->h->pid.u : 0;
        p->ppid = p->h ? p->h->ppid.u : 0;
        scan(p);
        add_totals(&all, &p->tot);
        threads += p->tids.n;
        const pp_trace_stats *st = pp_trace_stats_of(p->t);
        complete += st->complete != 0;
        truncated += st->truncated != 0;
        bad += st->bad_chunks;
        if (pp_trace_footer(p->t)) dropped += pp_trace_footer(p->t)->dropped_records.u;
        if (p->h) {
            if (!events) events = &p->h->events;
            else if (events->b.len != p->h->events.b.len || memcmp(events->b.p, p->h->events.b.p, events->b.len))
                mixed_events = 1;
        }
    }
    buf_init(&out);
    link_tree(ps, s->n);
    for (size_t i = 0; i < s->n; i++) {
        print_proc(&ps[i]);
        fwrite(out.data, 1, out.len, stdout);
        buf_clear(&out);
    }
    print_tree(ps, s->n);
    buf_printf(&out, "totals: processes=%zu threads=%" PRIu64 " complete=%" PRIu64 " truncated=%" PRIu64
               " bad_chunks=%" PRIu64 " dropped_records=%" PRIu64 " unreadable_files=%zu\n",
               s->n, threads, complete, truncated, bad, dropped, s->failed);
    /* counters are summed by position: only meaningful when every process has the same events */
    print_totals(&all, mixed_events ? NULL : events, "  ");
    fwrite(out.data, 1, out.len, stdout);
    buf_free(&out);
    for (size_t i = 0; i < s->n; i++) {
        files_free(&ps[i].tot.files);
        u64map_free(&ps[i].tids);
        free(ps[i].name_tid); free(ps[i].name_id); free(ps[i].fork_pid); free(ps[i].fork_kind);
        for (size_t k = 0; k < ps[i].nexecs; k++) free(ps[i].exec_path[k]);
        free(ps[i].exec_path);
    }
    files_free(&all.files);
    free(ps);
    pp_set_close(s);
    return fflush(stdout) ? 1 : 0;
}
