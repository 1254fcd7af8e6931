/* Random forests of CART trees: the bottleneck classifier (which cost limits a phase) and the
 * speedup regressor (how much faster a cost gets with a fix), trained by `phaseprof train` and
 * loaded by the report.
 *
 * Training: every tree grows on a bootstrap sample of the rows (drawn with a PRNG of our own, so
 * a seed gives the same forest on every machine and libc), trying a random subset of the
 * features at each node (sqrt(p) to classify, p/3 to regress) and splitting on the threshold
 * that most reduces the weighted Gini impurity (classify; classes weighted "balanced", n /
 * (k * n_class), so a rare class is not drowned) or the variance (regress).  Splits stop at
 * max_depth, at min_leaf rows per child, or when a node is pure.
 *
 * Every node (not only leaves) keeps its value — the class distribution or the mean target of the
 * rows that reached it — so a prediction can be explained by walking its path: each split moves
 * the value from the parent's to the child's, and that change is charged to the split's feature
 * (Saabas' decomposition): prediction = root value + sum of the features' contributions, per tree
 * and so per forest.  Those are "the features that drove it"; the global importances are the
 * mean decrease in impurity, summed per feature at training and normalized to 1.
 *
 * Model files are JSON (cJSON), written with no date or host so the same data and seed give a
 * byte-identical file.  Loading treats the file as untrusted: every length, index, number and
 * name is checked, and a tree must be a tree (children after their parent, each node reached
 * once), so a hostile file gets an error naming the file and the fault, never a crash or a loop. */
#ifndef PHASEPROF_FOREST_H
#define PHASEPROF_FOREST_H

#include <stddef.h>
#include <stdint.h>

#define PP_FOREST_FORMAT  "phaseprof-forest"
#define PP_FOREST_VERSION 1
/* Limits a loaded model must respect (generous for anything we train; they bound the memory a
 * hostile file can make us use before its content is checked). */
#define PP_FOREST_MAX_TREES    10000
#define PP_FOREST_MAX_NODES    (1u << 22)  /* per tree */
#define PP_FOREST_MAX_FEATURES 4096
#define PP_FOREST_MAX_CLASSES  64
#define PP_FOREST_MAX_NAME     128         /* bytes in a feature, class or counter-set name */
#define PP_FOREST_MAX_FILE     (512u << 20)
#define PP_FOREST_MAX_TARGET   1e100       /* |regression value|: sums over trees cannot overflow */

typedef enum { PP_TASK_CLASSIFY = 0, PP_TASK_REGRESS = 1 } pp_task;

/* One tree as parallel arrays, nodes in pre-order (node 0 the root; children come after their
 * parent).  Internal node i: go to left[i] when x[feature[i]] <= threshold[i] (a NaN feature goes
 * right), else right[i].  Leaf: feature -1, left = right = -1.  value has nout entries per node:
 * the class distribution (summing to 1) or the mean target. */
typedef struct pp_tree {
    uint32_t n;
    int32_t *feature, *left, *right;
    double *threshold, *value;
} pp_tree;

typedef struct pp_forest {
    pp_task task;
    uint32_t nfeat, nclass;        /* nclass 0 when regressing */
    uint32_t nout;                 /* values per node: nclass, or 1 */
    char **features;               /* nfeat names */
    char **classes;                /* nclass names */
    char *counter_set;             /* "sw", "papi", ...: the counter backend the features came from */
    char *target;                  /* the label or target column's name */
    double *importance;            /* nfeat, mean decrease in impurity, sums to 1 (or all 0) */
    uint32_t ntrees;
    pp_tree *trees;
    /* training metadata (kept in the file; none of it changes a prediction) */
    uint64_t rows, seed;
    uint32_t max_depth, min_leaf, mtry;
    char *partition;               /* the feature split on first (pp_forest_params), or NULL */
    double oob_score;              /* OOB accuracy (classify) or R^2 (regress); NAN if unknown */
} pp_forest;

typedef struct pp_forest_params {
    pp_task task;
    uint32_t trees;                /* 0: 100 */
    uint64_t seed;
    uint32_t max_depth;            /* 0: 40 */
    uint32_t min_leaf;             /* 0: 1 to classify, 3 to regress */
    uint32_t mtry;                 /* 0: sqrt(p) to classify, max(1, p/3) to regress */
    int unweighted;                /* 1: no class weights (default: balanced) */
    /* A feature every tree splits on first, until each node holds one of its values: the rows of
     * one value then never share a leaf with another's (the speedup regressor's cost_kind: a
     * remaining fraction of I/O time and one of allocator time are not the same quantity).
     * NULL: none. */
    const char *partition;
} pp_forest_params;
#define PP_FOREST_MAX_PARTS 64      /* values a partition feature may take */

/* Out-of-bag results of training: for each row, the forest of the trees that did not see it. */
typedef struct pp_forest_oob {
    size_t rows_scored;            /* rows that were out of bag in at least one tree */
    double score;                  /* accuracy (classify) or R^2 (regress); NAN if none scored */
    double mae;                    /* regress: mean absolute error */
    int *pred;                     /* classify: per row, the OOB class, -1 if never out of bag */
    double *value;                 /* regress: per row, the OOB mean, NAN if never out of bag */
} pp_forest_oob;

/* Trains a forest on n rows of p features (x row-major, n*p, all finite).  Classify: y[i] is the
 * class index in [0, nclass) and class_names has nclass names; regress: y[i] is the target and
 * class_names/nclass are ignored.  feature_names has p names; counter_set and target name the
 * data (copied).  oob, if not NULL, is filled (free with pp_forest_oob_free).  NULL with a message
 * in err when the data cannot be trained on (no rows, a class with no rows is fine, names that a
 * model file could not hold). */
pp_forest *pp_forest_train(const double *x, const double *y, size_t n, uint32_t p,
                           const char *const *feature_names, const char *const *class_names,
                           uint32_t nclass, const char *counter_set, const char *target,
                           const pp_forest_params *params, pp_forest_oob *oob,
                           char *err, size_t errlen);
void pp_forest_oob_free(pp_forest_oob *o);
void pp_forest_free(pp_forest *f);

/* Classify: writes the class probabilities (mean of the trees' leaf distributions) to proba
 * (nclass entries, may be NULL) and returns the most probable class (the lowest index on a tie).
 * x has the model's nfeat features in its order (see pp_forest_map_features). */
int pp_forest_classify(const pp_forest *f, const double *x, double *proba);

/* Regress: the mean of the trees' predictions, and (lo, hi) the q-th and (1-q)-th quantiles of
 * the trees' predictions (q = 0.1 gives the 10th-90th percentile spread), any of them NULL. */
double pp_forest_regress(const pp_forest *f, const double *x, double q, double *lo, double *hi);

/* Per-prediction feature contributions (Saabas): bias[nout] = the mean root value, contrib[nfeat
 * * nout] (row j = feature j) so that for every output o:
 *   bias[o] + sum_j contrib[j*nout + o] == the forest's prediction for o
 * (a probability when classifying, the mean when regressing), up to rounding. */
void pp_forest_contributions(const pp_forest *f, const double *x, double *bias, double *contrib);

/* The k features that pushed output `out` (a class index; 0 when regressing) up the most, from
 * pp_forest_contributions: their indices in idx and contributions in val (both k long), sorted
 * from the largest; only positive contributions count.  Returns how many were written (<= k). */
size_t pp_forest_top_features(const pp_forest *f, const double *x, uint32_t out, size_t k,
                              uint32_t *idx, double *val);

/* Model files.  pp_forest_to_json returns a malloc'ed, NUL-terminated document; the same forest
 * always gives the same bytes.  pp_forest_save writes it (atomically: a temporary file renamed).
 * pp_forest_parse reads a document held in memory (name labels the errors: a path);
 * pp_forest_load reads a file.  Both return NULL with "NAME: what is wrong" in err. */
char *pp_forest_to_json(const pp_forest *f);
int pp_forest_save(const pp_forest *f, const char *path, char *err, size_t errlen);
pp_forest *pp_forest_parse(const char *data, size_t len, const char *name, char *err, size_t errlen);
pp_forest *pp_forest_load(const char *path, char *err, size_t errlen);

/* Matches the model's features to those a trace (or a CSV) provides: map[j] = the index in
 * avail of the model's feature j.  Returns 0, or -1 with "MODEL needs features the data does not
 * have: a, b (counter set X)" in err, naming every missing one.  name labels the message. */
int pp_forest_map_features(const pp_forest *f, const char *name, const char *const *avail,
                           size_t navail, uint32_t *map, char *err, size_t errlen);

/* Class index by name, -1 if none. */
int pp_forest_class_index(const pp_forest *f, const char *name);

#endif
