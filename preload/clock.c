/* Clocks.  pp_now() (CLOCK_MONOTONIC, vDSO, ~20 ns) is inline in pp.h because every timed call
 * uses it; these two are read once per sample or once per process. */
#include "pp.h"

uint64_t pp_thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t pp_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The smallest difference between two back-to-back pp_now() calls: what a timed call pays for
 * its own clock reads.  Measured once at start. */
uint64_t pp_clock_cost_ns;

void pp_clock_calibrate(void)
{
    uint64_t best = ~0ull;
    for (int i = 0; i < 64; i++) {
        uint64_t a = pp_now(), b = pp_now();
        if (b - a < best) best = b - a;
    }
    pp_clock_cost_ns = best == ~0ull ? 0 : best;
}
