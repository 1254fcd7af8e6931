/* PHASEPROF_EVENTS=all for the malloc family: every call becomes a CALL record.  A call is
 * staged in its thread's state (three stores, no clock, no atomic) and a full batch of
 * PP_CALL_BATCH is encoded at once, under one claim of the buffer and one clock read: that
 * read is every staged call's timestamp, so a CALL is at most one batch late, in order; its dur
 * is measured on the 1 call in 64 that is timed anyway (0 on the rest).  Any record that must
 * follow the staged calls in the trace (another CALL, a SAMPLE, the thread's end) flushes them
 * first.  Calls another thread staged when the process exits are lost (at most a batch each). */
#include "pp.h"

_Static_assert(PP_FN_COUNT <= 128, "a CALL's fn is written as one byte");
#define MAX_REC 36   /* kind, length, ts delta, fn, a (<= 10), b (<= 10), dur (<= 10), rounded up */

void pp_calls_flush(struct pp_thread *t)
{
    unsigned n = t->nstaged;
    if (!n) return;
    t->nstaged = 0;
    uint64_t now = pp_now();
    uint8_t *p = pp_recs_begin(t, (size_t)n * MAX_REC);
    if (!p) { t->dropped += n; return; }
    uint64_t last = t->last_ptr;
    for (unsigned i = 0; i < n; i++) {
        const struct pp_staged_call *c = &t->staged[i];
        uint8_t *rec = p;
        p += 2;                                            /* kind, body length: below */
        if (i) *p++ = 0;                                   /* ts: the batch's, as a zero delta */
        else p = pp_put_ts(t, p, now);
        *p++ = (uint8_t)c->fn;                             /* PP_FN_* < 128: one varint byte */
        p = pp_put_varint(p, pp_zigzag((int64_t)(c->a - last)));
        last = c->a;
        p = pp_put_varint(p, pp_zigzag(c->b));
        if (c->dur) p = pp_put_varint(p, pp_ticks_ns(c->dur));
        else *p++ = 0;
        rec[0] = PP_K_CALL;
        rec[1] = (uint8_t)(p - rec - 2);                   /* < 128: one varint byte */
    }
    t->last_ptr = last;
    pp_recs_end(t, p, n);
}
