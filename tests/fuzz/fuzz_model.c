/* libFuzzer target for the model loader (analyzer/forest.c): parses the input as a model file;
 * when it is accepted, predicts with it (probabilities or mean and interval, contributions, top
 * features, feature mapping) on a few vectors including NaN and huge values, then writes it back
 * and requires the written document to load again and to write the same bytes — a model the
 * loader accepts must be one the rest of phaseprof can use.  Built with
 * -fsanitize=fuzzer,address,undefined by tests/fuzz/run.sh. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "forest.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    pp_forest *f = pp_forest_parse((const char *)data, size, "fuzz.json", err, sizeof err);
    if (!f) {
        if (strncmp(err, "fuzz.json: ", 11)) { fprintf(stderr, "unnamed error: %s\n", err); abort(); }
        return 0;
    }
    double *x = xcalloc(f->nfeat, sizeof *x);
    double *bias = xcalloc(f->nout, sizeof *bias);
    double *con = xcalloc((size_t)f->nfeat * f->nout, sizeof *con);
    double proba[PP_FOREST_MAX_CLASSES];
    uint32_t idx[3];
    double val[3];
    const double fill[] = { 0, -1, 1e308, NAN, 0.5 };
    for (size_t k = 0; k < sizeof fill / sizeof fill[0]; k++) {
        for (uint32_t j = 0; j < f->nfeat; j++) x[j] = fill[k] * (double)(j + 1);
        if (f->task == PP_TASK_CLASSIFY) {
            int c = pp_forest_classify(f, x, proba);
            if (c < 0 || (uint32_t)c >= f->nclass) abort();
        } else {
            double lo, hi, m = pp_forest_regress(f, x, 0.1, &lo, &hi);
            double tol = 1e-9 * (fabs(lo) + fabs(hi)) + 1e-300;   /* a mean may round past the ends */
            if (!isfinite(m) || !(lo - tol <= m && m <= hi + tol)) abort();
        }
        pp_forest_contributions(f, x, bias, con);
        pp_forest_top_features(f, x, 0, 3, idx, val);
    }
    const char *avail[] = { "cpu_util", "io_frac", "alloc_frac", "wait_frac" };
    uint32_t *map = xcalloc(f->nfeat, sizeof *map);
    pp_forest_map_features(f, "fuzz.json", avail, 4, map, err, sizeof err);
    char *s1 = pp_forest_to_json(f);
    pp_forest *g = pp_forest_parse(s1, strlen(s1), "rewritten.json", err, sizeof err);
    if (!g) { fprintf(stderr, "rewritten model rejected: %s\n", err); abort(); }
    char *s2 = pp_forest_to_json(g);
    if (strcmp(s1, s2)) { fprintf(stderr, "rewriting is not stable\n"); abort(); }
    free(s1); free(s2); free(map); free(x); free(bias); free(con);
    pp_forest_free(g);
    pp_forest_free(f);
    return 0;
}
