/* Byte-based allocation sampling, as heap profilers do: the gaps between sampled bytes are drawn
 * from an exponential distribution (mean PHASEPROF_ALLOC_SAMPLE_KB), so an allocation of n bytes
 * is sampled with probability 1 - exp(-n/mean) and each sample carries the weight n / that
 * probability: summed weights are an unbiased estimate of all allocated bytes, per call site.
 *
 * The trace must grow with time, not with the allocation rate: samples spend tokens from a
 * per-thread bucket (RATE / 2 deep, refilled at RATE a second: PHASEPROF_ALLOC_SAMPLES_MAX, 150
 * by default, about 6 KB per thread-second with the frees of the sampled blocks).  A short burst samples at the configured mean; a thread that
 * keeps allocating faster runs the bucket dry, and each time it does its mean doubles, until it
 * samples about RATE times a second; a bucket that fills up again halves the mean back.  Each
 * sample's weight uses the mean its gap was drawn with, so the estimate stays unbiased (with
 * fewer samples, a wider spread).
 *
 * The per-call cost is one subtraction.  Sampled pointers go into a lock-free open-addressing set
 * so their frees can be recorded (the live-heap view); a free looks one slot up in it. */
#include "pp.h"
#include "alloc_sample.h"
#include "real.h"
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define live pp_live_slots
#define live_count pp_live_count
_Atomic uint64_t *pp_live_slots;   /* sampled pointers not yet freed; 0 = empty, 1 = deleted */
atomic_int pp_live_count;

/* log and exp for the sampler, here rather than from libm: loading libm into every traced
 * process costs a few hundred KiB of resident memory, for two functions used a few hundred times
 * a second.  Relative error below 1e-6, far below the sampling noise. */
static double ln_unit(double x)      /* x in (0, 1] */
{
    union { double d; uint64_t u; } v = { x };
    int e = (int)((v.u >> 52) & 0x7ff) - 1023;
    v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;   /* mantissa in [1, 2) */
    double m = v.d, s = (m - 1) / (m + 1), s2 = s * s;
    double series = s * (2 + s2 * (2.0 / 3 + s2 * (2.0 / 5 + s2 * (2.0 / 7 + s2 * (2.0 / 9 + s2 * (2.0 / 11))))));
    return e * 0.69314718055994530942 + series;
}

static double exp_neg(double x)      /* e^-x for x >= 0 */
{
    if (x > 700) return 0;
    int k = (int)(x / 0.69314718055994530942);
    double r = x - k * 0.69314718055994530942, term = 1, sum = 1;   /* r in [0, ln 2) */
    for (int i = 1; i < 14; i++) { term *= -r / i; sum += term; }
    union { double d; uint64_t u; } two = { .u = (uint64_t)(1023 - k) << 52 };   /* 2^-k */
    return sum * two.d;
}

static uint64_t next_rand(struct pp_thread *t)
{
    if (!t->rng) t->rng = (pp_now() ^ ((uint64_t)t->tid << 32)) | 1;
    uint64_t x = t->rng;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return t->rng = x;
}

#define RATE ((double)pp_cfg.alloc_samples_max)
#define BURST (RATE / 2)   /* half a second's worth at once */

static int64_t draw_gap(struct pp_thread *t)
{
    if (!t->alloc_mean) t->alloc_mean = pp_cfg.alloc_sample_bytes;
    double u = ((double)(next_rand(t) >> 11) + 0.5) / 9007199254740992.0;   /* (0,1) */
    double gap = -ln_unit(u) * (double)t->alloc_mean;
    return gap < 1 ? 1 : (int64_t)gap;
}

static unsigned slot_of(uint64_t p) { return pp_live_slot_of(p); }

static void live_add(uint64_t p)
{
    if (!live && !pp_map_once((_Atomic(void *) *)&live, LIVE_SLOTS * sizeof(uint64_t))) return;
    for (unsigned i = 0, k = slot_of(p); i < 32; i++, k = (k + 1) & (LIVE_SLOTS - 1)) {
        uint64_t cur = atomic_load_explicit(&live[k], memory_order_relaxed);
        if ((cur == 0 || cur == 1) && atomic_compare_exchange_strong(&live[k], &cur, p)) {
            atomic_fetch_add(&live_count, 1);
            return;
        }
    }
}

static void pp_free_lookup(struct pp_thread *t, void *ptr);


/* A new gap: what the old countdown counted is folded into the interval's bytes first. */
static void new_gap(struct pp_thread *t)
{
    pp_alloc_fold(t);
    pp_tls.alloc_countdown = t->alloc_cd_base = draw_gap(t);
}

/* On the thread itself (its count-downs are thread-local). */
void pp_alloc_thread_start(struct pp_thread *t)
{
    pp_tls.alloc_countdown = t->alloc_cd_base = draw_gap(t);
    uint32_t every = pp_cfg.events_all ? 1 : PP_ALLOC_SLOW_EVERY;   /* events=all: every call */
    pp_tls.alloc_tick = t->alloc_tick_base = every;
    pp_tls.free_tick = t->free_tick_base = every;
}

/* The countdown reached zero: sample this allocation.  The caller holds the guard. */
void pp_alloc_sample_take(struct pp_thread *t, void *ptr, size_t n)
{
    uint64_t t0 = pp_now();
    double mean = (double)t->alloc_mean;      /* the mean this sample's gap was drawn with */
    uint64_t now = t0;
    if (!t->alloc_tok_ns) { t->alloc_tokens = BURST; t->alloc_tok_ns = now; }
    t->alloc_tokens += (double)(now - t->alloc_tok_ns) * (RATE / 1e9);
    t->alloc_tok_ns = now;
    if (t->alloc_tokens > BURST) t->alloc_tokens = BURST;
    double prob = 1.0 - exp_neg((double)n / mean);
    uint64_t weight = prob > 0 ? (uint64_t)((double)n / prob + 0.5) : n;
    t->alloc_tokens -= 1;
    if (t->alloc_tokens < 0) {                 /* a flood: sparser from the next gap on */
        t->alloc_mean *= 2;
        t->alloc_tokens += RATE / 16;          /* a few at the new mean */
    } else if (t->alloc_tokens > BURST / 2 && t->alloc_mean > pp_cfg.alloc_sample_bytes) {
        t->alloc_mean /= 2;                    /* quiet again */
    }
    uint64_t self0 = t->self_ns;              /* the capture counts its own time */
    uint64_t stack = pp_stack_capture(t, 1);
    uint8_t *p = pp_rec_begin(t, PP_K_ALLOC_SAMPLE, 64);
    if (p) {
        p = pp_put_ts(t, p, now);
        p = pp_put_u(p, (uint64_t)t->tid);
        p = pp_put_ptr(t, p, (uint64_t)(uintptr_t)ptr);
        p = pp_put_u(p, n);
        p = pp_put_u(p, weight);
        p = pp_put_u(p, stack);
        pp_rec_end(t, p);
        live_add((uint64_t)(uintptr_t)ptr);
    }
    new_gap(t);
    pp_self_add(t, self0, t0, 5000);
}

/* A free that may be of a sampled pointer: look it up (caller holds the guard). */
void pp_free_sampled_take(struct pp_thread *t, void *ptr)
{
    if (pp_maybe_sampled(ptr)) pp_free_lookup(t, ptr);
}

static void pp_free_lookup(struct pp_thread *t, void *ptr)
{
    uint64_t q = (uint64_t)(uintptr_t)ptr;
    for (unsigned i = 0, k = slot_of(q); i < 32; i++, k = (k + 1) & (LIVE_SLOTS - 1)) {
        uint64_t cur = atomic_load_explicit(&live[k], memory_order_relaxed);
        if (cur == 0) return;
        if (cur == q && atomic_compare_exchange_strong(&live[k], &cur, 1)) {
            atomic_fetch_sub(&live_count, 1);
            /* Allocators hand the same addresses out again and again: a tombstone left here
             * would send every later free of this address down the slow path.  When no probe
             * chain continues past this slot, empty it instead. */
            uint64_t one = 1;
            if (!atomic_load_explicit(&live[(k + 1) & (LIVE_SLOTS - 1)], memory_order_relaxed))
                atomic_compare_exchange_strong(&live[k], &one, 0);
            uint8_t *p = pp_rec_begin(t, PP_K_FREE_SAMPLE, 32);
            if (p) {
                p = pp_put_ts(t, p, pp_now());
                p = pp_put_u(p, (uint64_t)t->tid);
                p = pp_put_ptr(t, p, q);
                pp_rec_end(t, p);
            }
            return;
        }
    }
}

void pp_alloc_sample_reset_after_fork(void)
{
    /* The child's file holds none of the parent's samples: forget them. */
    if (live) for (unsigned i = 0; i < LIVE_SLOTS; i++) live[i] = 0;
    atomic_store(&live_count, pp_arena_in_use);   /* the arena's watch stays */
}
