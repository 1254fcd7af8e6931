/* `phaseprof train`: trains the bottleneck classifier or the speedup regressor (analyzer/forest.c)
 * from a labelled CSV, and evaluates it leaving one group (one workload generator, or one kind of
 * fix) out at a time — the figures models/README.md reports.
 *
 * The CSV is the user's interface as much as ours (anyone can label their own runs), so its rules
 * are printed by --help and every complaint names the file, the line and the column. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "forest.h"
#include "util.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f,
"usage: phaseprof train --data CSV --out MODEL [options]\n"
"       phaseprof train --data CSV --evaluate [--out MODEL] [options]\n"
"\n"
"Trains a random forest of CART trees from labelled rows: the bottleneck classifier\n"
"(--task classify: cpu / memory / io / alloc / wait ...) or the speedup regressor (--task\n"
"regress: a number such as how much faster a cost becomes with a fix).  The same data and\n"
"seed always give a byte-identical model file.  Prints the training accuracy and the\n"
"out-of-bag estimate (each row predicted by the trees that did not see it).\n"
"\n"
"options:\n"
"  --data CSV          training rows (format below)\n"
"  --out MODEL         where to write the model (JSON)\n"
"  --task T            classify (default) or regress\n"
"  --trees N           trees in the forest (default 100)\n"
"  --seed N            random seed, below 2^53 (default 1)\n"
"  --label COLUMN      the label (classify) or target (regress) column\n"
"                      (default: 'label' to classify, 'target' to regress)\n"
"  --group COLUMN      the column naming each row's group, for --evaluate (default 'group')\n"
"  --counter-set NAME  keep only rows whose counter_set column is NAME; names the model's\n"
"                      counter set (default: the column's single value, else 'sw')\n"
"  --classes A,B,...   keep only rows with these labels, in this class order (default: all\n"
"                      labels, sorted)\n"
"  --map FROM=TO,...   relabel before training, e.g. memory=cpu for software counters, which\n"
"                      cannot tell memory-bound from compute-bound\n"
"  --ignore COL,...    more columns that are not features\n"
"  --min-leaf N        fewest rows in a leaf (default 1 to classify, 3 to regress)\n"
"  --max-depth N       deepest a tree may grow (default 40)\n"
"  --mtry N            features tried per split (default sqrt(p) to classify, p/3 to regress)\n"
"  --partition COLUMN  a feature every tree splits on first, until each node holds one of its\n"
"                      values: rows of one value never share a leaf with another's (the\n"
"                      speedup regressor: cost_kind)\n"
"  --evaluate          leave-one-group-out: for each group, train on all other groups and\n"
"                      predict its rows; prints per-class precision, recall and F1, macro-F1,\n"
"                      the confusion matrix and a plain baseline (classify), or the absolute\n"
"                      and percentage errors and the interval's coverage (regress)\n"
"  --baseline C=F,...  the baseline's rule: predict the class C whose feature F is largest\n"
"                      (default cpu=cpu_util,io=io_frac,alloc=alloc_frac,wait=wait_frac, over\n"
"                      those present)\n"
"  --predictions FILE  with --evaluate: write every held-out prediction as CSV\n"
"  -q, --quiet         no progress on stderr\n"
"\n"
"CSV format (one row per phase; RFC 4180: commas, \"quoted\" fields, a header row first):\n"
"  label        the class name (classify), e.g. cpu, memory, io, alloc, wait\n"
"  target       the number to predict (regress), e.g. a fix factor\n"
"  group        which generator or kind of fix the row came from: rows of one group are\n"
"               held out together by --evaluate (also usable: workload)\n"
"  workload     free text naming the run (not a feature)\n"
"  counter_set  the counter backend the features came from (sw, papi); one model per set\n"
"  any other    a numeric feature, named as in `phaseprof export --format csv` windows\n"
"               (cpu_util, io_frac, alloc_calls_ps, ...): a phase's mean of its windows.\n"
"               An empty cell, nan or NA is missing: a column missing in every row is not\n"
"               a feature (e.g. hardware counters on a machine without them); a column\n"
"               missing in some rows is an error.  Lines starting with # are comments.\n"
"\n"
"The model keeps the feature names; `phaseprof report` refuses a model whose features the\n"
"traces cannot give, naming the missing ones.\n");
}

/* ------------------------------------------------------------------ CSV */

typedef struct csv {
    char **header;
    size_t ncols, nrows;
    char **cell;                   /* nrows * ncols, owned */
    size_t *line;                  /* the file line of each row */
} csv;

static void csv_free(csv *c)
{
    for (size_t i = 0; i < c->ncols; i++) free(c->header[i]);
    for (size_t i = 0; i < c->nrows * c->ncols; i++) free(c->cell[i]);
    free(c->header); free(c->cell); free(c->line);
}

/* Splits one record starting at *pp (quoted fields may span lines); returns the fields. */
static char **csv_record(const char **pp, const char *end, size_t *nf, size_t *lineno, const char *path)
{
    const char *p = *pp;
    char **f = NULL;
    size_t n = 0, cap = 0;
    pp_buf b;
    buf_init(&b);
    for (;;) {
        buf_clear(&b);
        if (p < end && *p == '"') {
            size_t start_line = *lineno;
            p++;
            for (;;) {
                if (p >= end) die("%s:%zu: a quoted field is not closed", path, start_line);
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') { buf_putc(&b, '"'); p += 2; continue; }
                    p++;
                    break;
                }
                if (*p == '\n') (*lineno)++;
                buf_putc(&b, *p++);
            }
            if (p < end && *p != ',' && *p != '\n' && *p != '\r')
                die("%s:%zu: text after a closing quote", path, *lineno);
        } else {
            while (p < end && *p != ',' && *p != '\n' && *p != '\r') buf_putc(&b, *p++);
        }
        xgrow((void **)&f, &cap, n + 1, sizeof *f);
        f[n++] = buf_take(&b);
        if (p < end && *p == ',') { p++; continue; }
        break;
    }
    if (p < end && *p == '\r') p++;
    if (p < end && *p == '\n') { p++; (*lineno)++; }
    *pp = p;
    *nf = n;
    buf_free(&b);
    return f;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    return s;
}

static void csv_read(const char *path, csv *c)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) die("%s: cannot open: %s", path, strerror(errno));
    pp_buf all;
    buf_init(&all);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) buf_put(&all, chunk, got);
    if (ferror(fp)) die("%s: read error", path);
    fclose(fp);
    if (memchr(all.data, 0, all.len)) die("%s: contains NUL bytes: not a CSV file", path);
    memset(c, 0, sizeof *c);
    const char *p = all.data, *end = all.data + all.len;
    size_t lineno = 1, cap = 0, lcap = 0;
    while (p < end) {
        size_t at = lineno;
        if (*p == '#' || *p == '\n' || *p == '\r') {   /* comment or blank line */
            while (p < end && *p != '\n') p++;
            if (p < end) { p++; lineno++; }
            continue;
        }
        size_t nf;
        char **f = csv_record(&p, end, &nf, &lineno, path);
        for (size_t i = 0; i < nf; i++) {
            char *t = trim(f[i]);
            if (t != f[i]) memmove(f[i], t, strlen(t) + 1);
        }
        if (!c->header) {
            c->header = f;
            c->ncols = nf;
            for (size_t i = 0; i < nf; i++) {
                if (!f[i][0]) die("%s:%zu: header column %zu has no name", path, at, i + 1);
                for (size_t j = 0; j < i; j++)
                    if (!strcmp(f[i], f[j])) die("%s:%zu: column '%s' appears twice in the header", path, at, f[i]);
            }
            continue;
        }
        if (nf != c->ncols) die("%s:%zu: %zu fields, but the header has %zu", path, at, nf, c->ncols);
        xgrow((void **)&c->cell, &cap, (c->nrows + 1) * c->ncols, sizeof *c->cell);
        xgrow((void **)&c->line, &lcap, c->nrows + 1, sizeof *c->line);
        memcpy(c->cell + c->nrows * c->ncols, f, nf * sizeof *f);
        c->line[c->nrows++] = at;
        free(f);
    }
    buf_free(&all);
    if (!c->header) die("%s: empty: no header row", path);
    if (!c->nrows) die("%s: a header but no rows", path);
}

static int csv_col(const csv *c, const char *name)
{
    for (size_t i = 0; i < c->ncols; i++) if (!strcmp(c->header[i], name)) return (int)i;
    return -1;
}

static int is_missing(const char *s)
{
    return !*s || !strcasecmp(s, "nan") || !strcasecmp(s, "na") || !strcasecmp(s, "-nan");
}

/* ------------------------------------------------------------------ lists */

typedef struct strlist { char **v; size_t n, cap; } strlist;

static void sl_add(strlist *l, const char *s)
{
    xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = xstrdup(s);
}
static long sl_find(const strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++) if (!strcmp(l->v[i], s)) return (long)i;
    return -1;
}
static void sl_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}
static void sl_split(strlist *l, const char *s)
{
    char *d = xstrdup(s), *save = NULL;
    for (char *t = strtok_r(d, ",", &save); t; t = strtok_r(NULL, ",", &save)) if (*t) sl_add(l, t);
    free(d);
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ------------------------------------------------------------------ the data set */

typedef struct dataset {
    size_t n;                      /* rows kept */
    uint32_t p;
    double *x, *y;                 /* n*p, n */
    strlist feat, classes;
    char **group;                  /* per row, NULL without a group column */
    size_t *line;                  /* per row, its CSV line */
    char *counter_set, *target;
} dataset;

static void ds_free(dataset *d)
{
    free(d->x); free(d->y); free(d->line);
    for (size_t i = 0; d->group && i < d->n; i++) free(d->group[i]);
    free(d->group);
    sl_free(&d->feat); sl_free(&d->classes);
    free(d->counter_set); free(d->target);
}

typedef struct opts {
    const char *data, *out, *label, *group, *counter_set, *predictions;
    pp_task task;
    strlist classes, map, ignore, baseline;
    pp_forest_params fp;
    int evaluate, quiet;
} opts;

static void load_dataset(const opts *o, dataset *d)
{
    csv c;
    csv_read(o->data, &c);
    memset(d, 0, sizeof *d);
    int cls = o->task == PP_TASK_CLASSIFY;
    const char *label = o->label ? o->label : cls ? "label" : "target";
    int lc = csv_col(&c, label);
    if (lc < 0) die("%s: no '%s' column (the %s; --label names another)", o->data, label, cls ? "class label" : "target value");
    int gc = csv_col(&c, o->group ? o->group : "group");
    if (gc < 0 && !o->group) gc = csv_col(&c, "workload");
    if (o->group && gc < 0) die("%s: no '%s' column (--group)", o->data, o->group);
    int cc = csv_col(&c, "counter_set");

    /* rows kept: counter set filter, relabel, class filter */
    unsigned char *keep = xcalloc(c.nrows, 1);
    char **lab = xcalloc(c.nrows, sizeof *lab);
    strlist sets = {0}, seen = {0};
    size_t dropped_set = 0, dropped_class = 0;
    for (size_t r = 0; r < c.nrows; r++) {
        char **row = c.cell + r * c.ncols;
        if (cc >= 0) {
            if (o->counter_set && strcmp(row[cc], o->counter_set)) { dropped_set++; continue; }
            if (sl_find(&sets, row[cc]) < 0) sl_add(&sets, row[cc]);
        }
        const char *l = row[lc];
        for (size_t m = 0; m < o->map.n; m++) {
            const char *eq = strchr(o->map.v[m], '=');
            if (eq && strlen(l) == (size_t)(eq - o->map.v[m]) && !strncmp(l, o->map.v[m], (size_t)(eq - o->map.v[m]))) { l = eq + 1; break; }
        }
        if (cls) {
            if (!*l) die("%s:%zu: empty label", o->data, c.line[r]);
            if (o->classes.n && sl_find(&o->classes, l) < 0) { dropped_class++; continue; }
            if (sl_find(&seen, l) < 0) sl_add(&seen, l);
        }
        lab[r] = xstrdup(l);
        keep[r] = 1;
    }
    if (sets.n > 1) {
        pp_buf b;
        buf_init(&b);
        for (size_t i = 0; i < sets.n; i++) buf_printf(&b, "%s%s", i ? ", " : "", sets.v[i]);
        for (size_t r = 0; r < c.nrows; r++) free(lab[r]);
        free(lab); free(keep);   /* (LSan would report them: die() exits with no pointer left) */
        die("%s: rows from several counter sets (%s): one model per counter set, choose one with --counter-set", o->data, b.data);
    }
    d->counter_set = xstrdup(o->counter_set ? o->counter_set : sets.n ? sets.v[0] : "sw");
    d->target = xstrdup(label);
    if (cls) {
        if (o->classes.n) for (size_t i = 0; i < o->classes.n; i++) sl_add(&d->classes, o->classes.v[i]);
        else {
            qsort(seen.v, seen.n, sizeof *seen.v, cmp_str);
            for (size_t i = 0; i < seen.n; i++) sl_add(&d->classes, seen.v[i]);
        }
    }
    for (size_t r = 0; r < c.nrows; r++) d->n += keep[r];
    if (!d->n) die("%s: no rows left after the --counter-set/--classes filters", o->data);
    if (!o->quiet && (dropped_set || dropped_class))
        fprintf(stderr, "train: %zu rows of another counter set and %zu of other classes left out\n", dropped_set, dropped_class);

    /* feature columns: all but the reserved and ignored ones, and those missing everywhere */
    static const char *reserved[] = { "label", "target", "group", "workload", "counter_set" };
    long *fc = xcalloc(c.ncols, sizeof *fc);
    for (size_t j = 0; j < c.ncols; j++) {
        const char *h = c.header[j];
        int skip = (int)j == lc || (int)j == gc || sl_find(&o->ignore, h) >= 0;
        for (size_t k = 0; k < sizeof reserved / sizeof *reserved; k++) skip |= !strcmp(h, reserved[k]);
        if (skip) continue;
        size_t missing = 0, first_missing = 0;
        for (size_t r = 0; r < c.nrows; r++) {
            if (!keep[r]) continue;
            if (is_missing(c.cell[r * c.ncols + j])) { if (!missing++) first_missing = c.line[r]; }
        }
        if (missing == d->n) {
            if (!o->quiet) fprintf(stderr, "train: column '%s' is empty in every row: not a feature\n", h);
            continue;
        }
        if (missing)
            die("%s:%zu: column '%s' has no value here (%zu of %zu rows lack it): fill it, or --ignore it",
                o->data, first_missing, h, missing, d->n);
        fc[d->feat.n] = (long)j;
        sl_add(&d->feat, h);
    }
    if (!d->feat.n) die("%s: no feature columns", o->data);
    if (d->feat.n > PP_FOREST_MAX_FEATURES) die("%s: %zu feature columns (at most %d)", o->data, d->feat.n, PP_FOREST_MAX_FEATURES);
    d->p = (uint32_t)d->feat.n;
    d->x = xmalloc(d->n * d->p * sizeof *d->x);
    d->y = xmalloc(d->n * sizeof *d->y);
    d->line = xmalloc(d->n * sizeof *d->line);
    if (gc >= 0) d->group = xcalloc(d->n, sizeof *d->group);
    size_t k = 0;
    for (size_t r = 0; r < c.nrows; r++) {
        if (!keep[r]) continue;
        char **row = c.cell + r * c.ncols;
        for (uint32_t j = 0; j < d->p; j++) {
            const char *s = row[fc[j]];
            char *e;
            errno = 0;
            double v = strtod(s, &e);
            if (e == s || *e || !isfinite(v))
                die("%s:%zu: column '%s' = '%s' is not a finite number (if it is not a feature, --ignore it)",
                    o->data, c.line[r], d->feat.v[j], s);
            d->x[k * d->p + j] = v;
        }
        if (cls) d->y[k] = (double)sl_find(&d->classes, lab[r]);
        else {
            char *e;
            double v = strtod(lab[r], &e);
            if (e == lab[r] || *e || !isfinite(v)) die("%s:%zu: target '%s' = '%s' is not a finite number", o->data, c.line[r], label, lab[r]);
            d->y[k] = v;
        }
        if (d->group) {
            if (!row[gc][0]) die("%s:%zu: empty group", o->data, c.line[r]);
            d->group[k] = xstrdup(row[gc]);
        }
        d->line[k] = c.line[r];
        k++;
    }
    for (size_t r = 0; r < c.nrows; r++) free(lab[r]);
    free(lab); free(keep); free(fc);
    sl_free(&sets); sl_free(&seen);
    csv_free(&c);
}

static pp_forest *train(const opts *o, const dataset *d, const size_t *rows, size_t n, pp_forest_oob *oob)
{
    double *x = xmalloc(n * d->p * sizeof *x), *y = xmalloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        memcpy(x + i * d->p, d->x + rows[i] * d->p, d->p * sizeof *x);
        y[i] = d->y[rows[i]];
    }
    char err[512];
    pp_forest_params fp = o->fp;
    fp.task = o->task;
    pp_forest *f = pp_forest_train(x, y, n, d->p, (const char *const *)d->feat.v, (const char *const *)d->classes.v,
                                   (uint32_t)d->classes.n, d->counter_set, d->target, &fp, oob, err, sizeof err);
    free(x); free(y);
    if (!f) die("%s: %s", o->data, err);
    return f;
}

/* ------------------------------------------------------------------ reports */

/* Precision, recall, F1 per class and their macro mean over the classes with true rows. */
static double print_confusion(const dataset *d, const size_t *conf, const char *title)
{
    size_t K = d->classes.n, total = 0, right = 0;
    double f1sum = 0;
    size_t f1n = 0;
    printf("%s\n  %-10s %9s %9s %9s %7s\n", title, "class", "precision", "recall", "F1", "rows");
    for (size_t c = 0; c < K; c++) {
        size_t tp = conf[c * K + c], rowsum = 0, colsum = 0;
        for (size_t k = 0; k < K; k++) { rowsum += conf[c * K + k]; colsum += conf[k * K + c]; }
        total += rowsum; right += tp;
        double prec = colsum ? (double)tp / (double)colsum : 0, rec = rowsum ? (double)tp / (double)rowsum : 0;
        double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
        if (rowsum) { f1sum += f1; f1n++; }
        printf("  %-10s %9.3f %9.3f %9.3f %7zu\n", d->classes.v[c], prec, rec, f1, rowsum);
    }
    double macro = f1n ? f1sum / (double)f1n : 0;
    printf("  macro-F1 %.3f over %zu classes, accuracy %.3f (%zu of %zu)\n", macro, f1n,
           total ? (double)right / (double)total : 0, right, total);
    printf("  confusion (rows: true class, columns: predicted)\n  %-10s", "");
    for (size_t c = 0; c < K; c++) printf(" %7.7s", d->classes.v[c]);
    printf("\n");
    for (size_t c = 0; c < K; c++) {
        printf("  %-10s", d->classes.v[c]);
        for (size_t k = 0; k < K; k++) printf(" %7zu", conf[c * K + k]);
        printf("\n");
    }
    return macro;
}

static double macro_f1(const size_t *conf, size_t K)
{
    double s = 0;
    size_t n = 0;
    for (size_t c = 0; c < K; c++) {
        size_t tp = conf[c * K + c], rs = 0, cs = 0;
        for (size_t k = 0; k < K; k++) { rs += conf[c * K + k]; cs += conf[k * K + c]; }
        if (!rs) continue;
        double p = cs ? (double)tp / (double)cs : 0, r = (double)tp / (double)rs;
        s += p + r > 0 ? 2 * p * r / (p + r) : 0;
        n++;
    }
    return n ? s / (double)n : 0;
}

static void print_importances(const pp_forest *f)
{
    uint32_t *ord = xmalloc(f->nfeat * sizeof *ord);
    for (uint32_t j = 0; j < f->nfeat; j++) ord[j] = j;
    for (uint32_t a = 1; a < f->nfeat; a++)          /* insertion sort, stable: ties by column */
        for (uint32_t b = a; b > 0 && f->importance[ord[b]] > f->importance[ord[b - 1]]; b--) {
            uint32_t t = ord[b]; ord[b] = ord[b - 1]; ord[b - 1] = t;
        }
    printf("feature importances (mean decrease in impurity):");
    for (uint32_t j = 0; j < f->nfeat && j < 10; j++) printf("%s %s %.3f", j ? "," : "", f->features[ord[j]], f->importance[ord[j]]);
    printf("\n");
    free(ord);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *v, size_t n)
{
    if (!n) return NAN;
    qsort(v, n, sizeof *v, cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The baseline rule: the class whose time-share feature is largest. */
typedef struct baseline { size_t n; size_t cls[PP_FOREST_MAX_CLASSES]; uint32_t feat[PP_FOREST_MAX_CLASSES]; pp_buf desc; } baseline;

static void baseline_setup(const opts *o, const dataset *d, baseline *bl)
{
    memset(bl, 0, sizeof *bl);
    buf_init(&bl->desc);
    strlist rules = {0};
    if (o->baseline.n) for (size_t i = 0; i < o->baseline.n; i++) sl_add(&rules, o->baseline.v[i]);
    else sl_split(&rules, "cpu=cpu_util,io=io_frac,alloc=alloc_frac,wait=wait_frac");
    for (size_t i = 0; i < rules.n && bl->n < PP_FOREST_MAX_CLASSES; i++) {
        char *eq = strchr(rules.v[i], '=');
        if (!eq) die("--baseline: '%s' is not CLASS=FEATURE", rules.v[i]);
        *eq = 0;
        long c = sl_find(&d->classes, rules.v[i]), f = sl_find(&d->feat, eq + 1);
        if (c < 0 || f < 0) {
            if (o->baseline.n) die("--baseline: %s '%s' is not in the data", c < 0 ? "class" : "feature", c < 0 ? rules.v[i] : eq + 1);
            continue;
        }
        bl->cls[bl->n] = (size_t)c;
        bl->feat[bl->n++] = (uint32_t)f;
        buf_printf(&bl->desc, "%s%s=%s", bl->n > 1 ? "," : "", rules.v[i], eq + 1);
    }
    sl_free(&rules);
}

static size_t baseline_predict(const baseline *bl, const double *x)
{
    size_t best = 0;
    for (size_t i = 1; i < bl->n; i++) if (x[bl->feat[i]] > x[bl->feat[best]]) best = i;
    return bl->cls[best];
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) { fputs(s, f); return; }
    fputc('"', f);
    for (; *s; s++) { if (*s == '"') fputc('"', f); fputc(*s, f); }
    fputc('"', f);
}

static int evaluate(const opts *o, const dataset *d)
{
    if (!d->group) die("%s: --evaluate needs a group column (group or workload; --group names another)", o->data);
    strlist groups = {0};
    for (size_t i = 0; i < d->n; i++) if (sl_find(&groups, d->group[i]) < 0) sl_add(&groups, d->group[i]);
    qsort(groups.v, groups.n, sizeof *groups.v, cmp_str);
    if (groups.n < 2) die("%s: --evaluate needs at least two groups (found %zu)", o->data, groups.n);
    int cls = o->task == PP_TASK_CLASSIFY;
    size_t K = d->classes.n;
    size_t *conf = cls ? xcalloc(K * K, sizeof *conf) : NULL, *bconf = cls ? xcalloc(K * K, sizeof *bconf) : NULL;
    baseline bl;
    if (cls) baseline_setup(o, d, &bl);
    int use_bl = cls && bl.n >= 2;
    double *ape = xmalloc(d->n * sizeof *ape), *ape_amdahl = NULL, sae = 0;
    size_t nape = 0, covered = 0, nreg = 0;
    (void)ape_amdahl;
    FILE *pf = NULL;
    if (o->predictions) {
        pf = fopen(o->predictions, "w");
        if (!pf) die("%s: cannot create: %s", o->predictions, strerror(errno));
        fprintf(pf, "line,group,truth,predicted");
        if (cls) { for (size_t c = 0; c < K; c++) fprintf(pf, ",p_%s", d->classes.v[c]); if (use_bl) fprintf(pf, ",baseline"); }
        else fprintf(pf, ",low,high");
        fprintf(pf, "\n");
    }
    size_t *tr = xmalloc(d->n * sizeof *tr);
    double proba[PP_FOREST_MAX_CLASSES];
    printf("leave-one-group-out evaluation: %zu rows, %zu groups, %u features, counter set %s\n",
           d->n, groups.n, d->p, d->counter_set);
    printf("  %-28s %5s %s\n", "held-out group", "rows", cls ? "accuracy  (most common prediction)" : "median APE  MAE");
    for (size_t g = 0; g < groups.n; g++) {
        size_t ntr = 0;
        for (size_t i = 0; i < d->n; i++) if (strcmp(d->group[i], groups.v[g])) tr[ntr++] = i;
        if (!o->quiet && isatty(2)) fprintf(stderr, "\rtrain: evaluating %zu/%zu ", g + 1, groups.n);
        if (cls) {
            /* a class seen only in this group cannot be learnt from the others: still trained with
             * its (absent) index so confusion rows stay aligned */
        }
        pp_forest *f = train(o, d, tr, ntr, NULL);
        size_t nte = 0, right = 0;
        size_t *pc = cls ? xcalloc(K, sizeof *pc) : NULL;
        double *gape = xmalloc(d->n * sizeof *gape), gae = 0;
        size_t ngape = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (!strcmp(d->group[i], groups.v[g])) {
                const double *x = d->x + i * d->p;
                nte++;
                if (pf) { fprintf(pf, "%zu,", d->line[i]); csv_field(pf, d->group[i]); }
                if (cls) {
                    int c = pp_forest_classify(f, x, proba);
                    size_t t = (size_t)d->y[i];
                    conf[t * K + (size_t)c]++;
                    pc[c]++;
                    right += (size_t)c == t;
                    size_t b = use_bl ? baseline_predict(&bl, x) : 0;
                    if (use_bl) bconf[t * K + b]++;
                    if (pf) {
                        fprintf(pf, ",%s,%s", d->classes.v[t], d->classes.v[c]);
                        for (size_t k = 0; k < K; k++) fprintf(pf, ",%.4f", proba[k]);
                        if (use_bl) fprintf(pf, ",%s", d->classes.v[b]);
                    }
                } else {
                    double lo, hi, m = pp_forest_regress(f, x, 0.1, &lo, &hi), t = d->y[i];
                    nreg++;
                    sae += fabs(m - t); gae += fabs(m - t);
                    covered += t >= lo && t <= hi;
                    if (t != 0) { ape[nape++] = fabs(m - t) / fabs(t); gape[ngape++] = fabs(m - t) / fabs(t); }
                    if (pf) fprintf(pf, ",%.17g,%.6g,%.6g,%.6g", t, m, lo, hi);
                }
                if (pf) fprintf(pf, "\n");
            }
        }
        if (cls) {
            size_t top = 0;
            for (size_t c = 1; c < K; c++) if (pc[c] > pc[top]) top = c;
            printf("  %-28.28s %5zu %8.3f  (%s)\n", groups.v[g], nte, (double)right / (double)nte, d->classes.v[top]);
        } else {
            printf("  %-28.28s %5zu %9.1f%%  %.4g\n", groups.v[g], nte, 100 * median(gape, ngape), gae / (double)nte);
        }
        free(pc); free(gape);
        pp_forest_free(f);
    }
    if (!o->quiet && isatty(2)) fprintf(stderr, "\r%40s\r", "");
    if (cls) {
        printf("\n");
        double mf = print_confusion(d, conf, "random forest (each group predicted by a forest that never saw it):");
        if (use_bl) {
            printf("\n");
            char title[512];
            snprintf(title, sizeof title, "baseline: the class with the largest time share (%s):", bl.desc.data);
            double mb = print_confusion(d, bconf, title);
            printf("\nmacro-F1: forest %.3f, baseline %.3f: %s\n", mf, mb,
                   mf > mb ? "the forest beats the baseline"
                   : mf == mb ? "THE FOREST DOES NOT BEAT THE BASELINE (they tie)" : "THE FOREST DOES NOT BEAT THE BASELINE");
        } else {
            printf("\nbaseline: not available (it needs at least two of cpu_util, io_frac, alloc_frac, wait_frac with their classes, or --baseline)\n");
        }
        (void)macro_f1;
    } else {
        printf("\nover %zu held-out rows: median absolute percentage error %.1f%%, mean absolute error %.4g,\n"
               "10th-90th percentile interval of the trees holds the truth for %.0f%% of rows\n",
               nreg, 100 * median(ape, nape), sae / (double)nreg, 100.0 * (double)covered / (double)nreg);
    }
    if (pf && fclose(pf) != 0) die("%s: write error", o->predictions);
    free(tr); free(conf); free(bconf); free(ape);
    if (cls) buf_free(&bl.desc);
    sl_free(&groups);
    return 0;
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t max)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (!*s || *e || errno || v > max || s[0] == '-') die("%s: '%s' is not a whole number from 0 to %llu", opt, s, (unsigned long long)max);
    return v;
}

int cmd_train(int argc, char **argv)
{
    opts o = { .task = PP_TASK_CLASSIFY };
    o.fp.seed = 1;
    enum { O_DATA = 256, O_OUT, O_TASK, O_TREES, O_SEED, O_LABEL, O_GROUP, O_CSET, O_CLASSES, O_MAP,
           O_IGNORE, O_MINLEAF, O_MAXDEPTH, O_MTRY, O_EVAL, O_BASELINE, O_PRED, O_PART };
    static const struct option lo[] = {
        { "data", 1, 0, O_DATA }, { "out", 1, 0, O_OUT }, { "task", 1, 0, O_TASK }, { "trees", 1, 0, O_TREES },
        { "seed", 1, 0, O_SEED }, { "label", 1, 0, O_LABEL }, { "group", 1, 0, O_GROUP },
        { "counter-set", 1, 0, O_CSET }, { "classes", 1, 0, O_CLASSES }, { "map", 1, 0, O_MAP },
        { "ignore", 1, 0, O_IGNORE }, { "min-leaf", 1, 0, O_MINLEAF }, { "max-depth", 1, 0, O_MAXDEPTH },
        { "mtry", 1, 0, O_MTRY }, { "evaluate", 0, 0, O_EVAL }, { "baseline", 1, 0, O_BASELINE },
        { "predictions", 1, 0, O_PRED }, { "partition", 1, 0, O_PART }, { "quiet", 0, 0, 'q' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+hq", lo, NULL)) != -1) {
        switch (c) {
        case O_DATA: o.data = optarg; break;
        case O_OUT: o.out = optarg; break;
        case O_TASK:
            if (!strcmp(optarg, "classify")) o.task = PP_TASK_CLASSIFY;
            else if (!strcmp(optarg, "regress")) o.task = PP_TASK_REGRESS;
            else { fprintf(stderr, "phaseprof train: --task is classify or regress, not '%s'\n", optarg); return EXIT_USAGE; }
            break;
        case O_TREES: o.fp.trees = (uint32_t)parse_u64("--trees", optarg, PP_FOREST_MAX_TREES); if (!o.fp.trees) die("--trees: at least 1"); break;
        case O_SEED: o.fp.seed = parse_u64("--seed", optarg, (1ull << 53) - 1); break;
        case O_LABEL: o.label = optarg; break;
        case O_GROUP: o.group = optarg; break;
        case O_CSET: o.counter_set = optarg; break;
        case O_CLASSES: sl_split(&o.classes, optarg); break;
        case O_MAP: sl_split(&o.map, optarg); break;
        case O_IGNORE: sl_split(&o.ignore, optarg); break;
        case O_MINLEAF: o.fp.min_leaf = (uint32_t)parse_u64("--min-leaf", optarg, 1000000); break;
        case O_MAXDEPTH: o.fp.max_depth = (uint32_t)parse_u64("--max-depth", optarg, 64); break;
        case O_MTRY: o.fp.mtry = (uint32_t)parse_u64("--mtry", optarg, PP_FOREST_MAX_FEATURES); break;
        case O_EVAL: o.evaluate = 1; break;
        case O_BASELINE: sl_split(&o.baseline, optarg); break;
        case O_PRED: o.predictions = optarg; break;
        case O_PART: o.fp.partition = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) { fprintf(stderr, "phaseprof train: unexpected argument '%s'\n", argv[optind]); return EXIT_USAGE; }
    if (!o.data) { fprintf(stderr, "phaseprof train: --data CSV is required (--help tells the format)\n"); return EXIT_USAGE; }
    if (!o.out && !o.evaluate) { fprintf(stderr, "phaseprof train: --out MODEL is required (or --evaluate)\n"); return EXIT_USAGE; }
    for (size_t i = 0; i < o.map.n; i++)
        if (!strchr(o.map.v[i], '=')) { fprintf(stderr, "phaseprof train: --map: '%s' is not FROM=TO\n", o.map.v[i]); return EXIT_USAGE; }
    if (o.task == PP_TASK_REGRESS && (o.classes.n || o.map.n)) { fprintf(stderr, "phaseprof train: --classes and --map are for --task classify\n"); return EXIT_USAGE; }

    dataset d;
    load_dataset(&o, &d);
    int cls = o.task == PP_TASK_CLASSIFY;
    int rc = 0;
    if (o.evaluate) rc = evaluate(&o, &d);
    if (o.out) {
        size_t *all = xmalloc(d.n * sizeof *all);
        for (size_t i = 0; i < d.n; i++) all[i] = i;
        pp_forest_oob oob;
        pp_forest *f = train(&o, &d, all, d.n, &oob);
        if (o.evaluate) printf("\n");
        printf("trained %u trees on %zu rows, %u features, counter set %s", f->ntrees, d.n, d.p, d.counter_set);
        if (cls) {
            size_t K = d.classes.n, *cnt = xcalloc(K, sizeof *cnt), *conf = xcalloc(K * K, sizeof *conf), right = 0;
            for (size_t i = 0; i < d.n; i++) cnt[(size_t)d.y[i]]++;
            printf("; classes:");
            for (size_t k = 0; k < K; k++) printf(" %s (%zu)", d.classes.v[k], cnt[k]);
            printf("\n");
            for (size_t i = 0; i < d.n; i++) right += pp_forest_classify(f, d.x + i * d.p, NULL) == (int)d.y[i];
            size_t oscored = 0;
            for (size_t i = 0; i < d.n; i++) if (oob.pred[i] >= 0) { conf[(size_t)d.y[i] * K + (size_t)oob.pred[i]]++; oscored++; }
            printf("training accuracy %.3f; out-of-bag accuracy %.3f, macro-F1 %.3f (%zu rows)\n",
                   (double)right / (double)d.n, oob.score, macro_f1(conf, K), oscored);
            free(cnt); free(conf);
        } else {
            printf("\n");
            double sse = 0, sst = 0, mean = 0;
            for (size_t i = 0; i < d.n; i++) mean += d.y[i] / (double)d.n;
            for (size_t i = 0; i < d.n; i++) {
                double m = pp_forest_regress(f, d.x + i * d.p, 0.1, NULL, NULL);
                sse += (m - d.y[i]) * (m - d.y[i]);
                sst += (d.y[i] - mean) * (d.y[i] - mean);
            }
            double *ape = xmalloc(d.n * sizeof *ape);
            size_t na = 0;
            for (size_t i = 0; i < d.n; i++)
                if (!isnan(oob.value[i]) && d.y[i] != 0) ape[na++] = fabs(oob.value[i] - d.y[i]) / fabs(d.y[i]);
            printf("training R^2 %.3f; out-of-bag R^2 %.3f, MAE %.4g, median APE %.1f%% (%zu rows)\n",
                   sst > 0 ? 1 - sse / sst : NAN, oob.score, oob.mae, 100 * median(ape, na), oob.rows_scored);
            free(ape);
        }
        print_importances(f);
        char err[512];
        if (pp_forest_save(f, o.out, err, sizeof err) != 0) die("%s", err);
        printf("wrote %s\n", o.out);
        pp_forest_oob_free(&oob);
        pp_forest_free(f);
        free(all);
    }
    ds_free(&d);
    sl_free(&o.classes); sl_free(&o.map); sl_free(&o.ignore); sl_free(&o.baseline);
    return rc;
}
