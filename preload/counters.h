/* Counter backend contract (as mimalloc's prim.h): each backend fills this table.  The core asks
 * for at most PP_MAX_COUNTERS values per thread per sample; names go into the trace header so the
 * analyzer uses what exists and never invents a figure. */
#ifndef PP_COUNTERS_H
#define PP_COUNTERS_H
#include "pp.h"

#define PP_MAX_COUNTERS 16

struct pp_counter_backend {
    const char *name;                                  /* "papi", "sw", "none" */
    int (*init)(const char **note);                    /* process start; 0 = usable */
    int (*describe)(const char **names, int max);      /* event names, in read order */
    void (*thread_open)(struct pp_thread *t);          /* on the thread itself */
    int (*read)(struct pp_thread *t, uint64_t *out);   /* cumulative values for this thread */
    void (*thread_close)(struct pp_thread *t);
    void (*after_fork_child)(void);
};

extern const struct pp_counter_backend pp_counters_sw_backend;
extern const struct pp_counter_backend pp_counters_none_backend;
#endif
