/* Clocks.  pp_now() (CLOCK_MONOTONIC through the vDSO, ~25-30 ns here) gives every timestamp a
 * record carries; it is inline in pp.h.  Durations of hooked calls are read from the TSC instead
 * where it is invariant (one rdtsc, ~10 ns): a timed call reads the clock twice, so on a 64 B
 * write() the difference is a third of what the hook costs.  Ticks become ns through a rate
 * measured against CLOCK_MONOTONIC: roughly at start-up (over the calibration loop, a few µs:
 * within about 1%), then over the process's whole life at each SAMPLE (within 1e-5 after 10 ms).
 * Only durations use it, so NTP slewing the monotonic clock never moves a timestamp. */
#include "pp.h"
#if defined(__x86_64__) && __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#elif defined(__x86_64__)
#include <cpuid.h>
#endif

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

int pp_tsc;
_Atomic uint64_t pp_tsc_mult = 1ull << 32;      /* fixed point: one multiply per conversion */
_Atomic uint64_t pp_interval_ticks = UINT64_MAX / 2;
_Atomic uint64_t pp_us_ticks = 1000;             /* ticks per µs */
_Atomic uint64_t pp_io_fast_ticks;
uint64_t pp_clock_cost_ns;
static uint64_t tsc0, mono0;   /* the reference pair, read at start-up */
static int settled;            /* the rate was measured over a second or more: final */

/* Whether the TSC is invariant (constant rate, runs in every C-state).  glibc keeps the CPUID
 * leaves it read at start-up: asking it costs no CPUID, which traps to the hypervisor in a VM
 * (~10 µs each here). */
static int tsc_invariant(void)
{
#if defined(__x86_64__) && __has_include(<sys/platform/x86.h>)
    return CPU_FEATURE_PRESENT(INVARIANT_TSC) != 0;
#elif defined(__x86_64__)
    unsigned a, b, c, d;
    __cpuid(0x80000000u, a, b, c, d);
    if (a < 0x80000007u) return 0;
    __cpuid(0x80000007u, a, b, c, d);
    return (d >> 8) & 1;
#else
    return 0;
#endif
}

/* ns per tick r, and every figure in ticks that follows from it. */
static void set_rate(double r)
{
    uint64_t m = (uint64_t)(r * 4294967296.0);
    atomic_store_explicit(&pp_tsc_mult, m, memory_order_relaxed);
    atomic_store_explicit(&pp_us_ticks, (uint64_t)(1000.0 / r), memory_order_relaxed);
    atomic_store_explicit(&pp_interval_ticks, (uint64_t)((double)pp_cfg.interval_ns / r),
                          memory_order_relaxed);
    uint64_t q = 0;
    if (!pp_cfg.events_all) {
        /* ns = d * m >> 32 >= threshold needs d >= (threshold << 32) / m */
        unsigned __int128 x = ((unsigned __int128)pp_cfg.io_threshold_ns << 32) / m;
        q = x > (unsigned __int128)INT64_MAX ? (uint64_t)INT64_MAX : (uint64_t)x;
        q -= q / 64;               /* a margin for a thread that reads the new rate late */
    }
    atomic_store_explicit(&pp_io_fast_ticks, q, memory_order_relaxed);
}

static void measured_rate(uint64_t dns, uint64_t dticks)
{
    if (!dticks || !dns) return;
    double r = (double)dns / (double)dticks;
    if (r > 0 && r < 1e3) set_rate(r);         /* else nonsense: keep what we have */
}

/* The rate, roughly, and the cost of a pair of duration reads: what a timed call pays for its
 * own timing, taken out of what it measured.  Once at start. */
void pp_clock_calibrate(void)
{
    pp_tsc = tsc_invariant();
    uint64_t m0 = pp_now(), c0 = pp_ticks();
    uint64_t best = ~0ull;
    for (int i = 0; i < 64; i++) {
        uint64_t a = pp_ticks(), b = pp_ticks();
        if (b - a < best) best = b - a;
        (void)pp_now();        /* stretch the rate's baseline with no extra loop */
    }
    uint64_t c1 = pp_ticks(), m1 = pp_now();
    tsc0 = c0; mono0 = m0;
    if (pp_tsc) measured_rate(m1 - m0, c1 - c0);
    else set_rate(1.0);                        /* ticks are ns */
    pp_clock_cost_ns = best == ~0ull ? 0 : pp_ticks_ns(best);
}

/* At a SAMPLE: the rate over the process's life so far. */
void pp_clock_refine(void)
{
    if (!pp_tsc || settled) return;
    uint64_t m = pp_now(), c = pp_ticks();
    if (m - mono0 < 1000000 || c <= tsc0) return;
    measured_rate(m - mono0, c - tsc0);
    if (m - mono0 > 1000000000) settled = 1;
}
