/* The allocation-sampling checks that sit on every malloc/free (alloc_sample.c has the rest):
 * one subtraction per allocation, one table probe per free. */
#ifndef PP_ALLOC_SAMPLE_H
#define PP_ALLOC_SAMPLE_H
#include "pp.h"

#define LIVE_SLOTS (1u << 14)   /* 128 KiB: live sampled pointers are a few thousand at most */
extern PP_HIDDEN _Atomic uint64_t *pp_live_slots;
extern PP_HIDDEN atomic_int pp_live_count;

void pp_alloc_sample_now(struct pp_thread *t, void *p, size_t n);
void pp_free_sampled_slow(struct pp_thread *t, void *p);

static inline unsigned pp_live_slot_of(uint64_t p)
{
    return (unsigned)((p * 0x9E3779B97F4A7C15ull) >> 48) & (LIVE_SLOTS - 1);
}

static inline void pp_alloc_sampled_inline(struct pp_thread *t, void *p, size_t n)
{
    if (pp_unlikely((t->alloc_countdown -= (int64_t)n) <= 0) && p) pp_alloc_sample_now(t, p, n);
}

/* A free of a pointer that may have been sampled: the common answer (its first slot is empty)
 * costs a multiply and a load. */
static inline void pp_free_sampled_inline(struct pp_thread *t, void *p)
{
    if (pp_likely(!atomic_load_explicit(&pp_live_count, memory_order_relaxed))) return;
    if (pp_likely(!atomic_load_explicit(&pp_live_slots[pp_live_slot_of((uint64_t)(uintptr_t)p)],
                                        memory_order_relaxed)))
        return;
    pp_free_sampled_slow(t, p);
}
#endif
