/* Software counters: what every Linux machine has, PMU or not.  getrusage(RUSAGE_THREAD) gives
 * per-thread page faults, context switches and block I/O; thread CPU time is read by the core for
 * every sample anyway.  One system call per sample, none per intercepted call. */
#include "counters.h"
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *names[] = { "rusage:minflt", "rusage:majflt", "rusage:nvcsw", "rusage:nivcsw",
                               "rusage:inblock", "rusage:oublock" };
#define N (int)(sizeof names / sizeof names[0])

static int sw_init(const char **note) { (void)note; return 0; }

static int sw_describe(const char **out, int max)
{
    int n = N < max ? N : max;
    for (int i = 0; i < n; i++) out[i] = names[i];
    return n;
}

static void sw_thread_open(struct pp_thread *t) { (void)t; }

static int sw_read(struct pp_thread *t, uint64_t *out)
{
    (void)t;
    struct rusage ru;
    if (syscall(SYS_getrusage, RUSAGE_THREAD, &ru)) {
        for (int i = 0; i < N; i++) out[i] = 0;
        return N;
    }
    out[0] = (uint64_t)ru.ru_minflt; out[1] = (uint64_t)ru.ru_majflt;
    out[2] = (uint64_t)ru.ru_nvcsw;  out[3] = (uint64_t)ru.ru_nivcsw;
    out[4] = (uint64_t)ru.ru_inblock; out[5] = (uint64_t)ru.ru_oublock;
    return N;
}

static void sw_thread_close(struct pp_thread *t) { (void)t; }
static void sw_after_fork(void) {}

const struct pp_counter_backend pp_counters_sw_backend = {
    "sw", sw_init, sw_describe, sw_thread_open, sw_read, sw_thread_close, sw_after_fork };

static int none_describe(const char **out, int max) { (void)out; (void)max; return 0; }
static int none_read(struct pp_thread *t, uint64_t *out) { (void)t; (void)out; return 0; }
const struct pp_counter_backend pp_counters_none_backend = {
    "none", sw_init, none_describe, sw_thread_open, none_read, sw_thread_close, sw_after_fork };
