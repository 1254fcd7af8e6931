/* Bottleneck classification of every phase with the random forest of models/ (forest.h): the
 * model is the one trained on the trace's counter set, its features are checked against what the
 * trace holds, and a phase's row is its segment mean of the window features.  Also finds the
 * models directory and loads the speedup regressor that speedup.c uses. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analysis.h"
#include "util.h"

#ifndef PP_MODELDIR
#define PP_MODELDIR "/usr/local/share/phaseprof/models"
#endif

/* Below this the chosen class holds less than half of the trees' probability mass: the phase is
 * as much something else as it is that class (two costs at once, or a kind never trained on), so
 * naming one class would overstate what the model knows; "mixed" names the top two instead. */
#define PP_MIN_CONFIDENCE 0.5

static int is_dir(const char *p) { struct stat s; return p && *p && !stat(p, &s) && S_ISDIR(s.st_mode); }
static int is_file(const char *p) { struct stat s; return !stat(p, &s) && S_ISREG(s.st_mode); }

void pp_models_dir(const char *opt, char *out, size_t cap)
{
    out[0] = 0;
    if (opt) { snprintf(out, cap, "%s", opt); return; }          /* what the user asked for, even if wrong */
    const char *env = getenv("PHASEPROF_MODELS");
    if (env && *env) { snprintf(out, cap, "%s", env); return; }
    char exe[PATH_MAX];
    if (!exe_dir(exe, sizeof exe)) {
        char cand[PATH_MAX + 16];
        snprintf(cand, sizeof cand, "%s/../models", exe);
        if (is_dir(cand)) { snprintf(out, cap, "%s", cand); return; }
    }
    if (is_dir(PP_MODELDIR)) snprintf(out, cap, "%s", PP_MODELDIR);
}

/* Names of the window features the analysed processes all have (absent ones are NAN in every
 * window: a model needing them cannot be used).  idx[k] is the pp_wfeat of names[k]. */
static size_t available(const pp_analysis *a, const char **names, int *idx)
{
    size_t n = 0;
    for (int k = 0; k < PP_WF_N; k++) {
        int all = 1, any = 0;
        for (size_t i = 0; i < a->nproc; i++)
            if (a->procs[i].w) { any = 1; all &= a->procs[i].w->present[k] != 0; }
        if (any && all) { idx[n] = k; names[n++] = pp_wfeat_name[k]; }
    }
    return n;
}

static void note(pp_analysis *a, const char *fmt, const char *x, const char *y)
{
    size_t len = strlen(a->model_note);
    if (len && len < sizeof a->model_note - 2) { a->model_note[len++] = ';'; a->model_note[len++] = ' '; a->model_note[len] = 0; }
    snprintf(a->model_note + len, sizeof a->model_note - len, fmt, x, y);
}

/* The classifier file for the trace's counter set: classifier_<backend>.json, else the sw one
 * (its features are software figures every backend records; the map check below decides). */
static pp_forest *load_classifier(pp_analysis *a, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/classifier_%s.json", dir, a->backend[0] ? a->backend : "sw");
    if (!is_file(path)) snprintf(path, sizeof path, "%s/classifier_sw.json", dir);
    if (!is_file(path)) { note(a, "no classifier for counter set %s in %s", a->backend, dir); return NULL; }
    char err[512];
    pp_forest *f = pp_forest_load(path, err, sizeof err);
    if (!f) { note(a, "classifier unusable: %s%s", err, ""); return NULL; }
    if (f->task != PP_TASK_CLASSIFY || !f->nclass) { note(a, "%s: not a classifier%s", path, ""); pp_forest_free(f); return NULL; }
    if (f->nclass > sizeof a->class_share / sizeof a->class_share[0]) {
        note(a, "%s: more classes than a report shows%s", path, ""); pp_forest_free(f); return NULL;
    }
    if (f->counter_set && strcmp(f->counter_set, a->backend))
        note(a, "classifier trained on counter set %s, trace has %s", f->counter_set, a->backend);
    snprintf(a->classifier_path, sizeof a->classifier_path, "%s", path);
    return f;
}

static pp_forest *load_regressor(pp_analysis *a, const char *dir, const char **names, size_t navail)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/speedup_regressor.json", dir);
    if (!is_file(path)) { note(a, "no speedup regressor in %s: upper bounds only%s", dir, ""); return NULL; }
    pp_forest *f = pp_forest_load(path, err, sizeof err);
    if (!f) { note(a, "speedup regressor unusable (upper bounds only): %s%s", err, ""); return NULL; }
    if (f->task != PP_TASK_REGRESS) { note(a, "%s: not a regression model (upper bounds only)%s", path, ""); pp_forest_free(f); return NULL; }
    uint32_t *map = xcalloc(f->nfeat ? f->nfeat : 1, sizeof *map);
    int bad = pp_forest_map_features(f, path, names, navail, map, err, sizeof err);
    free(map);
    if (bad) { note(a, "speedup regressor unusable (upper bounds only): %s%s", err, ""); pp_forest_free(f); return NULL; }
    snprintf(a->regressor_path, sizeof a->regressor_path, "%s", path);
    return f;
}

void pp_classify(pp_analysis *a, const char *models_dir)
{
    char dir[960];
    pp_models_dir(models_dir, dir, sizeof dir);
    if (!dir[0]) { note(a, "no models directory (give --models DIR or PHASEPROF_MODELS)%s%s", "", ""); return; }
    if (!is_dir(dir)) { note(a, "models directory %s does not exist%s", dir, ""); return; }
    const char *names[PP_WF_N + 1];
    int idx[PP_WF_N + 1];
    size_t navail = available(a, names, idx);
    /* The regressor sees the same features plus the cost it is asked about (speedup.c). */
    names[navail] = "cost_kind";
    idx[navail] = -1;
    a->regressor = load_regressor(a, dir, names, navail + 1);

    pp_forest *f = load_classifier(a, dir);
    if (!f) return;
    uint32_t *map = xcalloc(f->nfeat ? f->nfeat : 1, sizeof *map);
    char err[512];
    if (pp_forest_map_features(f, a->classifier_path, names, navail, map, err, sizeof err)) {
        note(a, "classifier unusable: %s%s", err, "");
        a->classifier_path[0] = 0;
        free(map);
        pp_forest_free(f);
        return;
    }
    a->classifier = f;
    a->nclass = f->nclass;
    a->class_names = (const char *const *)f->classes;
    double *x = xcalloc(f->nfeat ? f->nfeat : 1, sizeof *x);
    int cpu = pp_forest_class_index(f, "cpu");
    int has_memory = pp_forest_class_index(f, "memory") >= 0;
    for (size_t c = 0; c < f->nclass; c++) a->class_share[c] = 0;
    a->mixed_share = 0;
    uint32_t root_pid = (uint32_t)pp_trace_header(a->set->traces[a->root])->pid.u;
    for (size_t i = 0; i < a->nphase; i++) {
        pp_aphase *p = &a->phases[i];
        for (uint32_t j = 0; j < f->nfeat; j++) x[j] = p->seg->mean[idx[map[j]]];
        p->proba = xcalloc(f->nclass, sizeof *p->proba);
        int best = pp_forest_classify(f, x, p->proba);
        int second = -1;
        for (uint32_t c = 0; c < f->nclass; c++)
            if ((int)c != best && (second < 0 || p->proba[c] > p->proba[second])) second = (int)c;
        p->confidence = p->proba[best];
        if (p->confidence < PP_MIN_CONFIDENCE && second >= 0) {
            p->cls = "mixed";
            p->mixed_of[0] = f->classes[best];
            p->mixed_of[1] = f->classes[second];
        } else {
            p->cls = f->classes[best];
        }
        /* A phase whose threads are off the CPU and in none of the calls we time (timeout in
         * sigsuspend, a read on a descriptor we do not see), blocked rather than preempted
         * (voluntary context switches), is waiting, whatever the model says: it was never
         * trained on such rows and its busy classes do not apply.  Measured, not guessed: the
         * confidence is then the share of the live thread time spent off CPU. */
        const double *m = p->seg->mean;
        double thr = m[PP_WF_threads];
        /* off-CPU time not in waits, less what preemption explains (a loaded machine) */
        double off = fmax(0, m[PP_WF_offcpu_frac] - (isfinite(m[PP_WF_wait_frac]) ? m[PP_WF_wait_frac] : 0));
        off *= 1 - pp_preempt_share(m, off);
        int wait = pp_forest_class_index(f, "wait");
        if (wait >= 0 && thr > 0 && off >= 0.5 * thr && !(m[PP_WF_cpu_util] >= 0.1 * thr) &&
            !(m[PP_WF_io_frac] >= 0.1 * thr) && !(m[PP_WF_alloc_frac] >= 0.1 * thr) && !(m[PP_WF_wait_frac] >= 0.1 * thr)) {
            best = wait;
            p->cls = f->classes[wait];
            p->mixed_of[0] = p->mixed_of[1] = NULL;
            p->class_note = "off_cpu_untraced";
            p->confidence = fmin(1, off / thr);
        }
        /* Software counters cannot tell a core busy computing from one stalled on memory: say
         * so rather than guess (a hardware model has a "memory" class of its own). */
        if (best == cpu && p->cls == f->classes[best] && !has_memory && !a->hw_counters) p->class_note = "compute_or_memory";
        uint32_t ti[PP_TOP_FEATURES];
        double tv[PP_TOP_FEATURES];
        p->ntop = pp_forest_top_features(f, x, (uint32_t)best, PP_TOP_FEATURES, ti, tv);
        for (size_t k = 0; k < p->ntop; k++) { p->top_feat[k] = f->features[ti[k]]; p->top_contrib[k] = tv[k]; }
        if (a->procs[p->proc].pid == root_pid && isfinite(p->share)) {
            if (p->mixed_of[0]) a->mixed_share += p->share;
            else a->class_share[best] += p->share;
        }
    }
    size_t root_phases = 0;
    for (size_t i = 0; i < a->nphase; i++) root_phases += a->procs[a->phases[i].proc].pid == root_pid;
    if (!root_phases) {              /* --pid of another process: the run's shares are unknown here */
        for (size_t c = 0; c < f->nclass; c++) a->class_share[c] = NAN;
        a->mixed_share = NAN;
    }
    free(x);
    free(map);
}
