/* Phase detection: where a process's behaviour changes (change points over its windows) and which
 * stretches are alike (segments clustered into recurring phase types).
 *
 * Pipeline, per process (pp_phases_detect):
 *   1. Detection features: a fixed subset of the window features (windows.h) that describe
 *      behaviour rather than state (no rss_bytes: it drifts), log-scaled with a per-feature floor
 *      (log(x + eps): a rate of 0 and of eps/10 are the same thing), plus the PP_SIG_DIMS
 *      code-location signature; absent and constant features are dropped.
 *   2. A running median (PP_PHASES_MEDIAN = 21 windows) per dimension: it removes bursts up to
 *      10 windows long (a page-fault burst, a slow call, 100 ms taken by another process) yet keeps
 *      a step exactly where it is; the price is that a phase must last more than half the width
 *      (110 ms at 10 ms windows) to be seen.
 *   3. Standardization by the within-segment noise: sigma = 1.4826 * median|x[i+L] - x[i]| / sqrt(2)
 *      over the non-zero differences, L the minimum segment length: robust to the steps
 *      themselves, and it sees slow wander (a neighbour taking a core for a while) that lag-1
 *      differences miss.  Floored (PP_PHASES_SIGMA_FLOOR = 0.7 in log units) so that a feature flat
 *      except at its steps is not blown up, and so that a change must be material (tens of
 *      percent) as well as significant: over hundreds of windows any shift is significant.
 *   4. Change points by PELT (Killick et al. 2012) on the Gaussian mean-change cost with a
 *      minimum segment length, penalty per change beta = scale * (d + 1) * ln(n) — the BIC
 *      (Schwarz) penalty for a change of d means and one location at unit noise, scaled by 2
 *      (tuned on seeds 0-9: the running median makes neighbouring windows dependent, so the
 *      data hold fewer independent points than windows).  PELT is
 *      quadratic when changes are few; above PP_PELT_DIRECT_MAX windows a coarse pass on blocks
 *      of windows (exact costs for block-aligned segments, half the penalty so it over-finds)
 *      proposes positions, and PELT at full resolution runs over the positions within one block
 *      of a coarse change only.  That is exact whenever every change the full PELT would find
 *      lies within a block of one the coarse pass finds.
 *      Then materiality: a change is kept only if some dimension's mean moves by at least
 *      PP_PHASES_MIN_SHIFT noise units across it (weakest dropped first) — over long segments
 *      PELT finds any shift significant, including a program slowed by a busier machine.
 *   5. Segment means (in the standardized space) clustered by k-means (k-means++ seeding from a
 *      fixed seed, several restarts), k = 1..max_types chosen by BIC the SimPoint way: the
 *      smallest k whose score reaches 90% of the best improvement over k = 1.  Above 1000
 *      segments the fit uses an even subsample and every segment goes to its nearest centre.  Adjacent segments
 *      of the same type are then merged: the boundary between them was not a change of kind.
 * Everything is deterministic: fixed seeds, no dependence on the machine or on time. */
#ifndef PHASEPROF_PHASES_H
#define PHASEPROF_PHASES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "windows.h"

typedef struct pp_segment {
    uint64_t start_ns, end_ns;     /* absolute CLOCK_MONOTONIC, [start, end) */
    size_t w0, w1;                 /* windows [w0, w1) */
    int type;                      /* recurring phase type, 0.. ntypes-1, numbered by first appearance */
    double mean[PP_WF_N];          /* pp_windows_mean over the segment (absent features NAN) */
    double sig[PP_SIG_DIMS];       /* mean code-location signature */
} pp_segment;

typedef struct pp_phases {
    uint32_t pid;
    size_t nseg;
    pp_segment *seg;
    int ntypes;
    /* how it was found (for docs, tests and the curious) */
    size_t dims;                   /* detection dimensions used */
    double penalty;                /* beta per change point */
    size_t min_seg;                /* in windows */
    size_t raw_changes;            /* change points before same-type merging */
} pp_phases;

typedef struct pp_phases_opts {
    double penalty_scale;          /* multiplies the BIC penalty; 0: default (PP_PHASES_PENALTY) */
    uint64_t min_seg_ns;           /* minimum segment length; 0: default (PP_PHASES_MIN_SEG_NS) */
    int max_types;                 /* 0: default 12 */
    int median;                    /* running-median width in windows (odd); 0: default (PP_PHASES_MEDIAN), 1: none */
    int no_signature;              /* 1: detection without the code-location signature */
    int no_merge;                  /* 1: keep adjacent segments of the same type apart */
    double sigma_floor;            /* noise floor of log features; 0: default (PP_PHASES_SIGMA_FLOOR) */
    uint64_t seed;                 /* k-means seed; 0 is a fine fixed default */
} pp_phases_opts;

#define PP_PHASES_PENALTY 2.0
#define PP_PHASES_SIGMA_FLOOR 0.7
#define PP_PHASES_MIN_SEG_NS 100000000ull
#define PP_PHASES_MIN_SHIFT 2.0
#define PP_PHASES_MEDIAN 21
#define PP_PELT_DIRECT_MAX 5000

/* Segments and types of one process's windows.  Never NULL (a run too short to split is one
 * segment of type 0).  o may be NULL. */
pp_phases *pp_phases_detect(const pp_windows *w, const pp_phases_opts *o);
void pp_phases_free(pp_phases *p);

/* ---- building blocks, exposed for tests and the timing program ---- */

/* Change points of x (n rows of d, row-major, already standardized) under the Gaussian
 * mean-change cost with penalty beta per change and segments of at least min_seg rows; coarse to
 * fine above PP_PELT_DIRECT_MAX rows.  Returns how many; *cps (malloc'ed, caller frees) holds them
 * sorted: each is the first row of a new segment, 0 < cp < n. */
size_t pp_changepoints(const double *x, size_t n, size_t d, double beta, size_t min_seg, size_t **cps);
/* Exact PELT, no coarse pass (quadratic when changes are few): the reference for tests. */
size_t pp_pelt_exact(const double *x, size_t n, size_t d, double beta, size_t min_seg, size_t **cps);

/* k-means with k = 1..kmax on n points of d, k chosen by BIC as described above.  labels[n] gets
 * the cluster of each point, numbered by first appearance.  Returns k. */
int pp_kmeans_bic(const double *x, size_t n, size_t d, int kmax, uint64_t seed, int *labels);

/* ---- machine-readable output (phases_dump.c) ----
 * Every process of the set through windows -> phases, written as a phaseprof-report/1 JSON
 * document (the schema in DESIGN.md and docs/): clock, processes, phases with start_ns/end_ns
 * relative to the root process's clock.monotonic_start_ns, type, pid and metrics (segment means
 * of the window features, null where the trace cannot say); class, speedup and the like are null
 * until classification fills them.  Returns 0, or -1 when no process could be windowed. */
int phases_dump_json(pp_set *set, FILE *out);
int phases_dump_json_opts(pp_set *set, const pp_phases_opts *o, FILE *out);

#endif
