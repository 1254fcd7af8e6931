/* Random forests of CART trees: training, prediction, explanations, and the JSON model files.
 * See forest.h for the method; the comments here say why the code is shaped as it is.
 *
 * Determinism: the forest must come out the same on every run and machine, so (1) random numbers
 * come from splitmix64 seeded by (seed, tree index), never rand(); (2) rows are sorted by
 * (value, row index), a total order, so the sort algorithm cannot reorder ties; (3) a split
 * replaces the best so far only when strictly better, so ties go to the feature drawn first;
 * (4) numbers are written with the shortest "%.Ng" that reads back to the same double, so the
 * file is a pure function of the forest and loading it gives back the very same doubles. */
#include "forest.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "util.h"

/* ------------------------------------------------------------------ random numbers */

typedef struct { uint64_t s; } rng_t;

static uint64_t rng_next(rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n): the high half of a 64x64 product (Lemire), bias below 2^-32 for our n. */
static uint64_t rng_below(rng_t *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* ------------------------------------------------------------------ training */

typedef struct builder {
    /* data */
    const double *x, *y, *w;       /* w: per-row weight (class weight, or 1) */
    size_t n;
    uint32_t p, nclass, nout;
    pp_task task;
    uint32_t max_depth, min_leaf, mtry;
    int32_t partition;             /* feature split on first (params.partition), -1: none */
    rng_t rng;
    /* scratch */
    struct sv { double v; uint32_t row; } *sorted;
    uint32_t *tmp;                 /* partition scratch */
    uint32_t *feat_order;
    double *cl, *cr, *ctot;        /* per-class weighted counts */
    /* output tree (growable) */
    pp_tree t;
    size_t cap;
    double *imp;                   /* per feature, weighted impurity decrease of this tree */
} builder;

static int cmp_sv(const void *a, const void *b)
{
    const struct sv *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return (x->row > y->row) - (x->row < y->row);
}

static uint32_t new_node(builder *b)
{
    if (b->t.n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        b->t.feature = xrealloc(b->t.feature, cap * sizeof *b->t.feature);
        b->t.left = xrealloc(b->t.left, cap * sizeof *b->t.left);
        b->t.right = xrealloc(b->t.right, cap * sizeof *b->t.right);
        b->t.threshold = xrealloc(b->t.threshold, cap * sizeof *b->t.threshold);
        b->t.value = xrealloc(b->t.value, cap * b->nout * sizeof *b->t.value);
        b->cap = cap;
    }
    uint32_t i = b->t.n++;
    b->t.feature[i] = -1;
    b->t.left[i] = b->t.right[i] = -1;
    b->t.threshold[i] = 0;
    return i;
}

/* Node value and impurity of rows s[0..m): class distribution and Gini, or mean and variance.
 * Returns the total weight. */
static double node_stats(builder *b, const uint32_t *s, size_t m, double *value, double *impurity)
{
    double W = 0;
    if (b->task == PP_TASK_CLASSIFY) {
        memset(b->ctot, 0, b->nclass * sizeof *b->ctot);
        for (size_t i = 0; i < m; i++) {
            b->ctot[(size_t)b->y[s[i]]] += b->w[s[i]];
            W += b->w[s[i]];
        }
        double g = 1;
        for (uint32_t c = 0; c < b->nclass; c++) {
            value[c] = W > 0 ? b->ctot[c] / W : 1.0 / b->nclass;
            g -= value[c] * value[c];
        }
        *impurity = g > 0 ? g : 0;
    } else {
        double sum = 0;
        for (size_t i = 0; i < m; i++) { sum += b->y[s[i]]; W += 1; }
        double mean = W > 0 ? sum / W : 0, ss = 0;
        for (size_t i = 0; i < m; i++) { double d = b->y[s[i]] - mean; ss += d * d; }
        value[0] = mean;
        *impurity = W > 0 ? ss / W : 0;
    }
    return W;
}

/* Best split of s[0..m) on feature f: returns its score (larger is better; the proxy below) or
 * -INFINITY when the feature is constant here or no split leaves min_leaf rows on each side.
 * Proxy: Gini: sum_c L_c^2/WL + sum_c R_c^2/WR (= W - weighted child impurity); variance:
 * SL^2/WL + SR^2/WR (= sum y^2 - weighted child SSE).  *constant says the feature takes one
 * value here (it then does not count against mtry, as in CART implementations). */
static double best_split_on(builder *b, const uint32_t *s, size_t m, uint32_t f, double *thr, int *constant)
{
    struct sv *sv = b->sorted;
    for (size_t i = 0; i < m; i++) { sv[i].v = b->x[(size_t)s[i] * b->p + f]; sv[i].row = s[i]; }
    qsort(sv, m, sizeof *sv, cmp_sv);
    *constant = !(sv[0].v < sv[m - 1].v);
    if (*constant) return -INFINITY;
    double best = -INFINITY;
    size_t ml = b->min_leaf;
    if (b->task == PP_TASK_CLASSIFY) {
        uint32_t K = b->nclass;
        memset(b->cl, 0, K * sizeof *b->cl);
        double WL = 0, W = 0, sql = 0, sqr = 0;
        for (size_t i = 0; i < m; i++) W += b->w[sv[i].row];
        memcpy(b->cr, b->ctot, K * sizeof *b->cr);   /* node_stats left ctot for this node */
        for (uint32_t c = 0; c < K; c++) sqr += b->cr[c] * b->cr[c];
        for (size_t k = 1; k < m; k++) {
            uint32_t r = sv[k - 1].row;
            size_t c = (size_t)b->y[r];
            double wr = b->w[r];
            /* update sums of squares in O(1): (a+w)^2 - a^2 = w(2a + w) */
            sql += wr * (2 * b->cl[c] + wr);
            sqr += wr * (-2 * b->cr[c] + wr);
            b->cl[c] += wr; b->cr[c] -= wr; WL += wr;
            if (k < ml || m - k < ml || !(sv[k - 1].v < sv[k].v)) continue;
            double WR = W - WL;
            if (WL <= 0 || WR <= 0) continue;
            double score = sql / WL + sqr / WR;
            if (score > best) {
                best = score;
                double a = sv[k - 1].v, bb = sv[k].v, t = a + (bb - a) / 2;
                *thr = (t >= a && t < bb) ? t : a;
            }
        }
    } else {
        double S = 0, SL = 0;
        for (size_t i = 0; i < m; i++) S += b->y[sv[i].row];
        for (size_t k = 1; k < m; k++) {
            SL += b->y[sv[k - 1].row];
            if (k < ml || m - k < ml || !(sv[k - 1].v < sv[k].v)) continue;
            double WL = (double)k, WR = (double)(m - k), SR = S - SL;
            double score = SL * SL / WL + SR * SR / WR;
            if (score > best) {
                best = score;
                double a = sv[k - 1].v, bb = sv[k].v, t = a + (bb - a) / 2;
                *thr = (t >= a && t < bb) ? t : a;
            }
        }
    }
    return best;
}

static uint32_t grow(builder *b, uint32_t *s, size_t m, uint32_t depth);

/* Node id splits its rows s[0..m) on x[f] <= thr (a stable partition) and grows both children;
 * returns id, or id as a leaf when one side would be empty. */
static uint32_t split(builder *b, uint32_t id, uint32_t *s, size_t m, uint32_t depth, uint32_t f, double thr)
{
    size_t nl = 0, nr = 0;
    for (size_t i = 0; i < m; i++) {
        if (b->x[(size_t)s[i] * b->p + f] <= thr) s[nl++] = s[i];
        else b->tmp[nr++] = s[i];
    }
    memcpy(s + nl, b->tmp, nr * sizeof *s);
    if (nl == 0 || nr == 0) return id;   /* cannot happen with a threshold between two values */
    b->t.feature[id] = (int32_t)f;
    b->t.threshold[id] = thr;
    uint32_t l = grow(b, s, nl, depth + 1);
    b->t.left[id] = (int32_t)l;
    uint32_t r = grow(b, s + nl, nr, depth + 1);
    b->t.right[id] = (int32_t)r;
    return id;
}

/* Grows the subtree of rows s[0..m) (a slice of the bootstrap sample, duplicates included) and
 * returns its node index.  Pre-order: the node is numbered before its children. */
static uint32_t grow(builder *b, uint32_t *s, size_t m, uint32_t depth)
{
    uint32_t id = new_node(b);
    double imp;
    double W = node_stats(b, s, m, b->t.value + (size_t)id * b->nout, &imp);
    if (b->partition >= 0) {
        /* Rows of more than one partition value: split between the middle two distinct values,
         * whatever the leaf size or the gain (the partition is imposed, not learnt); a few
         * values (pp_forest_train checks) take a few levels. */
        size_t pf = (size_t)b->partition, k = 0;
        for (size_t i = 0; i < m; i++) b->sorted[i] = (struct sv){ b->x[(size_t)s[i] * b->p + pf], s[i] };
        qsort(b->sorted, m, sizeof *b->sorted, cmp_sv);
        for (size_t i = 1; i < m; i++) k += b->sorted[i].v != b->sorted[i - 1].v;
        if (k) {                                   /* k + 1 distinct values: cut after value k/2 */
            size_t i = 0;
            for (size_t seen = 0; i + 1 < m; i++) if (b->sorted[i + 1].v != b->sorted[i].v && seen++ == k / 2) break;
            double a = b->sorted[i].v, c = b->sorted[i + 1].v, t = a + (c - a) / 2;
            return split(b, id, s, m, depth, (uint32_t)pf, t >= a && t < c ? t : a);
        }
    }
    if (depth >= b->max_depth || m < 2 * (size_t)b->min_leaf || imp <= 1e-12 || W <= 0) return id;

    /* Draw features without replacement until mtry non-constant ones have been tried. */
    for (uint32_t j = 0; j < b->p; j++) b->feat_order[j] = j;
    uint32_t tried = 0, best_f = 0;
    double best = -INFINITY, best_thr = 0;
    for (uint32_t j = 0; j < b->p && tried < b->mtry; j++) {
        uint32_t k = j + (uint32_t)rng_below(&b->rng, b->p - j);
        uint32_t f = b->feat_order[k];
        b->feat_order[k] = b->feat_order[j];
        b->feat_order[j] = f;
        double thr = 0;
        int constant;
        double sc = best_split_on(b, s, m, f, &thr, &constant);
        if (constant) continue;
        tried++;
        if (sc > best) { best = sc; best_f = f; best_thr = thr; }
    }
    if (best == -INFINITY) return id;

    /* Weighted impurity decrease of the split: W*imp - (children's weighted impurity).
     * Classify: W*gini = W - sum c^2/W, children's = W - best; variance: W*var = sum y^2 - S^2/W,
     * children's = sum y^2 - best.  Both reduce to best - (node's own proxy). */
    double own;
    if (b->task == PP_TASK_CLASSIFY) {
        own = 0;   /* b->ctot still holds this node's class weights: only children overwrite it */
        for (uint32_t c = 0; c < b->nclass; c++) own += b->ctot[c] * b->ctot[c];
        own /= W;
    } else {
        double S = b->t.value[(size_t)id * b->nout] * W;
        own = S * S / W;
    }
    double gain = best - own;
    if (!(gain > 1e-12 * (fabs(own) + 1e-300))) return id;   /* rounding noise, not a split */

    /* Stable partition by the threshold. */
    b->imp[best_f] += gain;
    return split(b, id, s, m, depth, best_f, best_thr);
}

static const double *tree_leaf(const pp_tree *t, uint32_t nout, const double *x)
{
    uint32_t i = 0;
    while (t->feature[i] >= 0)
        i = (uint32_t)(x[t->feature[i]] <= t->threshold[i] ? t->left[i] : t->right[i]);
    return t->value + (size_t)i * nout;
}

/* A name a model file may hold: 1..PP_FOREST_MAX_NAME printable ASCII bytes, no quote, comma or
 * backslash (names end up in reports and CSV headers; keeping them plain keeps every writer
 * simple and every error message readable). */
static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PP_FOREST_MAX_NAME) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == ',') return 0;
    }
    return 1;
}

static const char *names_check(const char *const *names, size_t n, const char *what)
{
    static char msg[PP_FOREST_MAX_NAME + 256];
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !name_ok(names[i])) {
            snprintf(msg, sizeof msg, "%s %zu ('%.*s') is not a usable name (1-%d printable ASCII characters, no spaces, commas, quotes or backslashes)",
                     what, i, PP_FOREST_MAX_NAME, names[i] ? names[i] : "", PP_FOREST_MAX_NAME);
            return msg;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(names[i], names[j])) {
                snprintf(msg, sizeof msg, "%s '%s' appears twice", what, names[i]);
                return msg;
            }
    }
    return NULL;
}

static char **copy_names(const char *const *names, size_t n)
{
    char **out = xcalloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = xstrdup(names[i]);
    return out;
}

pp_forest *pp_forest_train(const double *x, const double *y, size_t n, uint32_t p,
                           const char *const *feature_names, const char *const *class_names,
                           uint32_t nclass, const char *counter_set, const char *target,
                           const pp_forest_params *params, pp_forest_oob *oob,
                           char *err, size_t errlen)
{
    pp_forest_params P = params ? *params : (pp_forest_params){0};
    int cls = P.task == PP_TASK_CLASSIFY;
    const char *bad;
    if (oob) memset(oob, 0, sizeof *oob);
    if (n == 0) { snprintf(err, errlen, "no rows to train on"); return NULL; }
    if (n > UINT32_MAX) { snprintf(err, errlen, "too many rows (%zu)", n); return NULL; }
    if (p == 0 || p > PP_FOREST_MAX_FEATURES) { snprintf(err, errlen, "%u features (1-%d allowed)", p, PP_FOREST_MAX_FEATURES); return NULL; }
    if (cls && (nclass < 1 || nclass > PP_FOREST_MAX_CLASSES)) { snprintf(err, errlen, "%u classes (1-%d allowed)", nclass, PP_FOREST_MAX_CLASSES); return NULL; }
    if ((bad = names_check(feature_names, p, "feature"))) { snprintf(err, errlen, "%s", bad); return NULL; }
    int32_t part = -1;
    for (uint32_t j = 0; P.partition && j < p; j++)
        if (!strcmp(feature_names[j], P.partition)) part = (int32_t)j;
    if (P.partition && part < 0) { snprintf(err, errlen, "the partition '%s' is not one of the features", P.partition); return NULL; }
    if (part >= 0) {       /* a category, not a measurement: a handful of values */
        size_t distinct = 0;
        double seen[PP_FOREST_MAX_PARTS];
        for (size_t i = 0; i < n && distinct <= PP_FOREST_MAX_PARTS; i++) {
            double v = x[i * p + (size_t)part];
            size_t k = 0;
            while (k < distinct && seen[k] != v) k++;
            if (k == distinct && distinct++ < PP_FOREST_MAX_PARTS) seen[k] = v;
        }
        if (distinct > PP_FOREST_MAX_PARTS) {
            snprintf(err, errlen, "the partition '%s' takes more than %d values: it must be a category", P.partition, PP_FOREST_MAX_PARTS);
            return NULL;
        }
    }
    if (cls && (bad = names_check(class_names, nclass, "class"))) { snprintf(err, errlen, "%s", bad); return NULL; }
    if (!counter_set || !name_ok(counter_set)) { snprintf(err, errlen, "counter set name is not usable"); return NULL; }
    if (!target || !name_ok(target)) { snprintf(err, errlen, "target column name is not usable"); return NULL; }
    if (P.seed >= (1ull << 53)) { snprintf(err, errlen, "seed must be below 2^53 (it is stored as a JSON number)"); return NULL; }
    for (size_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < p; j++)
            if (!isfinite(x[i * p + j])) { snprintf(err, errlen, "row %zu: feature '%s' is not a finite number", i, feature_names[j]); return NULL; }
        if (!isfinite(y[i]) || fabs(y[i]) > PP_FOREST_MAX_TARGET || (cls && (y[i] < 0 || y[i] >= nclass || y[i] != floor(y[i])))) {
            snprintf(err, errlen, "row %zu: %s is not a %s", i, target, cls ? "class index" : "finite number within +-1e100");
            return NULL;
        }
    }

    pp_forest *f = xcalloc(1, sizeof *f);
    f->task = P.task;
    f->nfeat = p;
    f->nclass = cls ? nclass : 0;
    f->nout = cls ? nclass : 1;
    f->features = copy_names(feature_names, p);
    f->classes = copy_names(cls ? class_names : NULL, f->nclass);
    f->counter_set = xstrdup(counter_set);
    f->target = xstrdup(target);
    f->ntrees = P.trees ? P.trees : 100;
    if (f->ntrees > PP_FOREST_MAX_TREES) f->ntrees = PP_FOREST_MAX_TREES;
    f->rows = n;
    f->seed = P.seed;
    f->max_depth = P.max_depth ? P.max_depth : 40;
    if (f->max_depth > 64) f->max_depth = 64;       /* recursion depth of grow() */
    f->min_leaf = P.min_leaf ? P.min_leaf : (cls ? 1 : 3);
    f->mtry = P.mtry ? P.mtry : cls ? (uint32_t)floor(sqrt((double)p)) : p / 3;
    if (f->mtry < 1) f->mtry = 1;
    if (f->mtry > p) f->mtry = p;
    f->trees = xcalloc(f->ntrees, sizeof *f->trees);
    f->importance = xcalloc(p, sizeof *f->importance);

    /* Balanced class weights n / (k * n_c) over the classes present (an absent class gets no
     * weight: it has no rows). */
    double *w = xmalloc(n * sizeof *w);
    if (cls && !P.unweighted) {
        size_t *cnt = xcalloc(nclass, sizeof *cnt);
        uint32_t present = 0;
        for (size_t i = 0; i < n; i++) cnt[(size_t)y[i]]++;
        for (uint32_t c = 0; c < nclass; c++) present += cnt[c] > 0;
        for (size_t i = 0; i < n; i++) w[i] = (double)n / ((double)present * (double)cnt[(size_t)y[i]]);
        free(cnt);
    } else {
        for (size_t i = 0; i < n; i++) w[i] = 1;
    }

    builder b = { .x = x, .y = y, .w = w, .n = n, .p = p, .nclass = nclass, .nout = f->nout,
                  .task = P.task, .max_depth = f->max_depth, .min_leaf = f->min_leaf, .mtry = f->mtry,
                  .partition = part };
    if (P.partition) f->partition = xstrdup(P.partition);
    b.sorted = xmalloc(n * sizeof *b.sorted);
    b.tmp = xmalloc(n * sizeof *b.tmp);
    b.feat_order = xmalloc(p * sizeof *b.feat_order);
    b.cl = xcalloc(f->nout, sizeof *b.cl);
    b.cr = xcalloc(f->nout, sizeof *b.cr);
    b.ctot = xcalloc(f->nout, sizeof *b.ctot);
    b.imp = xcalloc(p, sizeof *b.imp);
    uint32_t *sample = xmalloc(n * sizeof *sample);
    unsigned char *inbag = xmalloc(n);
    /* OOB accumulators: per row, summed distributions (classify) or sum and count (regress). */
    /* always computed: the OOB score is in the model file, which must not depend on whether the
     * caller wanted the per-row results */
    double *oacc = xcalloc(n * f->nout, sizeof *oacc);
    uint32_t *ocnt = xcalloc(n, sizeof *ocnt);

    for (uint32_t t = 0; t < f->ntrees; t++) {
        /* each tree's stream depends on (seed, t) only */
        /* (not seed + t: splitmix streams one gamma apart would give every tree the previous
         * tree's draws shifted by one) */
        rng_t mix = { P.seed };
        b.rng.s = rng_next(&mix) ^ (t + 1) * 0xd1342543de82ef95ull;
        b.rng.s = rng_next(&b.rng);
        memset(inbag, 0, n);
        for (size_t i = 0; i < n; i++) {
            sample[i] = (uint32_t)rng_below(&b.rng, n);
            inbag[sample[i]] = 1;
        }
        /* sorting the sample makes the node row lists (and so every tie order) independent of
         * the draw order; the sort is by row index, a total order */
        size_t *hist = xcalloc(n, sizeof *hist);
        for (size_t i = 0; i < n; i++) hist[sample[i]]++;
        for (size_t i = 0, k = 0; i < n; i++) for (size_t c = 0; c < hist[i]; c++) sample[k++] = (uint32_t)i;
        free(hist);
        memset(b.imp, 0, p * sizeof *b.imp);
        memset(&b.t, 0, sizeof b.t);
        b.cap = 0;
        grow(&b, sample, n, 0);
        f->trees[t] = b.t;
        /* importance: this tree's decreases over its root weight, averaged over trees */
        double Wroot = 0;
        for (size_t i = 0; i < n; i++) Wroot += w[sample[i]];
        for (uint32_t j = 0; j < p; j++) f->importance[j] += Wroot > 0 ? b.imp[j] / Wroot : 0;
        for (size_t i = 0; i < n; i++) {
            if (inbag[i]) continue;
            const double *v = tree_leaf(&f->trees[t], f->nout, x + i * p);
            for (uint32_t o = 0; o < f->nout; o++) oacc[i * f->nout + o] += v[o];
            ocnt[i]++;
        }
    }
    double isum = 0;
    for (uint32_t j = 0; j < p; j++) isum += f->importance[j];
    for (uint32_t j = 0; j < p; j++) f->importance[j] = isum > 0 ? f->importance[j] / isum : 0;

    pp_forest_oob local = {0};
    if (!oob) oob = &local;
    {
        oob->score = NAN;
        oob->mae = NAN;
        if (cls) oob->pred = xmalloc(n * sizeof *oob->pred);
        else oob->value = xmalloc(n * sizeof *oob->value);
        size_t right = 0, k = 0;
        double ymean = 0, sse = 0, sst = 0, sae = 0;
        for (size_t i = 0; i < n; i++) if (ocnt[i]) { ymean += y[i]; k++; }
        if (k) ymean /= (double)k;
        for (size_t i = 0; i < n; i++) {
            if (cls) {
                int bestc = -1;
                if (ocnt[i]) {
                    bestc = 0;
                    for (uint32_t c = 1; c < nclass; c++)
                        if (oacc[i * nclass + c] > oacc[i * nclass + (uint32_t)bestc]) bestc = (int)c;
                    right += (double)bestc == y[i];
                }
                oob->pred[i] = bestc;
            } else {
                oob->value[i] = ocnt[i] ? oacc[i] / ocnt[i] : NAN;
                if (ocnt[i]) {
                    double d = oob->value[i] - y[i];
                    sse += d * d; sae += fabs(d);
                    sst += (y[i] - ymean) * (y[i] - ymean);
                }
            }
        }
        oob->rows_scored = k;
        if (k) {
            if (cls) oob->score = (double)right / (double)k;
            else { oob->score = sst > 0 ? 1 - sse / sst : NAN; oob->mae = sae / (double)k; }
        }
        f->oob_score = oob->score;
        if (oob == &local) pp_forest_oob_free(&local);
    }
    free(oacc); free(ocnt); free(sample); free(inbag); free(w);
    free(b.sorted); free(b.tmp); free(b.feat_order); free(b.cl); free(b.cr); free(b.ctot); free(b.imp);
    return f;
}

void pp_forest_oob_free(pp_forest_oob *o)
{
    if (!o) return;
    free(o->pred); free(o->value);
    o->pred = NULL; o->value = NULL;
}

void pp_forest_free(pp_forest *f)
{
    if (!f) return;
    for (uint32_t i = 0; i < f->nfeat && f->features; i++) free(f->features[i]);
    for (uint32_t i = 0; i < f->nclass && f->classes; i++) free(f->classes[i]);
    free(f->features); free(f->classes); free(f->counter_set); free(f->target); free(f->importance);
    free(f->partition);
    for (uint32_t t = 0; t < f->ntrees && f->trees; t++) {
        pp_tree *tr = &f->trees[t];
        free(tr->feature); free(tr->left); free(tr->right); free(tr->threshold); free(tr->value);
    }
    free(f->trees);
    free(f);
}

/* ------------------------------------------------------------------ prediction */

int pp_forest_classify(const pp_forest *f, const double *x, double *proba)
{
    if (f->task != PP_TASK_CLASSIFY || f->nclass == 0) return -1;
    double acc[PP_FOREST_MAX_CLASSES] = {0};
    for (uint32_t t = 0; t < f->ntrees; t++) {
        const double *v = tree_leaf(&f->trees[t], f->nout, x);
        for (uint32_t c = 0; c < f->nclass; c++) acc[c] += v[c];
    }
    int best = 0;
    for (uint32_t c = 0; c < f->nclass; c++) {
        acc[c] /= f->ntrees;
        if (proba) proba[c] = acc[c];
        if (acc[c] > acc[best]) best = (int)c;
    }
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation between order statistics (the "type 7" quantile of R and numpy). */
static double quantile_sorted(const double *v, size_t n, double q)
{
    if (n == 1) return v[0];
    double h = q * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

double pp_forest_regress(const pp_forest *f, const double *x, double q, double *lo, double *hi)
{
    double *v = xmalloc(f->ntrees * sizeof *v), sum = 0;
    for (uint32_t t = 0; t < f->ntrees; t++) { v[t] = tree_leaf(&f->trees[t], f->nout, x)[0]; sum += v[t]; }
    if (lo || hi) {
        if (!(q >= 0 && q <= 0.5)) q = 0.1;
        qsort(v, f->ntrees, sizeof *v, cmp_double);
        if (lo) *lo = quantile_sorted(v, f->ntrees, q);
        if (hi) *hi = quantile_sorted(v, f->ntrees, 1 - q);
    }
    free(v);
    return sum / f->ntrees;
}

void pp_forest_contributions(const pp_forest *f, const double *x, double *bias, double *contrib)
{
    uint32_t no = f->nout;
    memset(bias, 0, no * sizeof *bias);
    memset(contrib, 0, (size_t)f->nfeat * no * sizeof *contrib);
    for (uint32_t t = 0; t < f->ntrees; t++) {
        const pp_tree *tr = &f->trees[t];
        uint32_t i = 0;
        for (uint32_t o = 0; o < no; o++) bias[o] += tr->value[o];
        while (tr->feature[i] >= 0) {
            uint32_t fj = (uint32_t)tr->feature[i];
            uint32_t c = (uint32_t)(x[fj] <= tr->threshold[i] ? tr->left[i] : tr->right[i]);
            for (uint32_t o = 0; o < no; o++)
                contrib[(size_t)fj * no + o] += tr->value[(size_t)c * no + o] - tr->value[(size_t)i * no + o];
            i = c;
        }
    }
    for (uint32_t o = 0; o < no; o++) bias[o] /= f->ntrees;
    for (size_t k = 0; k < (size_t)f->nfeat * no; k++) contrib[k] /= f->ntrees;
}

size_t pp_forest_top_features(const pp_forest *f, const double *x, uint32_t out, size_t k,
                              uint32_t *idx, double *val)
{
    if (out >= f->nout || k == 0) return 0;
    double *bias = xmalloc(f->nout * sizeof *bias);
    double *c = xmalloc((size_t)f->nfeat * f->nout * sizeof *c);
    pp_forest_contributions(f, x, bias, c);
    size_t got = 0;
    /* selection of the k largest positive contributions; ties to the lower feature index */
    for (uint32_t j = 0; j < f->nfeat; j++) {
        double v = c[(size_t)j * f->nout + out];
        if (!(v > 0)) continue;
        size_t pos = got < k ? got : k;
        while (pos > 0 && val[pos - 1] < v) pos--;
        if (pos >= k) continue;
        size_t last = got < k ? got : k - 1;
        for (size_t m = last; m > pos; m--) { idx[m] = idx[m - 1]; val[m] = val[m - 1]; }
        idx[pos] = j; val[pos] = v;
        if (got < k) got++;
    }
    free(bias); free(c);
    return got;
}

int pp_forest_class_index(const pp_forest *f, const char *name)
{
    for (uint32_t c = 0; c < f->nclass; c++)
        if (!strcmp(f->classes[c], name)) return (int)c;
    return -1;
}

int pp_forest_map_features(const pp_forest *f, const char *name, const char *const *avail,
                           size_t navail, uint32_t *map, char *err, size_t errlen)
{
    pp_buf missing;
    buf_init(&missing);
    size_t nmiss = 0;
    for (uint32_t j = 0; j < f->nfeat; j++) {
        size_t k = 0;
        while (k < navail && !(avail[k] && !strcmp(avail[k], f->features[j]))) k++;
        if (k < navail) { map[j] = (uint32_t)k; continue; }
        if (nmiss < 20) buf_printf(&missing, "%s%s", nmiss ? ", " : "", f->features[j]);
        nmiss++;
    }
    if (nmiss) {
        snprintf(err, errlen, "%s needs %zu feature%s the data does not have: %s%s (the model was trained on counter set '%s')",
                 name, nmiss, nmiss == 1 ? "" : "s", missing.data, nmiss > 20 ? ", ..." : "", f->counter_set);
        buf_free(&missing);
        return -1;
    }
    buf_free(&missing);
    return 0;
}

/* ------------------------------------------------------------------ writing */

/* The shortest of %.15g..%.17g that reads back as the same double: exact and deterministic
 * (cJSON's own printer accepts a 15-digit form that is only approximately equal). */
static cJSON *num(double v)
{
    char s[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (strtod(s, NULL) == v) break;
    }
    return cJSON_CreateRaw(s);
}

static cJSON *num_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, num(v[i]));
    return a;
}

static cJSON *int_array(const int32_t *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *str_array(char *const *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

char *pp_forest_to_json(const pp_forest *f)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", PP_FOREST_FORMAT);
    cJSON_AddNumberToObject(root, "version", PP_FOREST_VERSION);
    cJSON_AddStringToObject(root, "task", f->task == PP_TASK_CLASSIFY ? "classify" : "regress");
    cJSON_AddStringToObject(root, "counter_set", f->counter_set);
    cJSON_AddStringToObject(root, "target", f->target);
    cJSON_AddItemToObject(root, "features", str_array(f->features, f->nfeat));
    cJSON_AddItemToObject(root, "classes", str_array(f->classes, f->nclass));
    cJSON_AddItemToObject(root, "importances", num_array(f->importance, f->nfeat));
    cJSON *tr = cJSON_AddObjectToObject(root, "training");
    cJSON_AddNumberToObject(tr, "rows", (double)f->rows);
    cJSON_AddNumberToObject(tr, "seed", (double)f->seed);
    cJSON_AddNumberToObject(tr, "trees", f->ntrees);
    cJSON_AddNumberToObject(tr, "max_depth", f->max_depth);
    cJSON_AddNumberToObject(tr, "min_leaf", f->min_leaf);
    cJSON_AddNumberToObject(tr, "mtry", f->mtry);
    if (f->partition) cJSON_AddStringToObject(tr, "partition", f->partition);
    cJSON_AddStringToObject(tr, "class_weight", f->task == PP_TASK_CLASSIFY ? "balanced" : "none");
    if (isfinite(f->oob_score)) cJSON_AddItemToObject(tr, "oob_score", num(f->oob_score));
    else cJSON_AddNullToObject(tr, "oob_score");
    cJSON *trees = cJSON_AddArrayToObject(root, "trees");
    for (uint32_t t = 0; t < f->ntrees; t++) {
        const pp_tree *x = &f->trees[t];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "feature", int_array(x->feature, x->n));
        cJSON_AddItemToObject(o, "threshold", num_array(x->threshold, x->n));
        cJSON_AddItemToObject(o, "left", int_array(x->left, x->n));
        cJSON_AddItemToObject(o, "right", int_array(x->right, x->n));
        cJSON_AddItemToObject(o, "value", num_array(x->value, (size_t)x->n * f->nout));
        cJSON_AddItemToArray(trees, o);
    }
    /* Unformatted: a forest has ~10^5 numbers, and layout whitespace would double the file. */
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s) die("out of memory writing a model");
    size_t n = strlen(s);
    char *out = xmalloc(n + 2);
    memcpy(out, s, n);
    out[n] = '\n'; out[n + 1] = 0;
    cJSON_free(s);
    return out;
}

int pp_forest_save(const pp_forest *f, const char *path, char *err, size_t errlen)
{
    char *s = pp_forest_to_json(f);
    size_t n = strlen(s);
    size_t plen = strlen(path) + 16;
    char *tmp = xmalloc(plen);
    snprintf(tmp, plen, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) { snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno)); free(s); free(tmp); return -1; }
    /* mkstemp makes 0600; a model is a shareable artefact, so honour the umask like open() would */
    mode_t um = umask(0); umask(um);
    fchmod(fd, 0666 & ~um);
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, s + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    int bad = off < n, e = errno;
    if (close(fd) != 0 && !bad) { bad = 1; e = errno; }
    if (!bad && rename(tmp, path) != 0) { bad = 1; e = errno; }
    if (bad) { unlink(tmp); snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e)); }
    free(s); free(tmp);
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ loading (untrusted input) */

typedef struct lctx { const char *name; char *err; size_t errlen; } lctx;

__attribute__((format(printf, 2, 3)))
static int fail(lctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s", c->name, msg);
    return -1;
}

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

/* An integer held in a JSON number, within [lo, hi]. */
static int get_int(lctx *c, const cJSON *v, const char *what, double lo, double hi, int64_t *out)
{
    if (!cJSON_IsNumber(v)) return fail(c, "%s is missing or not a number", what);
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi)
        return fail(c, "%s = %.17g: expected an integer in [%.0f, %.0f]", what, d, lo, hi);
    *out = (int64_t)d;
    return 0;
}

static int get_name(lctx *c, const cJSON *v, const char *what, char **out)
{
    if (!cJSON_IsString(v) || !v->valuestring) return fail(c, "%s is missing or not a string", what);
    if (!name_ok(v->valuestring))
        return fail(c, "%s is not a usable name (1-%d printable ASCII characters, no spaces, commas, quotes or backslashes)", what, PP_FOREST_MAX_NAME);
    *out = xstrdup(v->valuestring);
    return 0;
}

static int get_names(lctx *c, const cJSON *a, const char *what, uint32_t min, uint32_t max, char ***out, uint32_t *n)
{
    if (!cJSON_IsArray(a)) return fail(c, "\"%s\" is missing or not an array", what);
    int sz = cJSON_GetArraySize(a);
    if (sz < 0 || (uint32_t)sz < min || (uint32_t)sz > max)
        return fail(c, "\"%s\" has %d entries (%u-%u allowed)", what, sz, min, max);
    *out = xcalloc((size_t)sz + 1, sizeof **out);
    *n = 0;
    char label[64];
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        snprintf(label, sizeof label, "%s[%u]", what, *n);
        if (get_name(c, v, label, &(*out)[*n]) != 0) return -1;
        for (uint32_t j = 0; j < *n; j++)
            if (!strcmp((*out)[j], (*out)[*n])) { (*n)++; return fail(c, "%s: '%s' appears twice", what, v->valuestring); }
        (*n)++;
    }
    return 0;
}

static int get_doubles(lctx *c, const cJSON *a, const char *what, size_t n, double *out)
{
    if (!cJSON_IsArray(a)) return fail(c, "%s is missing or not an array", what);
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (i >= n) return fail(c, "%s has more than the %zu entries expected", what, n);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return fail(c, "%s[%zu] is not a finite number", what, i);
        out[i++] = v->valuedouble;
    }
    if (i != n) return fail(c, "%s has %zu entries, expected %zu", what, i, n);
    return 0;
}

static int get_ints(lctx *c, const cJSON *a, const char *what, size_t n, int32_t lo, int32_t hi, int32_t *out)
{
    if (!cJSON_IsArray(a)) return fail(c, "%s is missing or not an array", what);
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (i >= n) return fail(c, "%s has more than the %zu entries expected", what, n);
        double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        if (!isfinite(d) || d != floor(d) || d < lo || d > hi)
            return fail(c, "%s[%zu] is not an integer in [%d, %d]", what, i, lo, hi);
        out[i++] = (int32_t)d;
    }
    if (i != n) return fail(c, "%s has %zu entries, expected %zu", what, i, n);
    return 0;
}

static int load_tree(lctx *c, const pp_forest *f, const cJSON *o, uint32_t t, pp_tree *tr)
{
    char what[96];
    if (!cJSON_IsObject(o)) return fail(c, "trees[%u] is not an object", t);
    const cJSON *fa = get(o, "feature");
    if (!cJSON_IsArray(fa)) return fail(c, "trees[%u].feature is missing or not an array", t);
    int n = cJSON_GetArraySize(fa);
    if (n < 1 || (uint32_t)n > PP_FOREST_MAX_NODES)
        return fail(c, "trees[%u] has %d nodes (1-%u allowed)", t, n, PP_FOREST_MAX_NODES);
    tr->n = (uint32_t)n;
    tr->feature = xmalloc((size_t)n * sizeof *tr->feature);
    tr->left = xmalloc((size_t)n * sizeof *tr->left);
    tr->right = xmalloc((size_t)n * sizeof *tr->right);
    tr->threshold = xmalloc((size_t)n * sizeof *tr->threshold);
    tr->value = xmalloc((size_t)n * f->nout * sizeof *tr->value);
    snprintf(what, sizeof what, "trees[%u].feature", t);
    if (get_ints(c, fa, what, (size_t)n, -1, (int32_t)f->nfeat - 1, tr->feature)) return -1;
    snprintf(what, sizeof what, "trees[%u].left", t);
    if (get_ints(c, get(o, "left"), what, (size_t)n, -1, n - 1, tr->left)) return -1;
    snprintf(what, sizeof what, "trees[%u].right", t);
    if (get_ints(c, get(o, "right"), what, (size_t)n, -1, n - 1, tr->right)) return -1;
    snprintf(what, sizeof what, "trees[%u].threshold", t);
    if (get_doubles(c, get(o, "threshold"), what, (size_t)n, tr->threshold)) return -1;
    snprintf(what, sizeof what, "trees[%u].value", t);
    if (get_doubles(c, get(o, "value"), what, (size_t)n * f->nout, tr->value)) return -1;

    /* A tree: children come after their parent (so no walk can loop) and every node but the
     * root has exactly one parent (so none is shared or unreachable). */
    unsigned char *parents = xcalloc((size_t)n, 1);
    int rc = 0;
    for (uint32_t i = 0; i < (uint32_t)n && !rc; i++) {
        int32_t fe = tr->feature[i], l = tr->left[i], r = tr->right[i];
        if (fe < 0) {
            if (l != -1 || r != -1) rc = fail(c, "trees[%u] node %u is a leaf (feature -1) but has children", t, i);
            continue;
        }
        if (l <= (int32_t)i || r <= (int32_t)i)
            rc = fail(c, "trees[%u] node %u: child %d does not come after its parent (a cycle or a broken tree)", t, i, l <= (int32_t)i ? l : r);
        else if (l == r)
            rc = fail(c, "trees[%u] node %u: both children are node %d", t, i, l);
        else if (parents[l]++ || parents[r]++)
            rc = fail(c, "trees[%u] node %d has two parents", t, parents[l] > 1 ? l : r);
    }
    for (uint32_t i = 1; i < (uint32_t)n && !rc; i++)
        if (!parents[i]) rc = fail(c, "trees[%u] node %u is not reachable from the root", t, i);
    free(parents);
    if (rc) return rc;
    if (f->task == PP_TASK_REGRESS)
        for (uint32_t i = 0; i < (uint32_t)n; i++)
            if (fabs(tr->value[i]) > PP_FOREST_MAX_TARGET)
                return fail(c, "trees[%u] node %u: value %g beyond +-%g", t, i, tr->value[i], PP_FOREST_MAX_TARGET);
    if (f->task == PP_TASK_CLASSIFY)
        for (uint32_t i = 0; i < (uint32_t)n; i++) {
            double s = 0;
            for (uint32_t k = 0; k < f->nout; k++) {
                double v = tr->value[(size_t)i * f->nout + k];
                if (v < 0 || v > 1) return fail(c, "trees[%u] node %u: probability %g outside [0, 1]", t, i, v);
                s += v;
            }
            if (fabs(s - 1) > 1e-6) return fail(c, "trees[%u] node %u: class probabilities sum to %.17g, not 1", t, i, s);
        }
    return 0;
}

pp_forest *pp_forest_parse(const char *data, size_t len, const char *name, char *err, size_t errlen)
{
    lctx c = { name ? name : "model", err, errlen };
    cJSON *root = cJSON_ParseWithLength(data, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= data && at <= data + len ? (size_t)(at - data) : 0;
        fail(&c, "not valid JSON (error near byte %zu)", off);
        return NULL;
    }
    pp_forest *f = xcalloc(1, sizeof *f);
    int64_t v;
    const cJSON *x;
    if (!cJSON_IsObject(root)) { fail(&c, "not a JSON object"); goto bad; }
    x = get(root, "format");
    if (!cJSON_IsString(x) || strcmp(x->valuestring, PP_FOREST_FORMAT)) { fail(&c, "not a phaseprof model (\"format\" is not \"%s\")", PP_FOREST_FORMAT); goto bad; }
    x = get(root, "version");
    if (!cJSON_IsNumber(x)) { fail(&c, "\"version\" is missing or not a number"); goto bad; }
    if (x->valuedouble != PP_FOREST_VERSION) { fail(&c, "model format version %.17g is not supported (this phaseprof reads version %d)", x->valuedouble, PP_FOREST_VERSION); goto bad; }
    x = get(root, "task");
    if (cJSON_IsString(x) && !strcmp(x->valuestring, "classify")) f->task = PP_TASK_CLASSIFY;
    else if (cJSON_IsString(x) && !strcmp(x->valuestring, "regress")) f->task = PP_TASK_REGRESS;
    else { fail(&c, "\"task\" must be \"classify\" or \"regress\""); goto bad; }
    if (get_name(&c, get(root, "counter_set"), "\"counter_set\"", &f->counter_set)) goto bad;
    if (get_name(&c, get(root, "target"), "\"target\"", &f->target)) goto bad;
    if (get_names(&c, get(root, "features"), "features", 1, PP_FOREST_MAX_FEATURES, &f->features, &f->nfeat)) goto bad;
    if (f->task == PP_TASK_CLASSIFY) {
        if (get_names(&c, get(root, "classes"), "classes", 1, PP_FOREST_MAX_CLASSES, &f->classes, &f->nclass)) goto bad;
        f->nout = f->nclass;
    } else {
        x = get(root, "classes");
        if (x && !(cJSON_IsArray(x) && cJSON_GetArraySize(x) == 0)) { fail(&c, "a regression model has no classes"); goto bad; }
        f->nout = 1;
    }
    f->importance = xcalloc(f->nfeat, sizeof *f->importance);
    if (get_doubles(&c, get(root, "importances"), "importances", f->nfeat, f->importance)) goto bad;
    for (uint32_t j = 0; j < f->nfeat; j++)
        if (f->importance[j] < 0) { fail(&c, "importances[%u] is negative", j); goto bad; }
    const cJSON *tr = get(root, "training");
    if (!cJSON_IsObject(tr)) { fail(&c, "\"training\" is missing or not an object"); goto bad; }
    if (get_int(&c, get(tr, "rows"), "training.rows", 0, 9007199254740992.0, &v)) goto bad;
    f->rows = (uint64_t)v;
    if (get_int(&c, get(tr, "seed"), "training.seed", 0, 9007199254740991.0, &v)) goto bad;
    f->seed = (uint64_t)v;
    if (get_int(&c, get(tr, "max_depth"), "training.max_depth", 0, 1e6, &v)) goto bad;
    f->max_depth = (uint32_t)v;
    if (get_int(&c, get(tr, "min_leaf"), "training.min_leaf", 0, 4294967295.0, &v)) goto bad;
    f->min_leaf = (uint32_t)v;
    if (get_int(&c, get(tr, "mtry"), "training.mtry", 0, PP_FOREST_MAX_FEATURES, &v)) goto bad;
    f->mtry = (uint32_t)v;
    x = get(tr, "partition");
    if (x && get_name(&c, x, "training.partition", &f->partition)) goto bad;
    x = get(tr, "oob_score");
    f->oob_score = cJSON_IsNumber(x) && isfinite(x->valuedouble) ? x->valuedouble : NAN;

    const cJSON *trees = get(root, "trees");
    if (!cJSON_IsArray(trees)) { fail(&c, "\"trees\" is missing or not an array"); goto bad; }
    int nt = cJSON_GetArraySize(trees);
    if (nt < 1 || nt > PP_FOREST_MAX_TREES) { fail(&c, "%d trees (1-%d allowed)", nt, PP_FOREST_MAX_TREES); goto bad; }
    if (get_int(&c, get(tr, "trees"), "training.trees", nt, nt, &v)) goto bad;
    f->trees = xcalloc((size_t)nt, sizeof *f->trees);
    f->ntrees = (uint32_t)nt;   /* freed up to here on error: unfilled trees are all NULL */
    uint32_t t = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, trees) {
        if (load_tree(&c, f, o, t, &f->trees[t])) goto bad;
        t++;
    }
    cJSON_Delete(root);
    return f;
bad:
    cJSON_Delete(root);
    pp_forest_free(f);
    return NULL;
}

pp_forest *pp_forest_load(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > PP_FOREST_MAX_FILE) {
        snprintf(err, errlen, "%s: %lld bytes is too large for a model (at most %u)", path, (long long)st.st_size, PP_FOREST_MAX_FILE);
        close(fd);
        return NULL;
    }
    size_t n = (size_t)st.st_size, off = 0;
    char *buf = xmalloc(n + 1);
    while (off < n) {
        ssize_t r = read(fd, buf + off, n - off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        off += (size_t)r;
    }
    close(fd);
    buf[off] = 0;
    pp_forest *f = off == n ? pp_forest_parse(buf, n, path, err, errlen) : NULL;
    if (off != n) snprintf(err, errlen, "%s: short read", path);
    free(buf);
    return f;
}
