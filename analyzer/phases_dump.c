/* Phases of every process in a trace set as a phaseprof-report/1 JSON document (cJSON): what
 * `phaseprof report --json` builds on, and what tests/workloads/score.py reads.  Keys follow
 * DESIGN.md; the ones later stages fill (class, probabilities, speedup, ...) are null here. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "phases.h"
#include "util.h"

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

int phases_dump_json(pp_set *set, FILE *out) { return phases_dump_json_opts(set, NULL, out); }

int phases_dump_json_opts(pp_set *set, const pp_phases_opts *o, FILE *out)
{
    size_t root = pp_set_root(set);
    const struct pp_r_HEADER *rh = set->n ? pp_trace_header(set->traces[root]) : NULL;
    uint64_t t0 = rh ? rh->start_mono_ns.u : 0;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "phaseprof-report/1");
    cJSON *clock = cJSON_AddObjectToObject(doc, "clock");
    cJSON_AddNumberToObject(clock, "monotonic_start_ns", (double)t0);
    char iso[64] = "";
    if (rh) {
        time_t sec = (time_t)(rh->start_real_ns.u / 1000000000ull);
        struct tm tm;
        gmtime_r(&sec, &tm);
        size_t k = strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(iso + k, sizeof iso - k, ".%03uZ", (unsigned)(rh->start_real_ns.u % 1000000000ull / 1000000));
    }
    cJSON_AddStringToObject(clock, "wall_start", iso);
    cJSON *procs = cJSON_AddArrayToObject(doc, "processes");
    cJSON *phases = cJSON_AddArrayToObject(doc, "phases");
    int done = 0, id = 0;
    for (size_t i = 0; i < set->n; i++) {
        pp_trace *t = set->traces[i];
        char err[512];
        pp_windows *w = pp_windows_build(t, NULL, err, sizeof err);
        const struct pp_r_HEADER *h = pp_trace_header(t);
        if (!h) continue;
        cJSON *pr = cJSON_CreateObject();
        cJSON_AddNumberToObject(pr, "pid", (double)h->pid.u);
        cJSON_AddItemToObject(pr, "exe", cJSON_CreateString(w ? w->exe : ""));
        if (h->rank.s >= 0) cJSON_AddNumberToObject(pr, "rank", (double)h->rank.s);
        else cJSON_AddNullToObject(pr, "rank");
        cJSON_AddNumberToObject(pr, "duration_ns", w ? (double)(w->end_ns - w->start_ns) : 0);
        cJSON_AddItemToArray(procs, pr);
        if (!w) continue;
        pp_phases *p = pp_phases_detect(w, o);
        cJSON_AddNumberToObject(pr, "windows", (double)w->n);
        cJSON_AddNumberToObject(pr, "window_ns", (double)w->width_ns);
        cJSON_AddNumberToObject(pr, "phase_types", p->ntypes);
        for (size_t s = 0; s < p->nseg; s++) {
            const pp_segment *g = &p->seg[s];
            cJSON *ph = cJSON_CreateObject();
            cJSON_AddNumberToObject(ph, "id", id++);
            cJSON_AddNumberToObject(ph, "type", g->type);
            cJSON_AddNumberToObject(ph, "pid", (double)w->pid);
            cJSON_AddNumberToObject(ph, "start_ns", (double)((int64_t)g->start_ns - (int64_t)t0));
            cJSON_AddNumberToObject(ph, "end_ns", (double)((int64_t)g->end_ns - (int64_t)t0));
            cJSON_AddNullToObject(ph, "class");
            cJSON_AddNullToObject(ph, "class_note");
            cJSON_AddNullToObject(ph, "confidence");
            cJSON_AddNullToObject(ph, "probabilities");
            cJSON *m = cJSON_AddObjectToObject(ph, "metrics");
            for (int k = 0; k < PP_WF_N; k++)
                cJSON_AddItemToObject(m, pp_wfeat_name[k], num_or_null(g->mean[k]));
            cJSON_AddArrayToObject(ph, "top_stacks");
            cJSON_AddNullToObject(ph, "speedup");
            cJSON_AddArrayToObject(ph, "recommendations");
            cJSON_AddItemToArray(phases, ph);
        }
        pp_phases_free(p);
        pp_windows_free(w);
        done++;
    }
    cJSON *sum = cJSON_AddObjectToObject(doc, "summary");
    cJSON_AddNullToObject(sum, "class_time_share");
    cJSON_AddNullToObject(sum, "predicted_speedup");
    char *txt = cJSON_Print(doc);
    fputs(txt, out);
    fputc('\n', out);
    free(txt);
    cJSON_Delete(doc);
    return done ? 0 : -1;
}
