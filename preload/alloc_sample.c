/* Byte-based allocation sampling, as heap profilers do: the gaps between sampled bytes are drawn
 * from an exponential distribution (mean PHASEPROF_ALLOC_SAMPLE_KB), so an allocation of n bytes
 * is sampled with probability 1 - exp(-n/mean) and each sample carries the weight n / that
 * probability: summed weights are an unbiased estimate of all allocated bytes, per call site.
 *
 * The per-call cost is one subtraction.  Sampled pointers go into a lock-free open-addressing set
 * so their frees can be recorded (the live-heap view); a free looks one slot up in it. */
#include "pp.h"
#include <math.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LIVE_SLOTS (1u << 16)
static _Atomic uint64_t *live;     /* sampled pointers not yet freed; 0 = empty, 1 = deleted */
static atomic_int live_count;

static uint64_t next_rand(struct pp_thread *t)
{
    if (!t->rng) t->rng = (pp_now() ^ ((uint64_t)t->tid << 32)) | 1;
    uint64_t x = t->rng;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return t->rng = x;
}

static int64_t draw_gap(struct pp_thread *t)
{
    double u = ((double)(next_rand(t) >> 11) + 0.5) / 9007199254740992.0;   /* (0,1) */
    double gap = -log(u) * (double)pp_cfg.alloc_sample_bytes;
    return gap < 1 ? 1 : (int64_t)gap;
}

static unsigned slot_of(uint64_t p) { return (unsigned)((p * 0x9E3779B97F4A7C15ull) >> 48) & (LIVE_SLOTS - 1); }

static void live_add(uint64_t p)
{
    if (!live) {
        void *m = (void *)syscall(SYS_mmap, 0, LIVE_SLOTS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return;
        uint64_t *expect = 0;
        if (!atomic_compare_exchange_strong((_Atomic(uint64_t *) *)&live, (uint64_t **)&expect, m))
            syscall(SYS_munmap, m, LIVE_SLOTS * sizeof(uint64_t));
    }
    for (unsigned i = 0, k = slot_of(p); i < 32; i++, k = (k + 1) & (LIVE_SLOTS - 1)) {
        uint64_t cur = atomic_load_explicit(&live[k], memory_order_relaxed);
        if ((cur == 0 || cur == 1) && atomic_compare_exchange_strong(&live[k], &cur, p)) {
            atomic_fetch_add(&live_count, 1);
            return;
        }
    }
}

int64_t pp_alloc_first_gap(struct pp_thread *t) { return draw_gap(t); }

void pp_alloc_sampled(struct pp_thread *t, void *ptr, size_t n)
{
    t->alloc_countdown -= (int64_t)n;
    if (pp_likely(t->alloc_countdown > 0)) return;
    int saved = errno;
    double mean = (double)pp_cfg.alloc_sample_bytes;
    double prob = 1.0 - exp(-(double)n / mean);
    uint64_t weight = prob > 0 ? (uint64_t)((double)n / prob + 0.5) : n;
    uint64_t stack = pp_stack_capture(t, 1);
    uint8_t *p = pp_rec_begin(t, PP_K_ALLOC_SAMPLE, 64);
    if (p) {
        p = pp_put_ts(t, p, pp_now());
        p = pp_put_u(p, (uint64_t)t->tid);
        p = pp_put_ptr(t, p, (uint64_t)(uintptr_t)ptr);
        p = pp_put_u(p, n);
        p = pp_put_u(p, weight);
        p = pp_put_u(p, stack);
        pp_rec_end(t, p);
        live_add((uint64_t)(uintptr_t)ptr);
    }
    t->alloc_countdown = draw_gap(t);
    errno = saved;
}

void pp_free_sampled(struct pp_thread *t, void *ptr)
{
    if (pp_likely(!atomic_load_explicit(&live_count, memory_order_relaxed))) return;
    uint64_t q = (uint64_t)(uintptr_t)ptr;
    for (unsigned i = 0, k = slot_of(q); i < 32; i++, k = (k + 1) & (LIVE_SLOTS - 1)) {
        uint64_t cur = atomic_load_explicit(&live[k], memory_order_relaxed);
        if (cur == 0) return;
        if (cur == q && atomic_compare_exchange_strong(&live[k], &cur, 1)) {
            atomic_fetch_sub(&live_count, 1);
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
    atomic_store(&live_count, 0);
}
