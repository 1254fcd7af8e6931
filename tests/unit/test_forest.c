/* Unit tests for analyzer/forest.c: a separable three-class problem learnt to high held-out
 * accuracy (with imbalanced classes, so the balanced weights matter), the explanation summing to
 * the prediction and naming the informative features, a known function recovered by regression
 * with an interval that brackets it, byte-identical model files for one seed (and different ones
 * for another), a save/load round trip predicting bit for bit the same, and the loader rejecting
 * truncated, corrupt and hostile documents — every prefix of a model, wrong lengths, children out
 * of range or pointing back (cycles), shared nodes, NaN/inf, bad names — with an error naming
 * the file, and surviving random byte mutations.  Prints PASS/FAIL lines for tests/run.sh. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "forest.h"
#include "util.h"

#include "check.h"


#define P 6
static const char *fnames[P] = { "sig_a", "sig_b", "noise_1", "noise_2", "noise_3", "noise_4" };
static const char *cnames[3] = { "cpu", "io", "wait" };

/* Three classes by the signs of two informative features (a wedge each), four noise features.
 * Class 2 is rare (about a tenth of the rows). */
static void make_cls(size_t n, double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        double *r = x + i * P;
        int c = unif() < 0.1 ? 2 : unif() < 0.5 ? 0 : 1;
        double a = unif(), b = unif();
        if (c == 0) { r[0] = 0.1 + 0.8 * a; r[1] = 0.1 + 0.3 * b; }
        else if (c == 1) { r[0] = 0.1 + 0.3 * a; r[1] = 0.5 + 0.4 * b; }
        else { r[0] = 0.55 + 0.4 * a; r[1] = 0.55 + 0.4 * b; }
        for (int k = 2; k < P; k++) r[k] = gauss();
        y[i] = c;
    }
}

static double fn(const double *r) { return 3 * sin(r[0]) + r[1] * r[1]; }

static void make_reg(size_t n, double *x, double *y, double noise)
{
    for (size_t i = 0; i < n; i++) {
        double *r = x + i * P;
        r[0] = unif() * 6 - 3;
        r[1] = unif() * 4 - 2;
        for (int k = 2; k < P; k++) r[k] = gauss();
        y[i] = fn(r) + noise * gauss();
    }
}

static pp_forest *must_parse(const char *s, const char *name)
{
    char err[512];
    pp_forest *f = pp_forest_parse(s, strlen(s), name, err, sizeof err);
    if (!f) printf("    parse error: %s\n", err);
    return f;
}

/* A tiny valid model: one stump on feature a. */
static const char *TINY =
    "{\"format\":\"phaseprof-forest\",\"version\":1,\"task\":\"classify\",\"counter_set\":\"sw\","
    "\"target\":\"label\",\"features\":[\"a\",\"b\"],\"classes\":[\"x\",\"y\"],\"importances\":[1,0],"
    "\"training\":{\"rows\":4,\"seed\":1,\"trees\":1,\"max_depth\":40,\"min_leaf\":1,\"mtry\":1,"
    "\"class_weight\":\"balanced\",\"oob_score\":null},"
    "\"trees\":[{\"feature\":[0,-1,-1],\"threshold\":[0.5,0,0],\"left\":[1,-1,-1],\"right\":[2,-1,-1],"
    "\"value\":[0.5,0.5,1,0,0,1]}]}";

/* TINY with the first occurrence of `from` replaced by `to`. */
static char *variant(const char *from, const char *to)
{
    const char *at = strstr(TINY, from);
    if (!at) { printf("    test bug: '%s' not in TINY\n", from); exit(1); }
    pp_buf b;
    buf_init(&b);
    buf_put(&b, TINY, (size_t)(at - TINY));
    buf_puts(&b, to);
    buf_puts(&b, at + strlen(from));
    return buf_take(&b);
}

static void test_hostile(void)
{
    char err[512];
    pp_forest *f = must_parse(TINY, "tiny.json");
    result("forest_tiny_model_loads", f != NULL, "the hand-written model was rejected");
    if (f) {
        double x0[2] = { 0.2, 0 }, x1[2] = { 0.9, 0 }, xn[2] = { NAN, 0 };
        result("forest_tiny_model_predicts",
               pp_forest_classify(f, x0, NULL) == 0 && pp_forest_classify(f, x1, NULL) == 1 &&
               pp_forest_classify(f, xn, NULL) == 1, "stump predictions wrong");
        pp_forest_free(f);
    }

    /* every proper prefix is rejected with a message */
    size_t n = strlen(TINY), bad = 0;
    for (size_t k = 0; k < n; k++) {
        pp_forest *g = pp_forest_parse(TINY, k, "trunc.json", err, sizeof err);
        if (g || strncmp(err, "trunc.json: ", 12)) { bad++; pp_forest_free(g); }
    }
    result("forest_rejects_every_truncation", bad == 0, "%zu of %zu prefixes accepted or unnamed", bad, n);

    static const struct { const char *name, *from, *to, *expect; } cases[] = {
        { "short_left",      "\"left\":[1,-1,-1]",   "\"left\":[1,-1]",       "left has 2 entries" },
        { "long_value",      "[0.5,0.5,1,0,0,1]",    "[0.5,0.5,1,0,0,1,0]",   "more than" },
        { "child_range",     "\"right\":[2,-1,-1]",  "\"right\":[7,-1,-1]",   "right[0]" },
        { "child_negative",  "\"right\":[2,-1,-1]",  "\"right\":[-5,-1,-1]",  "right[0]" },
        { "self_loop",       "\"left\":[1,-1,-1]",   "\"left\":[0,-1,-1]",    "does not come after" },
        { "cycle",           "\"feature\":[0,-1,-1]", "\"feature\":[0,1,-1]", "does not come after" },
        { "same_children",   "\"right\":[2,-1,-1]",  "\"right\":[1,-1,-1]",   "both children" },
        { "leaf_children",   "\"left\":[1,-1,-1]",   "\"left\":[1,2,-1]",     "leaf" },
        { "feature_range",   "\"feature\":[0,-1,-1]", "\"feature\":[2,-1,-1]", "feature[0]" },
        { "fractional_index","\"left\":[1,-1,-1]",   "\"left\":[1.5,-1,-1]",  "not an integer" },
        { "huge_index",      "\"left\":[1,-1,-1]",   "\"left\":[1e300,-1,-1]", "not an integer" },
        { "nan_literal",     "[0.5,0,0]",            "[NaN,0,0]",             "not valid JSON" },
        { "inf_threshold",   "[0.5,0,0]",            "[1e999,0,0]",           "not a finite number" },
        { "null_threshold",  "[0.5,0,0]",            "[null,0,0]",            "not a finite number" },
        { "string_value",    "[0.5,0.5,1,0,0,1]",    "[\"0.5\",0.5,1,0,0,1]", "not a finite number" },
        { "proba_sum",       "[0.5,0.5,1,0,0,1]",    "[0.5,0.6,1,0,0,1]",     "sum to" },
        { "proba_negative",  "[0.5,0.5,1,0,0,1]",    "[1.5,-0.5,1,0,0,1]",    "outside" },
        { "format",          "phaseprof-forest",      "phaseprof-forestX",     "not a phaseprof model" },
        { "version",         "\"version\":1",         "\"version\":99",        "version 99" },
        { "task",            "\"classify\"",          "\"cluster\"",           "task" },
        { "dup_feature",     "[\"a\",\"b\"]",         "[\"a\",\"a\"]",         "appears twice" },
        { "bad_name",        "[\"a\",\"b\"]",         "[\"a\",\"b c\"]",       "not a usable name" },
        { "control_name",    "[\"a\",\"b\"]",         "[\"a\",\"b\\u0001\"]",  "not a usable name" },
        { "empty_name",      "[\"a\",\"b\"]",         "[\"a\",\"\"]",          "not a usable name" },
        { "no_features",     "[\"a\",\"b\"]",         "[]",                    "features" },
        { "importances_len", "\"importances\":[1,0]", "\"importances\":[1]",   "importances has 1" },
        { "trees_count",     "\"trees\":1,",          "\"trees\":2,",          "training.trees" },
        { "no_trees",        "\"trees\":[{",          "\"trees\":[],\"x\":[{",  "trees" },
        { "tree_not_object", "\"trees\":[{",          "\"trees\":[7,{",        "trees" },
        { "seed_negative",   "\"seed\":1",            "\"seed\":-1",           "training.seed" },
        { "not_object",      "{\"format\"",           "[{\"format\"",          "JSON" },
    };
    size_t nc = sizeof cases / sizeof cases[0], ok = 0;
    for (size_t i = 0; i < nc; i++) {
        char *doc = variant(cases[i].from, cases[i].to);
        err[0] = 0;
        pp_forest *g = pp_forest_parse(doc, strlen(doc), "hostile.json", err, sizeof err);
        int good = !g && !strncmp(err, "hostile.json: ", 14) && strstr(err, cases[i].expect);
        if (!good) printf("    %s: %s (error: %s)\n", cases[i].name, g ? "accepted" : "wrong message", err);
        ok += good;
        pp_forest_free(g);
        free(doc);
    }
    result("forest_rejects_hostile_documents", ok == nc, "%zu of %zu cases handled", ok, nc);

    /* two parents: node 3 claimed by nodes 1 and 2 */
    const char *shared =
        "{\"format\":\"phaseprof-forest\",\"version\":1,\"task\":\"regress\",\"counter_set\":\"sw\","
        "\"target\":\"t\",\"features\":[\"a\"],\"importances\":[1],"
        "\"training\":{\"rows\":4,\"seed\":1,\"trees\":1,\"max_depth\":4,\"min_leaf\":1,\"mtry\":1},"
        "\"trees\":[{\"feature\":[0,0,0,-1,-1],\"threshold\":[0,0,0,0,0],\"left\":[1,3,3,-1,-1],"
        "\"right\":[2,4,4,-1,-1],\"value\":[1,1,1,1,1]}]}";
    pp_forest *g = pp_forest_parse(shared, strlen(shared), "dag.json", err, sizeof err);
    result("forest_rejects_shared_nodes", !g && strstr(err, "two parents"), "%s", g ? "accepted" : err);
    pp_forest_free(g);
    const char *orphan =
        "{\"format\":\"phaseprof-forest\",\"version\":1,\"task\":\"regress\",\"counter_set\":\"sw\","
        "\"target\":\"t\",\"features\":[\"a\"],\"importances\":[1],"
        "\"training\":{\"rows\":4,\"seed\":1,\"trees\":1,\"max_depth\":4,\"min_leaf\":1,\"mtry\":1},"
        "\"trees\":[{\"feature\":[-1,-1],\"threshold\":[0,0],\"left\":[-1,-1],"
        "\"right\":[-1,-1],\"value\":[1,1]}]}";
    g = pp_forest_parse(orphan, strlen(orphan), "orphan.json", err, sizeof err);
    result("forest_rejects_unreachable_nodes", !g && strstr(err, "not reachable"), "%s", g ? "accepted" : err);
    pp_forest_free(g);

    /* deep nesting: cJSON's nesting limit must turn it into an error, not a stack overflow */
    size_t depth = 100000;
    char *deep = xmalloc(depth * 2 + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = 0;
    g = pp_forest_parse(deep, 2 * depth, "deep.json", err, sizeof err);
    result("forest_rejects_deep_nesting", !g, "accepted");
    pp_forest_free(g);
    free(deep);

    /* random byte mutations of a real model: must never crash (ASan/UBSan builds check more) */
    rs = 99;
    size_t accepted = 0;
    char *m = xstrdup(TINY);
    for (int it = 0; it < 20000; it++) {
        memcpy(m, TINY, n);
        int k = 1 + (int)(unif() * 4);
        for (int j = 0; j < k; j++) m[(size_t)(unif() * (double)n)] = "0123456789-.e,[]{}\":x "[(int)(unif() * 23)];
        pp_forest *h = pp_forest_parse(m, n, "mut.json", err, sizeof err);
        if (h) {
            double xx[2] = { unif(), unif() }, pr[PP_FOREST_MAX_CLASSES];
            if (h->task == PP_TASK_CLASSIFY) pp_forest_classify(h, xx, pr);
            else pp_forest_regress(h, xx, 0.1, NULL, NULL);
            accepted++;
        }
        pp_forest_free(h);
    }
    free(m);
    result("forest_survives_mutations", 1, "");
    printf("    (%zu of 20000 mutated models were still valid)\n", accepted);

    /* files: missing file, a directory */
    g = pp_forest_load("/nonexistent/model.json", err, sizeof err);
    result("forest_load_missing_file", !g && strstr(err, "/nonexistent/model.json: cannot open"), "%s", err);
    g = pp_forest_load("/", err, sizeof err);
    result("forest_load_directory", !g && strstr(err, "not a regular file"), "%s", err);
}

int main(void)
{
    char err[512];
    size_t ntr = 900, nte = 900;
    double *x = xmalloc(ntr * P * sizeof *x), *y = xmalloc(ntr * sizeof *y);
    double *xt = xmalloc(nte * P * sizeof *xt), *yt = xmalloc(nte * sizeof *yt);
    rs = 1;
    make_cls(ntr, x, y);
    make_cls(nte, xt, yt);

    pp_forest_params pr = { .task = PP_TASK_CLASSIFY, .trees = 60, .seed = 7 };
    pp_forest_oob oob;
    pp_forest *f = pp_forest_train(x, y, ntr, P, fnames, cnames, 3, "sw", "label", &pr, &oob, err, sizeof err);
    if (!f) { printf("FAIL forest_train: %s\n", err); return 1; }
    size_t right = 0, rare = 0, rare_right = 0, psum_bad = 0, contrib_bad = 0, drivers_bad = 0;
    for (size_t i = 0; i < nte; i++) {
        double proba[3], bias[3], con[P * 3];
        int c = pp_forest_classify(f, xt + i * P, proba);
        right += c == (int)yt[i];
        if (yt[i] == 2) { rare++; rare_right += c == 2; }
        if (fabs(proba[0] + proba[1] + proba[2] - 1) > 1e-9) psum_bad++;
        pp_forest_contributions(f, xt + i * P, bias, con);
        for (int o = 0; o < 3; o++) {
            double s = bias[o];
            for (int j = 0; j < P; j++) s += con[j * 3 + o];
            if (fabs(s - proba[o]) > 1e-9) contrib_bad++;
        }
        uint32_t idx[2];
        double val[2];
        size_t k = pp_forest_top_features(f, xt + i * P, (uint32_t)c, 2, idx, val);
        if (k == 0 || idx[0] > 1 || (k == 2 && val[1] > val[0])) drivers_bad++;
    }
    double acc = (double)right / (double)nte;
    result("forest_classify_heldout_accuracy", acc >= 0.95, "accuracy %.3f < 0.95", acc);
    result("forest_classify_rare_class_recall", rare_right >= 0.9 * (double)rare, "%zu of %zu", rare_right, rare);
    result("forest_oob_estimate", oob.rows_scored > ntr * 9 / 10 && fabs(oob.score - acc) < 0.05,
           "OOB %.3f over %zu rows vs held-out %.3f", oob.score, oob.rows_scored, acc);
    result("forest_probabilities_sum_to_one", psum_bad == 0, "%zu rows", psum_bad);
    result("forest_contributions_sum_to_prediction", contrib_bad == 0, "%zu outputs", contrib_bad);
    result("forest_drivers_are_informative_features", drivers_bad <= nte / 50, "%zu of %zu rows led by a noise feature", drivers_bad, nte);
    result("forest_importances", f->importance[0] + f->importance[1] > 0.8,
           "informative features hold only %.2f of the importance", f->importance[0] + f->importance[1]);
    printf("    accuracy %.3f, OOB %.3f, importances %.2f %.2f %.2f %.2f %.2f %.2f\n", acc, oob.score,
           f->importance[0], f->importance[1], f->importance[2], f->importance[3], f->importance[4], f->importance[5]);
    pp_forest_oob_free(&oob);

    /* determinism and round trip */
    char *j1 = pp_forest_to_json(f);
    pp_forest *f2 = pp_forest_train(x, y, ntr, P, fnames, cnames, 3, "sw", "label", &pr, NULL, err, sizeof err);
    char *j2 = pp_forest_to_json(f2);
    result("forest_same_seed_same_bytes", !strcmp(j1, j2), "two trainings differ");
    pp_forest_params pr2 = pr;
    pr2.seed = 8;
    pp_forest *f3 = pp_forest_train(x, y, ntr, P, fnames, cnames, 3, "sw", "label", &pr2, NULL, err, sizeof err);
    char *j3 = pp_forest_to_json(f3);
    result("forest_other_seed_other_forest", strcmp(j1, j3) != 0, "seed ignored");
    char path[] = "/tmp/test_forest_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    int saved = pp_forest_save(f, path, err, sizeof err) == 0;
    pp_forest *g = saved ? pp_forest_load(path, err, sizeof err) : NULL;
    result("forest_save_load", g != NULL, "%s", err);
    if (g) {
        char *j4 = pp_forest_to_json(g);
        result("forest_reload_same_bytes", !strcmp(j1, j4), "reloaded model serializes differently");
        free(j4);
        size_t diff = 0;
        for (size_t i = 0; i < nte; i++) {
            double p1[3], p2[3];
            pp_forest_classify(f, xt + i * P, p1);
            pp_forest_classify(g, xt + i * P, p2);
            diff += memcmp(p1, p2, sizeof p1) != 0;
        }
        result("forest_reload_predicts_identically", diff == 0, "%zu rows differ", diff);
        const char *avail[] = { "noise_4", "sig_b", "x", "noise_1", "sig_a", "noise_3", "noise_2" };
        uint32_t map[P];
        int rc = pp_forest_map_features(g, "m.json", avail, 7, map, err, sizeof err);
        result("forest_map_features", rc == 0 && map[0] == 4 && map[1] == 1 && map[5] == 0, "%s", err);
        const char *few[] = { "sig_a", "noise_1", "noise_2", "noise_3" };
        rc = pp_forest_map_features(g, "m.json", few, 4, map, err, sizeof err);
        result("forest_map_features_names_missing", rc == -1 && strstr(err, "sig_b") && strstr(err, "noise_4") &&
               strstr(err, "m.json") && strstr(err, "'sw'") && !strstr(err, "sig_a,"), "%s", err);
        result("forest_class_index", pp_forest_class_index(g, "io") == 1 && pp_forest_class_index(g, "memory") == -1, "wrong");
    }
    unlink(path);
    free(j1); free(j2); free(j3);
    pp_forest_free(f); pp_forest_free(f2); pp_forest_free(f3); pp_forest_free(g);

    /* training input checks */
    double bad_x[P] = { 0, NAN, 0, 0, 0, 0 }, bad_y[1] = { 0 };
    f = pp_forest_train(bad_x, bad_y, 1, P, fnames, cnames, 3, "sw", "label", &pr, NULL, err, sizeof err);
    result("forest_train_rejects_nan", !f && strstr(err, "sig_b"), "%s", f ? "accepted" : err);
    pp_forest_free(f);

    /* regression: a known smooth function */
    size_t nr = 1500;
    double *rx = xmalloc(nr * P * sizeof *rx), *ry = xmalloc(nr * sizeof *ry);
    double *tx = xmalloc(nr * P * sizeof *tx), *ty = xmalloc(nr * sizeof *ty);
    rs = 5;
    make_reg(nr, rx, ry, 0.1);
    make_reg(nr, tx, ty, 0);
    pp_forest_params rp = { .task = PP_TASK_REGRESS, .trees = 80, .seed = 3 };
    f = pp_forest_train(rx, ry, nr, P, fnames, NULL, 0, "sw", "target", &rp, &oob, err, sizeof err);
    if (!f) { printf("FAIL forest_regress_train: %s\n", err); return 1; }
    double sse = 0, sst = 0, mean = 0, width = 0;
    size_t inside = 0, ordered = 0;
    for (size_t i = 0; i < nr; i++) mean += ty[i];
    mean /= (double)nr;
    for (size_t i = 0; i < nr; i++) {
        double lo, hi, m = pp_forest_regress(f, tx + i * P, 0.1, &lo, &hi);
        sse += (m - ty[i]) * (m - ty[i]);
        sst += (ty[i] - mean) * (ty[i] - mean);
        inside += ty[i] >= lo - 0.05 && ty[i] <= hi + 0.05;
        ordered += lo <= m && m <= hi;
        width += hi - lo;
    }
    double r2 = 1 - sse / sst, cover = (double)inside / (double)nr;
    width /= (double)nr;
    printf("    regression: R^2 %.3f, OOB R^2 %.3f, 10-90%% interval mean width %.3f, covers truth %.2f\n",
           r2, oob.score, width, cover);
    result("forest_regress_recovers_function", r2 >= 0.95, "R^2 %.3f", r2);
    result("forest_regress_interval_ordered", ordered == nr, "%zu of %zu with lo <= mean <= hi", ordered, nr);
    result("forest_regress_interval_sensible", cover >= 0.6 && width > 0 && width < 2.5,
           "covers %.2f, mean width %.3f (the target spans about 10)", cover, width);
    result("forest_regress_oob", oob.score > 0.9 && oob.mae < 0.5, "OOB R^2 %.3f, MAE %.3f", oob.score, oob.mae);
    {
        double bias, con[P];
        double m = pp_forest_regress(f, tx, 0.1, NULL, NULL);
        pp_forest_contributions(f, tx, &bias, con);
        double s = bias;
        for (int j = 0; j < P; j++) s += con[j];
        result("forest_regress_contributions_sum", fabs(s - m) < 1e-9, "%.17g vs %.17g", s, m);
    }
    char *a = pp_forest_to_json(f);
    pp_forest *fr = pp_forest_parse(a, strlen(a), "reg.json", err, sizeof err);
    size_t rdiff = fr ? 0 : nr;
    for (size_t i = 0; fr && i < nr; i++) {
        double l1, h1, l2, h2;
        double m1 = pp_forest_regress(f, tx + i * P, 0.1, &l1, &h1), m2 = pp_forest_regress(fr, tx + i * P, 0.1, &l2, &h2);
        rdiff += m1 != m2 || l1 != l2 || h1 != h2;
    }
    result("forest_regress_round_trip", rdiff == 0, "%zu rows differ (%s)", rdiff, fr ? "" : err);
    free(a);
    pp_forest_free(fr);
    pp_forest_free(f);
    pp_forest_oob_free(&oob);

    /* --partition: every tree splits on the partition feature first, until each node holds one
     * of its values, so the rows of one value never share a leaf with another's.  Data: noise_4
     * takes the values 0, 1, 2 (a "cost kind"); the target is 10 * kind plus a little of sig_a.  A
     * row of kind 2 whose other features look like kind 0's must still get about 20. */
    {
        size_t np = 300;
        double *px = xmalloc(np * P * sizeof *px), *py = xmalloc(np * sizeof *py);
        rs = 11;
        for (size_t i = 0; i < np; i++) {
            for (int j = 0; j < P; j++) px[i * P + j] = unif();
            px[i * P + 5] = (double)(i % 3);
            py[i] = 10 * (double)(i % 3) + px[i * P];
        }
        pp_forest_params pp = { .task = PP_TASK_REGRESS, .trees = 20, .seed = 5, .mtry = 1, .partition = "noise_4" };
        pp_forest *pf = pp_forest_train(px, py, np, P, fnames, NULL, 0, "sw", "target", &pp, NULL, err, sizeof err);
        size_t roots = 0, mixed = 0;
        for (uint32_t t = 0; pf && t < pf->ntrees; t++) {
            const pp_tree *tr = &pf->trees[t];
            roots += tr->feature[0] == 5;
            /* below the partition splits, no leaf's rows can mix kinds: a leaf value is within
             * 1 of 0, 10 or 20 */
            for (uint32_t n = 0; n < tr->n; n++) {
                double v = tr->value[n];
                if (tr->feature[n] < 0 && fabs(v - 10 * floor(v / 10 + 0.05)) > 1.0) mixed++;
            }
        }
        double q[P] = { 0.5, 0.5, 0.5, 0.5, 0.5, 2 };
        double v = pf ? pp_forest_regress(pf, q, 0.1, NULL, NULL) : NAN;
        result("forest_partition_splits_first", pf && roots == pf->ntrees, "%zu of %u roots split on it (%s)",
               roots, pf ? pf->ntrees : 0, pf ? "" : err);
        result("forest_partition_leaves_pure", pf && mixed == 0 && fabs(v - 20.5) < 1.0, "%zu mixed leaves; kind 2 -> %.2f", mixed, v);
        char *js = pf ? pp_forest_to_json(pf) : NULL;
        result("forest_partition_in_model", js && strstr(js, "\"partition\":\"noise_4\""), "not in the model file");
        free(js);
        pp_forest_free(pf);
        pp.partition = "no_such";
        pf = pp_forest_train(px, py, np, P, fnames, NULL, 0, "sw", "target", &pp, NULL, err, sizeof err);
        result("forest_partition_unknown", !pf && strstr(err, "no_such"), "trained anyway, or: %s", err);
        pp_forest_free(pf);
        pp.partition = "sig_a";            /* 300 distinct values: a measurement, not a category */
        pf = pp_forest_train(px, py, np, P, fnames, NULL, 0, "sw", "target", &pp, NULL, err, sizeof err);
        result("forest_partition_category", !pf && strstr(err, "must be a category"), "trained anyway, or: %s", err);
        pp_forest_free(pf);
        free(px); free(py);
    }

    test_hostile();
    free(x); free(y); free(xt); free(yt); free(rx); free(ry); free(tx); free(ty);
    return failures ? 1 : 0;
}
