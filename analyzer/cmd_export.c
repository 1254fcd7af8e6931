/* `phaseprof export --format chrome|folded|csv [-o FILE] [--weight cpu|alloc|io|wait] [--pid P]
 * [--from S --to S] PATH`: turns a run's traces into files other tools open — Chrome Trace Event
 * JSON for the Perfetto UI, folded stacks for flamegraph.pl and speedscope, CSV of per-window
 * features.  This file parses the command line, opens the traces, finds the root process (the
 * earliest one whose parent is not in the set: its start is time zero, and --from/--to count from
 * it), marks what --pid selects, and hands the rest to the format's writer (export.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "export.h"

int cmd_export(int argc, char **argv);

static const char usage_text[] =
"usage: phaseprof export --format chrome|folded|csv [-o FILE] [--weight cpu|alloc|io|wait]\n"
"                        [--pid P] [--from S] [--to S] PATH\n"
"\n"
"Converts a trace file or a directory of them (one run) for other tools; writes to stdout\n"
"unless -o is given.  Streams: memory does not grow with the size of the traces.\n"
"\n"
"  -f, --format F   chrome  Chrome Trace Event JSON: open in ui.perfetto.dev (\"Open trace\n"
"                           file\") or chrome://tracing.  Processes, threads, slow I/O calls\n"
"                           and waits as slices, marks, fork/exec, counter tracks, phases\n"
"                   folded  folded stacks (\"root;...;leaf weight\") for flamegraph.pl and\n"
"                           speedscope, symbolized, the process name as the root frame\n"
"                   csv     one row per window and process with every feature\n"
"  -o, --output FILE  write there instead of stdout\n"
"  -w, --weight W   folded only: cpu (CPU samples, the default), alloc (sampled bytes\n"
"                   allocated), io (ns in slow I/O calls), wait (ns blocked)\n"
"  -p, --pid P      only process P (every image of it); may be repeated\n"
"      --from S     only what happens from S seconds after the root process started\n"
"      --to S       ... up to S seconds after it\n"
"  -h, --help       this text\n"
"\n"
"Times in every format are relative to the start of the run's root process.\n"
"See docs/exports.md.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("phaseprof export: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    fputs(usage_text, stderr);
    return 2;
}

static int parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < -1e9 || v > 1e9) return -1;
    *out = v;
    return 0;
}

static int parse_pid(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v == 0 || v > 0xffffffffu) return -1;
    *out = v;
    return 0;
}

long ex_find_child(const pp_export *ex, uint64_t pid, uint64_t ppid)
{
    for (size_t i = 0; i < ex->n; i++) {
        const ex_proc *p = &ex->procs[i];
        if (p->pid == pid && p->ppid == ppid && p->first_image) return p->selected ? (long)i : -1;
    }
    return -1;
}

void ex_flush(pp_export *ex, pp_buf *b)
{
    if (b->len) fwrite(b->data, 1, b->len, ex->out);
    buf_clear(b);
}

static int by_start(const void *a, const void *b)
{
    const ex_proc *x = a, *y = b;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
    return 0;
}

/* Has process i a parent in the set: a process whose pid is its ppid, or an earlier image of
 * its own pid (it was exec'd)? */
static int has_parent(const pp_export *ex, size_t i)
{
    const ex_proc *p = &ex->procs[i];
    for (size_t j = 0; j < ex->n; j++) {
        if (j == i) continue;
        const ex_proc *q = &ex->procs[j];
        if (q->pid == p->ppid) return 1;
        if (q->pid == p->pid && q->start_ns < p->start_ns) return 1;
    }
    return 0;
}

int cmd_export(int argc, char **argv)
{
    enum { O_FROM = 256, O_TO };
    static const struct option opts[] = {
        { "format", required_argument, 0, 'f' }, { "output", required_argument, 0, 'o' },
        { "weight", required_argument, 0, 'w' }, { "pid", required_argument, 0, 'p' },
        { "from", required_argument, 0, O_FROM }, { "to", required_argument, 0, O_TO },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    const char *format = NULL, *output = NULL, *weight = NULL;
    uint64_t *pids = NULL;
    size_t npids = 0, cap_pids = 0;
    double from = 0, to = 0;
    int has_from = 0, has_to = 0, c;
    optind = 1;
    opterr = 0;            /* our own message, then the usage */
    while ((c = getopt_long(argc, argv, "f:o:w:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage_text, stdout); free(pids); return 0;
        case 'f': format = optarg; break;
        case 'o': output = optarg; break;
        case 'w': weight = optarg; break;
        case 'p': {
            uint64_t pid;
            if (parse_pid(optarg, &pid)) { free(pids); return usage_error("--pid wants a process id, not '%s'", optarg); }
            xgrow((void **)&pids, &cap_pids, npids + 1, sizeof *pids);
            pids[npids++] = pid;
            break;
        }
        case O_FROM:
            if (parse_seconds(optarg, &from)) { free(pids); return usage_error("--from wants seconds, not '%s'", optarg); }
            has_from = 1;
            break;
        case O_TO:
            if (parse_seconds(optarg, &to)) { free(pids); return usage_error("--to wants seconds, not '%s'", optarg); }
            has_to = 1;
            break;
        default:
            free(pids);
            if (optopt && optopt < 256 && strchr("fowp", optopt)) return usage_error("-%s needs a value", (char[]){ (char)optopt, 0 });
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int (*writer)(pp_export *) = NULL;
    if (!format) { free(pids); return usage_error("%s", "--format chrome|folded|csv is required"); }
    if (!strcmp(format, "chrome") || !strcmp(format, "perfetto")) writer = export_chrome;
    else if (!strcmp(format, "folded")) writer = export_folded;
    else if (!strcmp(format, "csv")) writer = export_csv;
    else { free(pids); return usage_error("unknown format '%s' (chrome, folded or csv)", format); }
    int w = EX_W_CPU;
    if (weight) {
        if (writer != export_folded) { free(pids); return usage_error("%s", "--weight applies to --format folded only"); }
        if (!strcmp(weight, "cpu")) w = EX_W_CPU;
        else if (!strcmp(weight, "alloc")) w = EX_W_ALLOC;
        else if (!strcmp(weight, "io")) w = EX_W_IO;
        else if (!strcmp(weight, "wait")) w = EX_W_WAIT;
        else { free(pids); return usage_error("unknown weight '%s' (cpu, alloc, io or wait)", weight); }
    }
    if (has_from && has_to && from > to) { free(pids); return usage_error("%s", "--from is after --to"); }
    if (optind != argc - 1) {
        free(pids);
        return usage_error("%s", optind == argc ? "PATH is missing" : "one PATH only");
    }

    const char *path = argv[optind];
    char err[1024];
    pp_set *set = pp_set_open(path, err, sizeof err);
    if (!set) { fprintf(stderr, "phaseprof: export: %s\n", err); free(pids); return 1; }

    pp_export ex = { .set = set, .weight = w };
    ex.procs = xcalloc(set->n, sizeof *ex.procs);
    for (size_t i = 0; i < set->n; i++) {
        pp_trace *t = set->traces[i];
        const struct pp_r_HEADER *h = pp_trace_header(t);
        if (!h) {
            /* without a header there is no pid and no start: nothing to place it by */
            fprintf(stderr, "phaseprof: export: %s: no header record (cut before it, or its chunk is damaged): left out\n",
                    pp_trace_path(t));
            continue;
        }
        ex_proc *p = &ex.procs[ex.n++];
        p->t = t;
        p->h = h;
        p->pid = h->pid.u;
        p->ppid = h->ppid.u;
        p->start_ns = h->start_mono_ns.u;
        const struct pp_r_FOOTER *f = pp_trace_footer(t);
        const pp_trace_stats *st = pp_trace_stats_of(t);
        p->end_ns = f && f->ts.u ? f->ts.u : st->last_ns;
        if (p->end_ns < p->start_ns) p->end_ns = p->start_ns;
        const char *exe = (const char *)h->exe.b.p;
        size_t len = h->exe.b.len;
        const char *slash = exe ? memrchr(exe, '/', len) : NULL;
        if (slash) { len -= (size_t)(slash + 1 - exe); exe = slash + 1; }
        if (!exe || !len) { exe = "?"; len = 1; }
        p->name = xstrndup(exe, len);     /* xstrndup stops at a NUL byte: fine for a name */
        p->name_len = strlen(p->name);
        p->selected = !npids;
        for (size_t k = 0; k < npids; k++) if (pids[k] == p->pid) p->selected = 1;
    }
    int rc = 0;
    if (!ex.n) {
        fprintf(stderr, "phaseprof: export: %s: no trace with a header: nothing to export\n", path);
        rc = 1;
        goto done;
    }
    qsort(ex.procs, ex.n, sizeof *ex.procs, by_start);
    for (size_t i = 0; i < ex.n; i++) {
        ex.procs[i].first_image = 1;
        for (size_t j = 0; j < i; j++)
            if (ex.procs[j].pid == ex.procs[i].pid) { ex.procs[i].first_image = 0; break; }
    }
    /* the root: earliest start without a parent in the set (a pid cycle leaves the earliest) */
    ex.root = 0;
    for (size_t i = 0; i < ex.n; i++) if (!has_parent(&ex, i)) { ex.root = i; break; }
    ex.root_ns = ex.procs[ex.root].start_ns;
    for (size_t k = 0; k < npids; k++) {
        int found = 0;
        for (size_t i = 0; i < ex.n; i++) found |= ex.procs[i].pid == pids[k];
        if (!found) {
            fprintf(stderr, "phaseprof: export: %s: no process with pid %" PRIu64 "\n", path, pids[k]);
            rc = 1;
            goto done;
        }
    }
    if (has_from) {
        ex.has_from = 1;
        double a = (double)ex.root_ns + from * 1e9;
        ex.from_ns = a <= 0 ? 0 : (uint64_t)a;
    }
    if (has_to) {
        ex.has_to = 1;
        double a = (double)ex.root_ns + to * 1e9;
        ex.to_ns = a <= 0 ? 0 : (uint64_t)a;
    }

    if (output && strcmp(output, "-")) {
        ex.out = fopen(output, "w");
        if (!ex.out) {
            fprintf(stderr, "phaseprof: export: %s: %s\n", output, strerror(errno));
            rc = 1;
            goto done;
        }
        ex.out_name = output;
    } else {
        ex.out = stdout;
        ex.out_name = "(stdout)";
    }
    static char obuf[1 << 16];
    setvbuf(ex.out, obuf, _IOFBF, sizeof obuf);
    rc = writer(&ex);
    if (fflush(ex.out) || ferror(ex.out)) {
        fprintf(stderr, "phaseprof: export: writing %s: %s\n", ex.out_name, strerror(errno ? errno : EIO));
        rc = 1;
    }
    if (ex.out != stdout && fclose(ex.out) && !rc) {
        fprintf(stderr, "phaseprof: export: closing %s: %s\n", ex.out_name, strerror(errno));
        rc = 1;
    }
done:
    for (size_t i = 0; i < ex.n; i++) free((char *)ex.procs[i].name);
    free(ex.procs);
    free(pids);
    pp_set_close(set);
    return rc;
}
