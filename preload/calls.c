/* PHASEPROF_EVENTS=all for the malloc family: every call becomes a CALL record.  A call is
 * staged in its thread's state (three stores, no clock, no atomic) and a full batch of
 * PP_CALL_BATCH is encoded at once, under one claim of the buffer and one clock read: that
 * read is every staged call's timestamp, so a CALL is at most one batch late, in order; its dur
 * is measured on the 1 call in 64 that is timed anyway (0 on the rest).  Any record that must
 * follow the staged calls in the trace (another CALL, a SAMPLE, the thread's end) flushes them
 * first.  Calls another thread staged when the process exits are lost (at most a batch each). */
#include "pp.h"

#define MAX_REC 36   /* kind, length, ts delta, fn, a (<= 10), b (<= 10), dur (<= 10), rounded up */

void pp_calls_flush(struct pp_thread *t)
{
    unsigned n = t->nstaged;
    if (!n) return;
    t->nstaged = 0;
    uint64_t now = pp_now();
    uint8_t *p = pp_recs_begin(t, (size_t)n * MAX_REC);
    if (!p) { t->dropped += n; return; }
    uint64_t ts = now;
    for (unsigned i = 0; i < n; i++) {
        const struct pp_staged_call *c = &t->staged[i];
        uint8_t *rec = p;
        *p++ = PP_K_CALL;
        p++;                                               /* body length, below */
        p = pp_put_ts(t, p, ts);
        p = pp_put_u(p, c->fn);
        p = pp_put_ptr(t, p, c->a);
        p = pp_put_s(p, c->b);
        p = pp_put_u(p, c->dur ? pp_ticks_ns(c->dur) : 0);
        rec[1] = (uint8_t)(p - rec - 2);                   /* < 128: one varint byte */
    }
    pp_recs_end(t, p, n);
}
