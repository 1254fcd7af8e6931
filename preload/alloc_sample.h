/* The allocation-sampling checks that sit on every malloc/free (alloc_sample.c has the rest):
 * one subtraction per allocation, one table probe per free while sampled blocks are live. */
#ifndef PP_ALLOC_SAMPLE_H
#define PP_ALLOC_SAMPLE_H
#include "pp.h"

/* 1 allocation call in this many (and 1 free in this many) takes the timed slow path. */
#define PP_ALLOC_SLOW_EVERY 64

#define LIVE_SLOTS (1u << 14)   /* 128 KiB: live sampled pointers are a few thousand at most */
extern PP_HIDDEN _Atomic uint64_t *pp_live_slots;
extern PP_HIDDEN atomic_int pp_live_count;

void pp_alloc_sample_take(struct pp_thread *t, void *p, size_t n);   /* guard held */
void pp_free_sampled_take(struct pp_thread *t, void *p);               /* guard held */

static inline unsigned pp_live_slot_of(uint64_t p)
{
    return (unsigned)((p * 0x9E3779B97F4A7C15ull) >> 48) & (LIVE_SLOTS - 1);
}

/* May p be a sampled pointer whose free must be recorded?  The common answer (nothing sampled
 * is live, or p's first slot is empty) costs a load, or a multiply and three loads.  (The count
 * also counts the bootstrap arena, real.c: the table may not exist yet.) */
static inline int pp_maybe_sampled(const void *p)
{
    if (pp_likely(!atomic_load_explicit(&pp_live_count, memory_order_relaxed))) return 0;
    _Atomic uint64_t *slots = pp_live_slots;
    return slots && atomic_load_explicit(&slots[pp_live_slot_of((uint64_t)(uintptr_t)p)],
                                         memory_order_relaxed) != 0;
}
#endif
