/* `phaseprof report PATH --html FILE`: one self-contained page (inline CSS, script and SVG; a
 * Content-Security-Policy that allows no network and only the page's own script) that a person
 * who has never seen phaseprof can read top to bottom: what ran and how complete the record is,
 * the verdict, the timeline, the phases, what fixing each cost would buy, the recommendations,
 * the process tree, then each phase in detail (html_phase.c).
 *
 * Everything from a trace is untrusted text: it goes through h_esc (markup, attributes) or h_json
 * (script data), and the script only ever sets textContent.  The page is also well-formed XML
 * (self-closed void elements, the script in a CDATA section, no named entities, script data
 * without '<' or '&') so a strict parser can check its structure.  Size is bounded whatever the run's length: the timeline is
 * downsampled (html_timeline.c), at most MAX_TL_PROCS processes are drawn, MAX_PHASE_ROWS phases
 * listed, MAX_DETAILS detailed, MAX_TREE processes in the tree, MAX_RECS recommendations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "html_common.h"
#include "report_html.h"

#define MAX_TL_PROCS 6
#define MAX_PHASE_ROWS 300
#define MAX_DETAILS 16
#define MAX_TREE 400
#define MAX_RECS 20
#define RECS_OPEN 6               /* shown open; the rest behind a <details> */

static const struct pp_r_HEADER *root_header(const pp_analysis *a)
{
    return a->set && a->root < a->set->n ? pp_trace_header(a->set->traces[a->root]) : NULL;
}

/* exe of a process, escaped, from the windows or else the header's bytes */
static void put_exe(pp_buf *b, const pp_aproc *p, int basename)
{
    if (p->exe) { h_esc(b, basename ? h_base(p->exe) : p->exe); return; }
    const struct pp_r_HEADER *h = p->t ? pp_trace_header(p->t) : NULL;
    if (!h || !h->exe.b.len) { buf_puts(b, "?"); return; }
    const char *s = (const char *)h->exe.b.p;
    size_t n = h->exe.b.len, st = 0;
    if (basename) for (size_t i = 0; i < n; i++) if (s[i] == '/') st = i + 1;
    buf_escape_html(b, s + st, n - st);
}

/* A string list (argv, events), escaped, cut after max bytes of text (at a UTF-8 boundary) so a
 * command line of megabytes does not make the page that big. */
static void put_list(pp_buf *b, pp_val v, const char *sep, size_t max)
{
    pp_iter it = pp_iter_of(v);
    const uint8_t *s;
    size_t len, used = 0;
    int first = 1;
    while (pp_iter_str(&it, &s, &len)) {
        if (!first) buf_puts(b, sep);
        first = 0;
        if (used + len > max) {
            size_t cut = max > used ? max - used : 0;
            while (cut > 0 && (s[cut] & 0xc0) == 0x80) cut--;
            buf_escape_html(b, s, cut);
            buf_puts(b, " …");
            return;
        }
        buf_escape_html(b, s, len);
        used += len;
    }
}

static void fact(pp_buf *b, const char *label) { buf_printf(b, "<div><b>%s</b>", label); }

static void header(pp_buf *b, const pp_analysis *a)
{
    const struct pp_r_HEADER *h = root_header(a);
    buf_puts(b, "<h1>phaseprof report</h1>\n<code class=\"cmd\">");
    if (h) put_list(b, h->argv, " ", 4096); else buf_puts(b, "(no header)");
    buf_puts(b, "</code>\n<div class=\"facts\">");
    fact(b, "host");
    if (h) buf_escape_html(b, h->host.b.p, h->host.b.len);
    buf_puts(b, "</div>");
    fact(b, "started");
    if (h && h->start_real_ns.u) {
        time_t s = (time_t)(h->start_real_ns.u / 1000000000ull);
        struct tm tm;
        char tb[64];
        gmtime_r(&s, &tm);
        strftime(tb, sizeof tb, "%Y-%m-%d %H:%M:%S UTC", &tm);
        buf_puts(b, tb);
    } else buf_puts(b, "unknown");
    buf_puts(b, "</div>");
    fact(b, "wall time (root process)");
    h_dur(b, a->wall_ns);
    buf_puts(b, "</div>");
    fact(b, "processes, threads");
    size_t npid = 0;
    {
        pp_u64map seen = { 0 };
        for (size_t i = 0; i < a->nproc; i++) { int c; u64map_slot(&seen, a->procs[i].pid, &c); npid += (size_t)c; }
        u64map_free(&seen);
    }
    buf_printf(b, "%zu process%s", npid, npid == 1 ? "" : "es");
    if (npid != a->nproc) buf_printf(b, " <small>(%zu images: exec)</small>", a->nproc);
    buf_printf(b, ", %llu thread%s</div>", (unsigned long long)a->threads, a->threads == 1 ? "" : "s");
    fact(b, "phases found");
    buf_printf(b, "%zu</div>", a->nphase);
    fact(b, "counters");
    if (h) {
        buf_escape_html(b, h->backend.b.p, h->backend.b.len);
        buf_puts(b, ": <small>");
        if (h->events.b.count) put_list(b, h->events, ", ", 1024); else buf_puts(b, "none");
        buf_puts(b, "</small>");
    }
    buf_puts(b, "</div>");
    fact(b, "sampling");
    if (h) h_dur(b, (double)h->interval_ns.u);
    buf_puts(b, " interval</div>");
    fact(b, "recorder overhead");
    if (isfinite(a->self_ns)) {
        h_dur(b, a->self_ns);
        if (isfinite(a->cpu_ns) && a->cpu_ns > 0)
            buf_printf(b, " <small>(%.2f%% of the program's CPU time)</small>", 100 * a->self_ns / a->cpu_ns);
    } else buf_puts(b, "<small>not measured in these traces</small>");
    buf_puts(b, "</div>");
    fact(b, "completeness");
    int bad = a->incomplete || a->truncated || a->damaged || a->dropped || (a->set && a->set->failed);
    if (!bad) buf_puts(b, "<span class=\"ok\">complete</span> <small>every trace ended with its footer</small>");
    else buf_puts(b, "<span class=\"bad\">partial</span> <small>see below</small>");
    buf_puts(b, "</div></div>\n");
    if (bad) {
        buf_puts(b, "<div class=\"warn\" id=\"incomplete\"><b>The record is incomplete; the figures below are partial.</b><ul>");
        if (a->truncated) buf_printf(b, "<li>%u trace%s cut short (read up to the last complete chunk)</li>", a->truncated, a->truncated == 1 ? "" : "s");
        if (a->incomplete) buf_printf(b, "<li>%u trace%s without a footer (the process was killed, or is still running)</li>", a->incomplete, a->incomplete == 1 ? "" : "s");
        if (a->damaged) buf_printf(b, "<li>%u trace%s with damaged chunks (skipped)</li>", a->damaged, a->damaged == 1 ? "" : "s");
        if (a->dropped) buf_printf(b, "<li>%llu record%s dropped by the recorder</li>", (unsigned long long)a->dropped, a->dropped == 1 ? "" : "s");
        if (a->set && a->set->failed) buf_printf(b, "<li>%zu trace file%s could not be opened</li>", a->set->failed, a->set->failed == 1 ? "" : "s");
        for (size_t i = 0; i < a->nproc; i++) {
            const pp_aproc *p = &a->procs[i];
            if (p->complete && !p->truncated && !p->bad_chunks && !p->dropped_records) continue;
            buf_printf(b, "<li>pid %u ", p->pid);
            put_exe(b, p, 1);
            buf_puts(b, ":");
            if (p->truncated) buf_puts(b, " truncated;");
            if (!p->complete) buf_puts(b, " no footer;");
            if (p->bad_chunks) buf_printf(b, " %llu damaged chunk%s;", (unsigned long long)p->bad_chunks, p->bad_chunks == 1 ? "" : "s");
            if (p->dropped_records) buf_printf(b, " %llu records dropped;", (unsigned long long)p->dropped_records);
            buf_puts(b, "</li>");
        }
        buf_puts(b, "</ul></div>\n");
    }
    if (h && h->counters_note.b.len) {
        buf_puts(b, "<div class=\"note\">Counters: ");
        buf_escape_html(b, h->counters_note.b.p, h->counters_note.b.len);
        buf_puts(b, "</div>\n");
    }
    if (!a->hw_counters)
        buf_puts(b, "<div class=\"note\">No hardware counters on this machine: a compute-bound and a memory-bound phase "
                    "look alike here, so both show as <b>cpu</b> with the note “compute or memory”.</div>\n");
}

static void class_badge(pp_buf *b, const pp_aphase *ph)
{
    buf_printf(b, "<span class=\"badge\" style=\"background:%s\">", h_class_color(ph->cls, ph->type));
    if (ph->cls) h_esc(b, ph->cls); else buf_printf(b, "type %c", 'A' + ph->type % 26);
    buf_puts(b, "</span>");
    if (ph->cls && ph->class_note) buf_puts(b, " <small>compute or memory</small>");
    if (ph->cls && !strcmp(ph->cls, "mixed") && ph->mixed_of[0]) {
        buf_puts(b, " <small>");
        h_esc(b, ph->mixed_of[0]);
        buf_puts(b, " + ");
        h_esc(b, ph->mixed_of[1]);
        buf_puts(b, "</small>");
    }
}

/* The cost whose fix buys the most in this phase (predicted, else upper bound), -1 if none. */
static int best_cost(const pp_speedup *s, double *gain)
{
    int best = -1;
    double g = 1.0;
    for (int c = 0; c < PP_COSTS; c++) {
        double v = isfinite(s[c].predicted) ? s[c].predicted : s[c].upper_bound;
        if (isfinite(v) && v > g) { g = v; best = c; }
    }
    *gain = g;
    return best;
}

static void speedup_cells(pp_buf *b, const pp_speedup *s)
{
    buf_puts(b, "<td>");
    h_factor(b, s->upper_bound);
    buf_puts(b, "</td><td>");
    h_factor(b, s->predicted);
    buf_puts(b, "</td><td>");
    if (isfinite(s->low) && isfinite(s->high)) { h_factor(b, s->low); buf_puts(b, " – "); h_factor(b, s->high); }
    else buf_puts(b, "n/a");
    buf_puts(b, "</td>");
}

static void summary(pp_buf *b, const pp_analysis *a)
{
    buf_puts(b, "<h2 id=\"summary\">Summary</h2>\n<div class=\"verdict\">");
    /* the longest phase of the root process, and the best fix over the run */
    const pp_aphase *big = NULL;
    for (size_t i = 0; i < a->nphase; i++)
        if (a->phases[i].proc == a->root || a->nproc == 1)
            if (!big || a->phases[i].end_ns - a->phases[i].start_ns > big->end_ns - big->start_ns) big = &a->phases[i];
    if (!big && a->nphase) big = &a->phases[0];
    if (big) {
        buf_printf(b, "The run splits into <b>%zu phase%s</b>. The longest is <a href=\"#phase-%d\">phase #%d</a>, ",
                   a->nphase, a->nphase == 1 ? "" : "s", big->id, big->id);
        class_badge(b, big);
        if (isfinite(big->share)) buf_printf(b, ", %.0f%% of the run.", 100 * big->share); else buf_puts(b, ".");
    } else buf_puts(b, "No phase could be found: the traces hold no samples.");
    double g;
    int c = best_cost(a->summary, &g);
    if (c >= 0) {
        buf_printf(b, " Removing the <b>%s</b> cost would make the whole program up to <b>", pp_cost_name[c]);
        h_factor(b, g);
        buf_puts(b, "</b> faster.");
    }
    const pp_advice *top = NULL;
    const pp_aphase *top_ph = NULL;
    for (size_t i = 0; i < a->nphase; i++)
        for (size_t k = 0; k < a->phases[i].nadvice; k++) {
            const pp_advice *ad = &a->phases[i].advice[k];
            if (!top || (isfinite(ad->gain) && !(ad->gain <= top->gain))) { top = ad; top_ph = &a->phases[i]; }
        }
    if (top) {
        buf_printf(b, "<br/>First thing to try (<a href=\"#phase-%d\">phase #%d</a>, ", top_ph->id, top_ph->id);
        h_factor(b, top->gain);
        buf_puts(b, " for the whole program): <b>");
        h_esc(b, top->advice);
        buf_puts(b, "</b>");
        if (top->where) { buf_puts(b, " <small>at "); h_esc(b, top->where); buf_puts(b, "</small>"); }
    }
    buf_puts(b, "</div>\n");
    if (!a->classifier) {
        buf_puts(b, "<div class=\"note\"><b>Not classified:</b> ");
        h_esc(b, a->model_note[0] ? a->model_note : "no classifier model was found");
        buf_puts(b, ". Phases are shown by kind (A, B, …): phases of one kind behave alike.</div>\n");
    } else if (a->class_names) {
        buf_puts(b, "<h4>Time by class (root process)</h4><div class=\"sharebar\">");
        for (size_t k = 0; k < a->nclass && k < 8; k++) {
            double s = a->class_share[k];
            if (!isfinite(s) || s <= 0.001) continue;
            buf_printf(b, "<div style=\"width:%.2f%%;background:%s\" data-tip=\"", 100 * s, h_class_color(a->class_names[k], 0));
            h_esc(b, a->class_names[k]);
            buf_printf(b, ": %.1f%% of the run\">", 100 * s);
            h_esc(b, a->class_names[k]);
            buf_printf(b, " %.0f%%</div>", 100 * s);
        }
        if (isfinite(a->mixed_share) && a->mixed_share > 0.001)
            buf_printf(b, "<div style=\"width:%.2f%%;background:%s\" data-tip=\"mixed: %.1f%% of the run\">mixed %.0f%%</div>",
                       100 * a->mixed_share, h_class_color("mixed", 0), 100 * a->mixed_share, 100 * a->mixed_share);
        buf_puts(b, "</div>\n");
    }
}

static void timeline(pp_buf *b, const pp_analysis *a, unsigned char *drawn)
{
    buf_puts(b, "<h2 id=\"timeline\">Timeline</h2>\n<div class=\"legend\">"
                "<span><i style=\"background:#4e79a7\"></i>cores computing</span>"
                "<span><i style=\"background:#f28e2b\"></i>threads in I/O</span>"
                "<span><i style=\"background:#e15759\"></i>threads in the allocator</span>"
                "<span><i style=\"background:#59a14f\"></i>threads blocked</span>"
                "<span><i style=\"background:#7b4fa0\"></i>resident memory</span>"
                " · thread lanes: <span><i class=\"box s-cpu\" style=\"background:#4e79a7\"></i>computing</span>"
                "<span><i class=\"box\" style=\"background:#f28e2b\"></i>I/O</span>"
                "<span><i class=\"box\" style=\"background:#e15759\"></i>allocator</span>"
                "<span><i class=\"box\" style=\"background:#59a14f\"></i>blocked</span>"
                "<span><i class=\"box\" style=\"background:#bbb\"></i>off CPU</span>"
                "(darker: more of the thread's time)</div>\n"
                "<p class=\"muted\">Coloured bands are the phases (colour = class). Hover for values at any time.</p>\n");
    double axis = a->wall_ns;
    for (size_t i = 0; i < a->nproc; i++) if ((double)a->procs[i].end_ns > axis) axis = (double)a->procs[i].end_ns;
    if (!(axis > 0)) axis = 1;
    if (a->nproc > 1) {
        buf_puts(b, "<h3>All processes <small>(one row per trace, phases coloured by class; hover for details)</small></h3>\n");
        html_gantt(b, a, axis);
    }
    /* the root first, then the longest others */
    size_t *order = xmalloc((a->nproc ? a->nproc : 1) * sizeof *order), n = 0;
    for (size_t i = 0; i < a->nproc; i++) if (a->procs[i].w) order[n++] = i;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const pp_aproc *x = &a->procs[order[i]], *y = &a->procs[order[j]];
            int yfirst = (a->set && y->t == a->set->traces[a->root]) ||
                         (!(a->set && x->t == a->set->traces[a->root]) && y->end_ns - y->start_ns > x->end_ns - x->start_ns);
            if (yfirst) { size_t t = order[i]; order[i] = order[j]; order[j] = t; }
        }
    for (size_t k = 0; k < n && k < MAX_TL_PROCS; k++) {
        const pp_aproc *p = &a->procs[order[k]];
        buf_printf(b, "<h3>pid %u ", p->pid);
        put_exe(b, p, 0);
        buf_puts(b, " <small>");
        h_dur(b, (double)(p->end_ns - p->start_ns));
        buf_printf(b, ", %zu phase%s, %llu thread%s</small></h3>\n", p->nphases, p->nphases == 1 ? "" : "s",
                   (unsigned long long)p->threads, p->threads == 1 ? "" : "s");
        html_timeline(b, a, order[k], axis);
        drawn[order[k]] = 1;
    }
    if (n > MAX_TL_PROCS) buf_printf(b, "<p class=\"muted\">%zu shorter processes are not drawn; they are in the process tree below.</p>\n", n - MAX_TL_PROCS);
    free(order);
}

static void phase_table(pp_buf *b, const pp_analysis *a, const unsigned char *detail)
{
    int multi = a->nproc > 1;
    buf_printf(b, "<h2 id=\"phases\">Phases</h2>\n<table class=\"t\" id=\"phase-table\"><tr><th>#</th>%s<th>start</th><th>end</th><th>share</th>",
               multi ? "<th class=\"l\">process</th>" : "");
    buf_puts(b,
                "<th class=\"l\">class</th><th>confidence</th><th data-tip=\"cores busy computing (CPU time per wall second)\">cpu</th>"
                "<th data-tip=\"threads in I/O calls per wall second\">io</th><th data-tip=\"threads in the allocator per wall second\">alloc</th>"
                "<th data-tip=\"threads blocked in waits per wall second\">wait</th><th>read</th><th>written</th><th class=\"l\">hottest functions</th>"
                "<th class=\"l\">best fix</th><th data-tip=\"whole-program speedup if that cost were removed entirely (Amdahl)\">upper bound</th>"
                "<th data-tip=\"whole-program speedup with the fix factor the model predicts\">predicted</th><th data-tip=\"spread across the model's trees\">interval</th></tr>\n");
    for (size_t i = 0; i < a->nphase && i < MAX_PHASE_ROWS; i++) {
        const pp_aphase *ph = &a->phases[i];
        const pp_aproc *p = &a->procs[ph->proc];
        const double *m = ph->seg ? ph->seg->mean : NULL;
        buf_printf(b, "<tr class=\"ph\"><td>");
        if (detail[i]) buf_printf(b, "<a href=\"#phase-%d\">%d</a>", ph->id, ph->id); else buf_printf(b, "%d", ph->id);
        buf_puts(b, "</td>");
        if (multi) { buf_printf(b, "<td class=\"l\">%u ", p->pid); put_exe(b, p, 1); buf_puts(b, "</td>"); }
        buf_puts(b, "<td>");
        h_sec(b, (double)ph->start_ns);
        buf_puts(b, "</td><td>");
        h_sec(b, (double)ph->end_ns);
        if (isfinite(ph->share)) buf_printf(b, "</td><td>%.1f%%</td><td class=\"l\">", 100 * ph->share);
        else buf_puts(b, "</td><td>n/a</td><td class=\"l\">");
        class_badge(b, ph);
        buf_puts(b, "</td><td>");
        if (isfinite(ph->confidence)) buf_printf(b, "%.0f%%", 100 * ph->confidence); else buf_puts(b, "n/a");
        buf_puts(b, "</td>");
        static const int f[] = { PP_WF_cpu_util, PP_WF_io_frac, PP_WF_alloc_frac, PP_WF_wait_frac };
        for (int k = 0; k < 4; k++) {
            if (m && isfinite(m[f[k]])) buf_printf(b, "<td>%.2f</td>", m[f[k]]); else buf_puts(b, "<td>n/a</td>");
        }
        buf_puts(b, "<td>");
        h_rate(b, m ? m[PP_WF_read_bps] : NAN, "B/s");
        buf_puts(b, "</td><td>");
        h_rate(b, m ? m[PP_WF_write_bps] : NAN, "B/s");
        buf_puts(b, "</td><td class=\"path\">");
        for (size_t k = 0; k < ph->nhot; k++) {
            if (k) buf_puts(b, "<br/>");
            h_esc(b, ph->hot[k]);
            buf_printf(b, " <small>%.0f%%</small>", 100 * ph->hot_share[k]);
        }
        buf_puts(b, "</td><td class=\"l\">");
        double g;
        int c = best_cost(ph->speedup, &g);
        if (c >= 0) {
            buf_puts(b, pp_cost_name[c]);
            buf_puts(b, "</td>");
            speedup_cells(b, &ph->speedup[c]);
        } else buf_puts(b, "–</td><td>n/a</td><td>n/a</td><td>n/a</td>");
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</table>\n");
    if (a->nphase > MAX_PHASE_ROWS) buf_printf(b, "<p class=\"muted\">… %zu more phases (see --json for all of them).</p>\n", a->nphase - MAX_PHASE_ROWS);
    buf_puts(b, "<p class=\"muted\">Classes: <b>cpu</b> computing (without hardware counters it may also be memory-bound: "
                "“compute or memory”), <b>memory</b> waiting on memory (hardware counters only), <b>io</b> in reads, writes "
                "and other I/O calls, <b>alloc</b> in the allocator, <b>wait</b> blocked on locks, sleeps, polls, "
                "threads or children, <b>mixed</b> two of these close together (both named).<br/>");
    buf_puts(b, "cpu, io, alloc, wait: threads busy at each on average (1.00 = one thread all the time). "
                "Speedups are whole-program factors (old wall time / new wall time) if that cost were fixed in this phase.</p>\n");
}

static void speedups(pp_buf *b, const pp_analysis *a)
{
    buf_puts(b, "<h2 id=\"speedup\">What a fix would buy</h2>\n<table class=\"t\" id=\"speedup-table\" style=\"max-width:760px\"><tr><th class=\"l\">cost removed</th>"
                "<th>upper bound</th><th>predicted</th><th>interval</th></tr>\n");
    static const char *const what[PP_COSTS] = { "CPU (compute or memory)", "I/O", "allocation", "waiting (locks, sleeps, polls)" };
    for (int c = 0; c < PP_COSTS; c++) {
        buf_printf(b, "<tr><td class=\"l\">%s</td>", what[c]);
        speedup_cells(b, &a->summary[c]);
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</table>\n<p class=\"muted\">Upper bound: Amdahl with that cost gone entirely, over the root process's wall time. "
                "Predicted: with the fix factor the regression model expects, its interval the spread across the model's trees; "
                "n/a without a model.</p>\n");
}

static const pp_aphase *adv_phase_src;
static int by_gain(const void *x, const void *y)
{
    const size_t *p = x, *q = y;
    const pp_advice *a = &adv_phase_src[p[0]].advice[p[1]], *c = &adv_phase_src[q[0]].advice[q[1]];
    double ga = isfinite(a->gain) ? a->gain : 0, gc = isfinite(c->gain) ? c->gain : 0;
    return ga < gc ? 1 : ga > gc ? -1 : 0;
}

static void recommendations(pp_buf *b, const pp_analysis *a)
{
    buf_puts(b, "<h2 id=\"advice\">Recommendations</h2>\n");
    size_t n = 0;
    for (size_t i = 0; i < a->nphase; i++) n += a->phases[i].nadvice;
    if (!n) {
        buf_puts(b, "<p class=\"muted\" id=\"no-advice\">No recommendation: no phase shows a cost worth fixing");
        if (!a->classifier) buf_puts(b, " (without a classifier model, advice is limited)");
        buf_puts(b, ".</p>\n");
        return;
    }
    size_t (*idx)[2] = xmalloc(n * sizeof *idx), k = 0;
    for (size_t i = 0; i < a->nphase; i++)
        for (size_t j = 0; j < a->phases[i].nadvice; j++) { idx[k][0] = i; idx[k][1] = j; k++; }
    adv_phase_src = a->phases;
    qsort(idx, n, sizeof *idx, by_gain);
    buf_puts(b, "<div id=\"recs\">");
    for (k = 0; k < n && k < MAX_RECS; k++) {
        if (k == RECS_OPEN) buf_printf(b, "<details><summary>%zu more recommendations</summary>\n", (n < MAX_RECS ? n : MAX_RECS) - RECS_OPEN);
        const pp_aphase *ph = &a->phases[idx[k][0]];
        const pp_advice *ad = &ph->advice[idx[k][1]];
        const char *cost = ad->cost >= 0 && ad->cost < PP_COSTS ? pp_cost_name[ad->cost] : "?";
        buf_printf(b, "<div class=\"rec\" style=\"border-left-color:%s\"><span class=\"gain\" data-tip=\"whole-program speedup this fix buys\">",
                   h_class_color(ad->cost == PP_COST_CPU ? "cpu" : cost, 0));
        h_factor(b, ad->gain);
        buf_printf(b, "</span><p><span class=\"badge\" style=\"background:%s\">%s</span> <a href=\"#phase-%d\">phase #%d</a> <b>",
                   h_class_color(cost, 0), cost, ph->id, ph->id);
        h_esc(b, ad->finding);
        buf_puts(b, "</b></p><p><small>facts:</small> ");
        h_esc(b, ad->facts);
        buf_puts(b, "</p><p><small>advice:</small> ");
        h_esc(b, ad->advice);
        buf_puts(b, "</p>");
        if (ad->where) { buf_puts(b, "<p class=\"where\">at "); h_esc(b, ad->where); buf_puts(b, "</p>"); }
        buf_puts(b, "</div>\n");
    }
    if (k > RECS_OPEN) buf_puts(b, "</details>");
    buf_puts(b, "</div>");
    if (n > MAX_RECS) buf_printf(b, "<p class=\"muted\">… %zu more in the phase details and --json.</p>\n", n - MAX_RECS);
    free(idx);
}

/* ---- process tree: one node per pid, its images (exec) in order; parent = the node of the pid
 * named as ppid by the first image, if it started before ---- */
typedef struct pnode { uint32_t pid, ppid; size_t *img; size_t nimg; uint64_t start, end; size_t parent; } pnode;

static void tree_node(pp_buf *b, const pp_analysis *a, const pnode *nd, size_t nn, size_t i, int depth, size_t *shown)
{
    const pnode *x = &nd[i];
    double share = a->wall_ns > 0 ? (double)(x->end - x->start) / a->wall_ns : 0;
    if (share > 1) share = 1;
    (*shown)++;
    buf_printf(b, "<li><span class=\"pbar\" style=\"width:%.0fpx\"></span><b>pid %u</b> ", 120 * share, x->pid);
    /* the exec chain: all of it when short, else the first two and the last three */
    for (size_t k = 0; k < x->nimg; k++) {
        if (x->nimg > 6 && k == 2) { buf_printf(b, " → … (%zu more)", x->nimg - 5); k = x->nimg - 4; continue; }
        if (k) buf_puts(b, " → ");
        put_exe(b, &a->procs[x->img[k]], k > 0 || x->nimg > 1);
    }
    size_t nph = 0;
    int incomplete = 0, truncated = 0;
    for (size_t k = 0; k < x->nimg; k++) {
        const pp_aproc *p = &a->procs[x->img[k]];
        nph += p->nphases;
        incomplete |= !p->complete;
        truncated |= p->truncated;
    }
    buf_puts(b, " <small>");
    h_dur(b, (double)(x->end - x->start));
    buf_printf(b, ", %.1f%% of the run, %zu phase%s", 100 * share, nph, nph == 1 ? "" : "s");
    if (x->nimg > 1) buf_printf(b, ", %zu images (exec)", x->nimg);
    if (incomplete) buf_puts(b, ", <span class=\"bad\">no footer</span>");
    if (truncated) buf_puts(b, ", <span class=\"bad\">truncated</span>");
    buf_puts(b, "</small>");
    int open = 0;
    for (size_t j = 0; j < nn; j++) {
        if (nd[j].parent != i) continue;
        if (*shown >= MAX_TREE || depth > 60) break;
        if (!open) { buf_puts(b, "<ul>"); open = 1; }
        tree_node(b, a, nd, nn, j, depth + 1, shown);
    }
    if (open) buf_puts(b, "</ul>");
    buf_puts(b, "</li>\n");
}

static void process_tree(pp_buf *b, const pp_analysis *a)
{
    pnode *nd = xcalloc(a->nproc ? a->nproc : 1, sizeof *nd);
    size_t nn = 0;
    pp_u64map by_pid = { 0 };
    /* procs are in start order: the first image of a pid opens its node */
    for (size_t i = 0; i < a->nproc; i++) {
        const pp_aproc *p = &a->procs[i];
        int created;
        size_t *slot = u64map_slot(&by_pid, p->pid, &created);
        if (created) {
            *slot = nn;
            nd[nn] = (pnode){ p->pid, p->ppid, xmalloc(a->nproc * sizeof(size_t)), 0, p->start_ns, p->end_ns, (size_t)-1 };
            nn++;
        }
        pnode *x = &nd[*slot];
        x->img[x->nimg++] = i;
        if (p->start_ns < x->start) x->start = p->start_ns;
        if (p->end_ns > x->end) x->end = p->end_ns;
    }
    for (size_t i = 0; i < nn; i++) {
        size_t *slot = u64map_find(&by_pid, nd[i].ppid);
        if (slot && *slot != i && nd[*slot].start <= nd[i].start) nd[i].parent = *slot;
    }
    /* a cycle (pid reuse) must not hide processes: break it */
    for (size_t i = 0; i < nn; i++) {
        size_t j = nd[i].parent, steps = 0;
        while (j != (size_t)-1 && j != i && steps++ < nn) j = nd[j].parent;
        if (j == i) nd[i].parent = (size_t)-1;
    }
    buf_printf(b, "<h2 id=\"processes\">Processes</h2>\n<p class=\"muted\">%zu process%s (%zu trace%s: exec starts a new one); "
                  "bars: share of the root process's wall time.</p>\n<ul class=\"tree\">",
               nn, nn == 1 ? "" : "es", a->nproc, a->nproc == 1 ? "" : "s");
    size_t shown = 0;
    for (size_t i = 0; i < nn && shown < MAX_TREE; i++)
        if (nd[i].parent == (size_t)-1) tree_node(b, a, nd, nn, i, 0, &shown);
    buf_puts(b, "</ul>\n");
    if (shown < nn) buf_printf(b, "<p class=\"muted\">… %zu more processes (phaseprof info lists them all).</p>\n", nn - shown);
    for (size_t i = 0; i < nn; i++) free(nd[i].img);
    free(nd);
    u64map_free(&by_pid);
}

/* Script data: the phases of the processes drawn in detail (for hover details). */
static void page_data(pp_buf *b, const pp_analysis *a, const unsigned char *drawn)
{
    buf_puts(b, "<script type=\"application/json\" id=\"pp-data\">{\"phases\":[");
    int first = 1;
    for (size_t i = 0; i < a->nphase; i++) {
        const pp_aphase *ph = &a->phases[i];
        if (!drawn[ph->proc]) continue;
        buf_printf(b, "%s{\"id\":%d,\"pid\":%u,\"a\":%llu,\"b\":%llu,\"type\":%d,\"cls\":", first ? "" : ",", ph->id,
                   a->procs[ph->proc].pid, (unsigned long long)ph->start_ns, (unsigned long long)ph->end_ns, ph->type);
        first = 0;
        h_jsonz(b, ph->cls);
        buf_puts(b, ",\"conf\":");
        h_num(b, ph->confidence);
        buf_puts(b, "}");
    }
    buf_puts(b, "]}</script>\n");
}

/* A fresh nonce per page: only the page's own script runs, even if markup ever got in. */
static void make_nonce(char *out, size_t cap)
{
    uint64_t x = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&x, sizeof x, 1, f) != 1) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        x = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 32;
    }
    if (f) fclose(f);
    snprintf(out, cap, "%016llx", (unsigned long long)x);
}

int report_html(const pp_analysis *a, FILE *out)
{
    pp_buf b;
    buf_init(&b);
    const struct pp_r_HEADER *h = root_header(a);
    char nonce[24];
    make_nonce(nonce, sizeof nonce);
    buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
                 "script-src 'nonce-%s'; img-src data:\"/>\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
                 "<link rel=\"icon\" href=\"data:,\"/>\n<title>phaseprof — ", nonce);
    if (h) put_list(&b, h->argv, " ", 160);
    buf_puts(&b, "</title>\n<style>\n");
    buf_puts(&b, html_css);
    buf_puts(&b, "</style></head><body><main>\n");

    /* which phases get a detail section: all when few, else the longest */
    unsigned char *detail = xcalloc(a->nphase ? a->nphase : 1, 1);
    if (a->nphase <= MAX_DETAILS) memset(detail, 1, a->nphase);
    else {
        for (int k = 0; k < MAX_DETAILS; k++) {
            size_t best = a->nphase;
            for (size_t i = 0; i < a->nphase; i++)
                if (!detail[i] && (best == a->nphase || a->phases[i].share > a->phases[best].share)) best = i;
            if (best < a->nphase) detail[best] = 1;
        }
    }

    header(&b, a);
    summary(&b, a);
    unsigned char *drawn = xcalloc(a->nproc ? a->nproc : 1, 1);
    timeline(&b, a, drawn);
    phase_table(&b, a, detail);
    speedups(&b, a);
    recommendations(&b, a);
    process_tree(&b, a);
    buf_puts(&b, "<h2 id=\"details\">Phase details</h2>\n");
    if (a->nphase > MAX_DETAILS) buf_printf(&b, "<p class=\"muted\">The %d longest of %zu phases.</p>\n", MAX_DETAILS, a->nphase);
    html_phase_details(&b, a, detail);
    free(detail);

    buf_puts(&b, "<footer>Written by phaseprof from ");
    buf_printf(&b, "%zu trace file%s. Figures the traces cannot give show as n/a, never estimated.</footer>\n",
               a->set ? a->set->n : 0, a->set && a->set->n == 1 ? "" : "s");
    buf_puts(&b, "</main><div id=\"tip\"></div>\n");
    page_data(&b, a, drawn);
    free(drawn);
    buf_printf(&b, "<script nonce=\"%s\">//<![CDATA[\n", nonce);
    buf_puts(&b, html_js);
    buf_puts(&b, "//]]>\n</script>\n</body></html>\n");
    size_t n = fwrite(b.data, 1, b.len, out);
    int rc = n == b.len && !ferror(out) ? 0 : -1;
    buf_free(&b);
    return rc;
}
