/* The analysis every report output shares: traces -> windows -> phases -> class -> speedup ->
 * advice, done once (analysis.c) and then written by report_text.c (terminal), phases_dump.c
 * (JSON) and report_html.c (HTML).  The outputs only format what is here; none of them reads the
 * traces for a figure this struct already holds, so the three always agree.
 *
 * Times are ns relative to t0, the root process's HEADER.start_mono_ns ("whole program" is the
 * root process: its wall time is wall_ns).  A figure the traces cannot give is NAN, never invented.
 * Field names are a contract between the outputs: add fields, do not rename or remove them. */
#ifndef PHASEPROF_ANALYSIS_H
#define PHASEPROF_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>
#include "forest.h"
#include "phases.h"
#include "reader.h"
#include "symbols.h"
#include "windows.h"

/* Costs a fix can remove, the keys of DESIGN.md's "speedup" objects. */
enum pp_cost { PP_COST_CPU, PP_COST_IO, PP_COST_ALLOC, PP_COST_WAIT, PP_COSTS };
extern const char *const pp_cost_name[PP_COSTS];          /* "cpu", "io", "alloc", "wait" */

/* Whole-program factors (old wall / new wall) if that cost is fixed; NAN where unknown. */
typedef struct pp_speedup {
    double upper_bound;            /* Amdahl with the cost removed entirely */
    double predicted;              /* with the fix factor the regressor predicts (NAN: no model) */
    double low, high;              /* interval from the spread across trees */
} pp_speedup;

/* One recommendation: facts -> finding -> advice (as Redis's latency doctor), tied to code. */
typedef struct pp_advice {
    int cost;                      /* enum pp_cost it addresses */
    char *facts;                   /* measured: "412,000 write() calls of 64 B mean on out.dat, 1.9 s" */
    char *finding;                 /* what that means: "unbuffered small writes dominate this phase" */
    char *advice;                  /* what to do: "buffer writes (setvbuf / a 64 KiB buffer)" */
    char *where;                   /* call site "func (file.c:42)" and/or file path; NULL if unknown */
    double gain;                   /* whole-program speedup it buys (predicted, else upper bound) */
} pp_advice;

#define PP_TOP_FEATURES 3
#define PP_HOT_FUNCS 3

typedef struct pp_aphase {
    int id;                        /* 0.. over the whole run, in process then time order */
    int type;                      /* recurring phase type within its process */
    size_t proc;                   /* index into pp_analysis.procs */
    uint64_t start_ns, end_ns;     /* relative to t0 */
    double share;                  /* (end - start) / wall_ns of the root process */
    const pp_segment *seg;         /* seg->mean[PP_WF_N]: the phase's metrics (absent ones NAN) */
    /* classification; cls NULL (and the rest NAN/0) when no model could be used */
    const char *cls;               /* "cpu", "memory", "io", "alloc", "wait" or "mixed" */
    const char *class_note;        /* "compute_or_memory" (sw counters, class cpu) or NULL */
    double confidence;             /* probability of the chosen class (or of the top one if mixed) */
    const char *mixed_of[2];       /* when cls is "mixed": the two most probable classes */
    double *proba;                 /* nclass probabilities, names in pp_analysis.class_names */
    size_t ntop;                   /* features that drove it (positive contributions) */
    const char *top_feat[PP_TOP_FEATURES];
    double top_contrib[PP_TOP_FEATURES];
    /* where the time goes: thread-seconds of each cost per wall second of the phase */
    double cost_frac[PP_COSTS];
    double for_children;           /* of it, polls and sleeps while a child process ran (speedup.c) */
    pp_speedup speedup[PP_COSTS];
    pp_advice *advice;             /* sorted by gain, largest first */
    size_t nadvice;
    /* hottest leaf functions by CPU samples in the phase (symbolized, untrusted text) */
    size_t nhot;
    char *hot[PP_HOT_FUNCS];
    double hot_share[PP_HOT_FUNCS];
    /* speedup inputs (speedup.c): per cost, thread-seconds spent in the phase (cost_s) and the
     * wall seconds removing it could save at most (cost_wall_s <= cost_s, bounded by the threads:
     * see speedup.c); nthreads is the mean number of live threads */
    double cost_s[PP_COSTS];
    double cost_wall_s[PP_COSTS];
    /* the part of cost_wall_s the fix the advice names works on (I/O: the sync, metadata or
     * read/write time of the pattern pp_io_pattern finds; every other cost: all of it) */
    double fix_wall_s[PP_COSTS];
    double fix_factor[PP_COSTS];   /* regressor's fix factor (NAN: no model) */
    double if_2x[PP_COSTS];        /* whole-program speedup if the cost got 2x faster (DESIGN's what-if) */
    double nthreads;
} pp_aphase;

typedef struct pp_aproc {
    uint32_t pid, ppid;
    const char *exe;               /* owned by w (or the trace) */
    pp_trace *t;
    pp_windows *w;                 /* NULL when the trace has no samples */
    pp_phases *ph;                 /* NULL when w is NULL */
    uint64_t start_ns, end_ns;     /* relative to t0 */
    size_t phase0, nphases;        /* its phases are pp_analysis.phases[phase0 .. phase0+nphases) */
    /* completeness, from the reader and the FOOTER */
    int complete, truncated;
    uint64_t bad_chunks, dropped_records;
    double self_ns;                /* the recorder's own measured time in this process; NAN if the trace lacks it */
    double hooked_calls;           /* intercepted calls self_ns covers; NAN if not measured */
    double cpu_ns;                 /* CPU time of the process (FOOTER.cpu_ns); NAN without a footer */
    uint64_t threads;              /* threads seen in the trace */
    pp_symtab *sym;                /* this process's symbols (owned) */
    const char *window_err;        /* why w is NULL (owned), else NULL */
} pp_aproc;

typedef struct pp_analysis {
    pp_set *set;                   /* not owned */
    size_t root;                   /* index of the root trace in set */
    uint64_t t0;                   /* root HEADER.start_mono_ns */
    double wall_ns;                /* root process's wall time */
    double wall_net_ns;            /* wall_ns less the recorder's own time in the root (its FOOTER
                                    * self_ns over its live threads): the W of the speedups */
    pp_aproc *procs;
    size_t nproc;
    pp_aphase *phases;
    size_t nphase;
    pp_symtab *sym;                /* symbols for the outputs' own stack work */
    /* models: NULL when absent or unusable; model_note says why in one line (shown by outputs) */
    pp_forest *classifier, *regressor;
    char model_note[512];
    size_t nclass;
    const char *const *class_names;
    /* summary over the root process */
    double class_share[8];         /* time share per class name (class_names order), NAN without a model */
    pp_speedup summary[PP_COSTS];  /* whole-program speedup per cost, over all phases */
    double mixed_share;            /* time share of the root's phases classed "mixed"; NAN without a model */
    /* the run */
    char backend[32];              /* the root's counter backend: "sw", "papi", ... */
    int hw_counters;               /* hardware counters live (IPC etc.): memory can be told from cpu */
    char classifier_path[1024], regressor_path[1024];   /* "" when not loaded */
    double self_ns, cpu_ns;        /* recorder's own time and the CPU time, summed over processes that measured it; NAN if none */
    uint64_t threads;              /* over all processes */
    unsigned incomplete, truncated, damaged; /* traces without footer, cut short, with bad chunks */
    uint64_t dropped;              /* records dropped, all processes */
} pp_analysis;

typedef struct pp_analysis_opts {
    uint64_t pid;                  /* 0: every process */
    int has_range;
    double from, to;               /* seconds from t0: only phases overlapping [from, to] */
    const char *models_dir;        /* NULL: PHASEPROF_MODELS, else next to the binary, else the install prefix */
    const pp_phases_opts *phases;  /* NULL: defaults */
    int phases_only;               /* 1: windows, phases and completeness only (no hot functions,
                                    * models, speedups or advice): the detection tools' fast path */
} pp_analysis_opts;

/* Stages pp_analyze runs after the phases, each in its own file (exposed for tests). */
/* classify.c: finds and loads the models (a->classifier, a->regressor, model_note), classifies
 * every phase; models_dir as in pp_analysis_opts. */
void pp_classify(pp_analysis *a, const char *models_dir);
/* The models directory in use: opt, else $PHASEPROF_MODELS, else <binary dir>/../models, else
 * the install prefix's share/phaseprof/models.  Writes "" when none exists. */
void pp_models_dir(const char *opt, char *out, size_t cap);
/* speedup.c: cost_s, cost_wall_s, speedup[] per phase, the summary. */
void pp_speedups(pp_analysis *a);
/* What a phase's I/O (metrics m) mostly is, which decides the fix the advice names; *part gets
 * the share of the I/O time that fix works on (syncs: the sync time; metadata: the metadata
 * time; small reads or writes: the read and write time; the others: all of it). */
enum pp_io_pattern { PP_IO_SYNC, PP_IO_REMOTE, PP_IO_META, PP_IO_SMALL_WRITES, PP_IO_SMALL_READS, PP_IO_LARGE };
enum pp_io_pattern pp_io_pattern(const double *m, double *part);
/* Of a phase's off-CPU time outside I/O and waits (metrics m; off of it per second, in
 * thread-seconds), the share that is preemption (runnable, not running): involuntary / all
 * context switches, at most 20 ms per involuntary switch; 0 without the counters. */
double pp_preempt_share(const double *m, double off);
/* advice.c: recommendations per phase from the trace's events and stacks. */
void pp_advise(pp_analysis *a);

/* NULL with a message in err when no trace of the set could be analysed. */
pp_analysis *pp_analyze(pp_set *set, const pp_analysis_opts *o, char *err, size_t errlen);
void pp_analysis_free(pp_analysis *a);

#endif
