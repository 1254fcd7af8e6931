/* Picks the counter backend once per process (PHASEPROF_COUNTERS) and forwards the core's calls
 * to it.  auto takes papi when PAPI offers at least cycles and instructions, else sw; the answer
 * is handed to child processes (PHASEPROF_COUNTERS_PROBE) so a build's hundreds of processes
 * probe once.  Also the per-process resident-set reading each interval (one thread claims it). */
#include "counters.h"
#include "internal.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/syscall.h>

extern const struct pp_counter_backend pp_counters_papi_backend;
int pp_papi_has_cycles_and_instructions(void);

static const struct pp_counter_backend *backend = &pp_counters_sw_backend;
static const char *note = "";

static int cpu_pmu_present(void)
{
    static const char *const dirs[] = { "/sys/bus/event_source/devices/cpu",
                                        "/sys/bus/event_source/devices/cpu_core",
                                        "/sys/bus/event_source/devices/armv8_pmuv3_0" };
    for (unsigned i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (syscall(SYS_faccessat, AT_FDCWD, dirs[i], F_OK, 0) == 0) return 1;
    return 0;
}

int pp_counters_init(void)
{
    const char *probed = pp_getenv("PHASEPROF_COUNTERS_PROBE");
    int want = pp_cfg.counters;
    if (want == PP_COUNTERS_AUTO && probed && !strcmp(probed, "sw")) want = PP_COUNTERS_SW;
    if (want == PP_COUNTERS_NONE) backend = &pp_counters_none_backend;
    /* auto on a machine whose kernel shows no CPU PMU (VMs, containers): PAPI could only say
     * "no events", after ~4 ms and ~4 MiB of loading it. */
    if (want == PP_COUNTERS_AUTO && !cpu_pmu_present()) want = PP_COUNTERS_SW;
    if (want == PP_COUNTERS_PAPI || want == PP_COUNTERS_AUTO) {
        const char *why = "";
        if (pp_counters_papi_backend.init(&why) == 0 &&
            (want == PP_COUNTERS_PAPI || pp_papi_has_cycles_and_instructions())) {
            backend = &pp_counters_papi_backend;
        } else {
            backend = &pp_counters_sw_backend;
            if (want == PP_COUNTERS_PAPI) {
                note = why[0] ? why : "PAPI lacks cycles and instructions";
                pp_log("PHASEPROF_COUNTERS=papi: %s; using software counters", note, 0);
            }
        }
        if (want == PP_COUNTERS_AUTO && !probed)
            pp_env_carry("PHASEPROF_COUNTERS_PROBE", backend == &pp_counters_papi_backend ? "papi" : "sw");
    }
    return backend->init(&note);
}

const char *pp_counters_backend(void) { return backend->name; }

int pp_counters_describe(const char **names, int max, const char **n)
{
    *n = note;
    return backend->describe(names, max < PP_MAX_COUNTERS ? max : PP_MAX_COUNTERS);
}

int pp_counters_read(struct pp_thread *t, uint64_t out[16]) { return backend->read(t, out); }
void pp_counters_thread_open(struct pp_thread *t) { backend->thread_open(t); }
void pp_counters_thread_close(struct pp_thread *t) { backend->thread_close(t); }
void pp_counters_after_fork_child(void) { backend->after_fork_child(); }

/* Resident set size from /proc/self/statm, read by whichever thread samples first in an interval. */
static atomic_uint_fast64_t rss_last_ns;

uint64_t pp_rss_bytes_if_due(struct pp_thread *t, uint64_t now)
{
    (void)t;
    uint64_t last = atomic_load_explicit(&rss_last_ns, memory_order_relaxed);
    if (now - last < pp_cfg.interval_ns || !atomic_compare_exchange_strong(&rss_last_ns, &last, now))
        return 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char b[128];
    ssize_t n = syscall(SYS_read, fd, b, sizeof b - 1);
    syscall(SYS_close, fd);
    if (n <= 0) return 0;
    b[n] = 0;
    const char *p = b;
    while (*p && *p != ' ') p++;             /* second field: resident pages */
    uint64_t pages = 0;
    while (*p == ' ') p++;
    while (*p >= '0' && *p <= '9') pages = pages * 10 + (uint64_t)(*p++ - '0');
    return pages * (uint64_t)getauxval(AT_PAGESZ);   /* sysconf's answer, without its page fault */
}
