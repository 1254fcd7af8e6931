/* The analysis (analysis.h) as a phaseprof-report/1 JSON document (cJSON): what `phaseprof report
 * --json` writes and tests/workloads/score.py reads.  Keys follow DESIGN.md and are documented,
 * every one, in docs/report.md; a figure the analysis does not have is null, never invented. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "phases_dump.h"
#include "util.h"

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* Untrusted bytes (paths, symbol text from the traced program) as valid UTF-8. */
static cJSON *text(const char *s)
{
    if (!s) return cJSON_CreateNull();
    pp_buf b; buf_init(&b);
    buf_escape_json(&b, s, strlen(s));
    /* buf_escape_json writes a JSON string body; cJSON escapes again, so decode it through cJSON */
    pp_buf q; buf_init(&q);
    buf_putc(&q, '"'); buf_put(&q, b.data, b.len); buf_putc(&q, '"');
    cJSON *v = cJSON_Parse(q.data);
    buf_free(&b); buf_free(&q);
    return v ? v : cJSON_CreateString("");
}

static cJSON *speedup_obj(const pp_speedup *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "upper_bound", num_or_null(s->upper_bound));
    cJSON_AddItemToObject(o, "predicted", num_or_null(s->predicted));
    cJSON_AddItemToObject(o, "low", num_or_null(s->low));
    cJSON_AddItemToObject(o, "high", num_or_null(s->high));
    return o;
}

static void add_phase(const pp_analysis *a, const pp_aphase *p, cJSON *phases)
{
    const pp_aproc *pr = &a->procs[p->proc];
    cJSON *ph = cJSON_CreateObject();
    cJSON_AddNumberToObject(ph, "id", p->id);
    cJSON_AddNumberToObject(ph, "type", p->type);
    cJSON_AddNumberToObject(ph, "pid", pr->pid);
    cJSON_AddNumberToObject(ph, "start_ns", (double)p->start_ns);
    cJSON_AddNumberToObject(ph, "end_ns", (double)p->end_ns);
    cJSON_AddItemToObject(ph, "share", num_or_null(p->share));
    cJSON_AddItemToObject(ph, "class", str_or_null(p->cls));
    cJSON_AddItemToObject(ph, "class_note", str_or_null(p->class_note));
    cJSON_AddItemToObject(ph, "confidence", num_or_null(p->confidence));
    if (p->proba && a->classifier) {
        cJSON *pb = cJSON_AddObjectToObject(ph, "probabilities");
        for (size_t c = 0; c < a->nclass; c++) cJSON_AddItemToObject(pb, a->class_names[c], num_or_null(p->proba[c]));
    } else cJSON_AddNullToObject(ph, "probabilities");
    if (p->mixed_of[0]) {
        cJSON *mx = cJSON_AddArrayToObject(ph, "mixed_of");
        cJSON_AddItemToArray(mx, cJSON_CreateString(p->mixed_of[0]));
        cJSON_AddItemToArray(mx, cJSON_CreateString(p->mixed_of[1]));
    } else cJSON_AddNullToObject(ph, "mixed_of");
    cJSON *tf = cJSON_AddArrayToObject(ph, "top_features");
    for (size_t k = 0; k < p->ntop; k++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "feature", p->top_feat[k]);
        cJSON_AddItemToObject(f, "contribution", num_or_null(p->top_contrib[k]));
        cJSON_AddItemToArray(tf, f);
    }
    cJSON *m = cJSON_AddObjectToObject(ph, "metrics");
    for (int k = 0; k < PP_WF_N; k++) cJSON_AddItemToObject(m, pp_wfeat_name[k], num_or_null(p->seg->mean[k]));
    cJSON *ts = cJSON_AddArrayToObject(ph, "top_stacks");
    for (size_t h = 0; h < p->nhot; h++) {
        cJSON *st = cJSON_CreateObject();
        cJSON *fr = cJSON_AddArrayToObject(st, "frames");
        cJSON_AddItemToArray(fr, text(p->hot[h]));
        cJSON_AddNumberToObject(st, "cpu_share", p->hot_share[h]);
        cJSON_AddItemToArray(ts, st);
    }
    int any_cost = 0;
    for (int c = 0; c < PP_COSTS; c++) any_cost |= isfinite(p->cost_s[c]);
    if (any_cost) {
        cJSON *costs = cJSON_AddObjectToObject(ph, "costs");
        for (int c = 0; c < PP_COSTS; c++) {
            cJSON *o = cJSON_AddObjectToObject(costs, pp_cost_name[c]);
            cJSON_AddItemToObject(o, "threads_busy", num_or_null(p->cost_frac[c]));
            cJSON_AddItemToObject(o, "thread_s", num_or_null(p->cost_s[c]));
            cJSON_AddItemToObject(o, "wall_s", num_or_null(p->cost_wall_s[c]));
            cJSON_AddItemToObject(o, "fix_wall_s", num_or_null(p->fix_wall_s[c]));
            cJSON_AddItemToObject(o, "fix_factor", num_or_null(p->fix_factor[c]));
            cJSON_AddItemToObject(o, "if_2x", num_or_null(p->if_2x[c]));
        }
        cJSON *sp = cJSON_AddObjectToObject(ph, "speedup");
        for (int c = 0; c < PP_COSTS; c++) cJSON_AddItemToObject(sp, pp_cost_name[c], speedup_obj(&p->speedup[c]));
    } else {
        cJSON_AddNullToObject(ph, "costs");
        cJSON_AddNullToObject(ph, "speedup");
    }
    cJSON *rec = cJSON_AddArrayToObject(ph, "recommendations");
    for (size_t v = 0; v < p->nadvice; v++) {
        const pp_advice *x = &p->advice[v];
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "cost", pp_cost_name[x->cost]);
        cJSON_AddItemToObject(r, "facts", text(x->facts));
        cJSON_AddItemToObject(r, "finding", text(x->finding));
        cJSON_AddItemToObject(r, "advice", text(x->advice));
        cJSON_AddItemToObject(r, "where", text(x->where));
        cJSON_AddItemToObject(r, "gain", num_or_null(x->gain));
        cJSON_AddItemToObject(r, "speedup", speedup_obj(&p->speedup[x->cost]));
        cJSON_AddItemToArray(rec, r);
    }
    cJSON_AddItemToArray(phases, ph);
}

int phases_dump_analysis(const pp_analysis *a, FILE *out)
{
    const struct pp_r_HEADER *rh = pp_trace_header(a->set->traces[a->root]);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "phaseprof-report/1");
    cJSON *clock = cJSON_AddObjectToObject(doc, "clock");
    cJSON_AddNumberToObject(clock, "monotonic_start_ns", (double)a->t0);
    char iso[64] = "";
    time_t sec = (time_t)(rh->start_real_ns.u / 1000000000ull);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t k = strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(iso + k, sizeof iso - k, ".%03uZ", (unsigned)(rh->start_real_ns.u % 1000000000ull / 1000000));
    cJSON_AddStringToObject(clock, "wall_start", iso);
    cJSON *procs = cJSON_AddArrayToObject(doc, "processes");
    for (size_t i = 0; i < a->nproc; i++) {
        const pp_aproc *p = &a->procs[i];
        const struct pp_r_HEADER *h = pp_trace_header(p->t);
        cJSON *pr = cJSON_CreateObject();
        cJSON_AddNumberToObject(pr, "pid", p->pid);
        cJSON_AddNumberToObject(pr, "ppid", p->ppid);
        if (p->exe) cJSON_AddItemToObject(pr, "exe", text(p->exe));
        else {
            char *e = xstrndup((const char *)h->exe.b.p, h->exe.b.len);
            cJSON_AddItemToObject(pr, "exe", text(e));
            free(e);
        }
        if (h->rank.s >= 0) cJSON_AddNumberToObject(pr, "rank", (double)h->rank.s);
        else cJSON_AddNullToObject(pr, "rank");
        cJSON_AddBoolToObject(pr, "root", p->t == a->set->traces[a->root]);
        cJSON_AddNumberToObject(pr, "start_ns", (double)p->start_ns);
        cJSON_AddNumberToObject(pr, "duration_ns", p->w ? (double)(p->w->end_ns - p->w->start_ns) : (double)(p->end_ns - p->start_ns));
        cJSON_AddNumberToObject(pr, "threads", (double)p->threads);
        cJSON_AddBoolToObject(pr, "complete", p->complete);
        cJSON_AddBoolToObject(pr, "truncated", p->truncated);
        cJSON_AddNumberToObject(pr, "bad_chunks", (double)p->bad_chunks);
        cJSON_AddNumberToObject(pr, "dropped_records", (double)p->dropped_records);
        cJSON_AddItemToObject(pr, "cpu_ns", num_or_null(p->cpu_ns));
        cJSON_AddItemToObject(pr, "recorder_self_ns", num_or_null(p->self_ns));
        cJSON_AddItemToObject(pr, "recorder_hooked_calls", num_or_null(p->hooked_calls));
        if (p->w) {
            cJSON_AddNumberToObject(pr, "windows", (double)p->w->n);
            cJSON_AddNumberToObject(pr, "window_ns", (double)p->w->width_ns);
            cJSON_AddNumberToObject(pr, "phase_types", p->ph->ntypes);
        } else {
            cJSON_AddNullToObject(pr, "windows");
            cJSON_AddNullToObject(pr, "window_ns");
            cJSON_AddNullToObject(pr, "phase_types");
        }
        cJSON_AddItemToArray(procs, pr);
    }
    cJSON *phases = cJSON_AddArrayToObject(doc, "phases");
    for (size_t i = 0; i < a->nphase; i++) add_phase(a, &a->phases[i], phases);

    cJSON *sum = cJSON_AddObjectToObject(doc, "summary");
    cJSON_AddNumberToObject(sum, "root_pid", (double)rh->pid.u);
    cJSON_AddNumberToObject(sum, "wall_ns", a->wall_ns);
    cJSON_AddNumberToObject(sum, "wall_net_ns", a->wall_net_ns);
    if (a->classifier && isfinite(a->mixed_share)) {
        cJSON *cs = cJSON_AddObjectToObject(sum, "class_time_share");
        for (size_t c = 0; c < a->nclass; c++) cJSON_AddItemToObject(cs, a->class_names[c], num_or_null(a->class_share[c]));
        cJSON_AddItemToObject(cs, "mixed", num_or_null(a->mixed_share));
    } else cJSON_AddNullToObject(sum, "class_time_share");
    int any = 0;
    for (int c = 0; c < PP_COSTS; c++) any |= isfinite(a->summary[c].upper_bound) || isinf(a->summary[c].upper_bound);
    if (any) {
        cJSON *ps = cJSON_AddObjectToObject(sum, "predicted_speedup");
        for (int c = 0; c < PP_COSTS; c++) cJSON_AddItemToObject(ps, pp_cost_name[c], speedup_obj(&a->summary[c]));
    } else cJSON_AddNullToObject(sum, "predicted_speedup");
    cJSON *rc = cJSON_AddObjectToObject(sum, "recorder");
    cJSON_AddItemToObject(rc, "self_ns", num_or_null(a->self_ns));
    cJSON_AddItemToObject(rc, "cpu_ns", num_or_null(a->cpu_ns));
    cJSON_AddItemToObject(rc, "overhead_of_cpu", num_or_null(a->cpu_ns > 0 ? a->self_ns / a->cpu_ns : NAN));
    cJSON *md = cJSON_AddObjectToObject(sum, "models");
    cJSON_AddItemToObject(md, "classifier", a->classifier_path[0] ? text(a->classifier_path) : cJSON_CreateNull());
    cJSON_AddItemToObject(md, "regressor", a->regressor_path[0] ? text(a->regressor_path) : cJSON_CreateNull());
    cJSON_AddItemToObject(md, "note", a->model_note[0] ? text(a->model_note) : cJSON_CreateNull());
    cJSON *cm = cJSON_AddObjectToObject(sum, "completeness");
    cJSON_AddNumberToObject(cm, "traces", (double)a->set->n);
    cJSON_AddNumberToObject(cm, "without_footer", a->incomplete);
    cJSON_AddNumberToObject(cm, "truncated", a->truncated);
    cJSON_AddNumberToObject(cm, "damaged", a->damaged);
    cJSON_AddNumberToObject(cm, "dropped_records", (double)a->dropped);
    char *txt = cJSON_Print(doc);
    fputs(txt, out);
    fputc('\n', out);
    free(txt);
    cJSON_Delete(doc);
    return 0;
}

int phases_dump_json(pp_set *set, FILE *out) { return phases_dump_json_opts(set, NULL, out); }

/* The detection tools' path (tests/workloads/detect.c): phases only, no models or advice. */
int phases_dump_json_opts(pp_set *set, const pp_phases_opts *o, FILE *out)
{
    pp_analysis_opts ao = { 0 };
    ao.phases = o;
    ao.phases_only = 1;
    char err[512];
    pp_analysis *a = pp_analyze(set, &ao, err, sizeof err);
    if (!a) return -1;
    int rc = phases_dump_analysis(a, out);
    pp_analysis_free(a);
    return rc;
}
