/* Shared between the I/O interception files (wrap_posix_io.c, wrap_stdio.c, wrap_socket.c,
 * wrap_meta.c) and the descriptor table (fdtab.c): the calls they make beyond pp.h's contract.
 * Nothing here allocates, locks or touches errno as seen by the program. */
#ifndef PP_IO_H
#define PP_IO_H
#include "pp.h"

/* pp_enter for a hook whose real call runs outside the guard: returns this thread's state
 * without taking the guard (the hook sets it around its accounting only), NULL to pass through. */
static inline struct pp_thread *pp_io_enter(void)
{
    if (pp_unlikely(pp_guard) || pp_unlikely(!atomic_load_explicit(&pp_active, memory_order_relaxed)))
        return 0;
    struct pp_thread *t = pp_self;
    if (pp_unlikely(!t) && (t = pp_enter())) pp_leave(t);
    return t;
}

/* Every t0, t1 below is a duration read (pp_ticks, taken around the real call), not a
 * timestamp: the few records that need a time read the clock themselves. */

/* pp_fd_opened with the open flags (O_APPEND makes every write sequential, at end of file) and
 * the directory the path is relative to (AT_FDCWD for plain open).  Relative paths are made
 * absolute here, so reports name files unambiguously. */
void pp_fd_open_ex(struct pp_thread *t, int fd, int dirfd, const char *path, int oflags, int fn,
                   uint64_t t0, uint64_t t1);
/* newfd now refers to oldfd's file (dup, dup2, dup3, fcntl F_DUPFD): same path and class.  The
 * caller already called pp_fd_closing(newfd) if newfd was open. */
void pp_fd_dup(struct pp_thread *t, int oldfd, int newfd, int fn, uint64_t t0, uint64_t t1);
/* Names what fd refers to when it is no file path (a socket's peer address). */
void pp_fd_set_path(struct pp_thread *t, int fd, const char *s, size_t n);
/* fstat(fd) said st_mode: the slot's class, if not known yet, without an fstat of our own
 * (programs fstat what they open: sqlite its journal, every transaction). */
void pp_fd_stat_seen(int fd, unsigned mode);
/* The fd class without accounting anything (fstat once per descriptor, then cached). */
int pp_fd_class(int fd);
/* pp_fd_closing for close(): returns the class the descriptor had, so the close itself can be
 * accounted after the slot is gone (pp_io_done_cls). */
int pp_fd_close_begin(struct pp_thread *t, int fd);
/* Accounting of a call whose descriptor table slot must not be touched (close), or that has no
 * descriptor (path-based metadata calls: fd -1, path recorded in IO_EVENT when the call is slow). */
void pp_io_done_cls(struct pp_thread *t, int fn, int fd, int cls, int op, int64_t result,
                    uint64_t t0, uint64_t t1);
void pp_io_done_path(struct pp_thread *t, int fn, int dirfd, const char *path, int op,
                     int64_t result, uint64_t t0, uint64_t t1);    /* keeps errno */
/* pp_io_done with t0 == 0 (and t1 == 0) counts a call that was not timed (stdio calls served
 * from the FILE buffer): calls and bytes, no time, no IO_EVENT, no sample tick. */
/* A stdio write-side call on fd (t0 == 0: not timed).  result: bytes the call took (< 0: -errno).
 * Programs that inline putc_unlocked put characters into the FILE buffer without any call we
 * see, until __overflow; so the slot remembers the FILE write pointer after the last call we
 * counted, and the bytes between that mark and `before` (the write pointer when this call
 * started, base = the buffer's write base) are added to this call.  after: the write pointer
 * when the call returned.  fn PP_FN_fflush with nothing to add counts time only. */
void pp_stdio_write(struct pp_thread *t, int fn, int fd, int64_t result, uintptr_t base,
                    uintptr_t before, uintptr_t after, uint64_t t0, uint64_t t1);
/* A stdio read-side call on fd (t0 == 0: not timed); result as for pp_io_done. */
void pp_stdio_read(struct pp_thread *t, int fn, int fd, int64_t result, uint64_t t0, uint64_t t1);

/* close_range/closefrom: FILE_STATS for every descriptor in [first, last] that we know of. */
void pp_fd_close_range(struct pp_thread *t, unsigned first, unsigned last);
/* fdtab.c: the table is mapped from pp_resolve_posix_io (the constructor). */
void pp_fdtab_init(void);
/* wrap_stdio.c, from pp_fd_flush_all: bytes stdout/stderr hold that inlined putc wrote. */
void pp_stdio_exit_account(struct pp_thread *t);

/* TYPE R = CALL between two duration reads T0 and T1 (pp_ticks), with pp_tsc tested once. */
#if defined(__x86_64__)
#define PP_TIMED_CALL(T0, T1, TYPE, R, CALL)                                  \
    uint64_t T0, T1; TYPE R;                                                  \
    if (pp_likely(pp_tsc)) { T0 = __builtin_ia32_rdtsc(); R = CALL; T1 = __builtin_ia32_rdtsc(); } \
    else { T0 = pp_now(); R = CALL; T1 = pp_now(); }
#else
#define PP_TIMED_CALL(T0, T1, TYPE, R, CALL)                                  \
    uint64_t T0 = pp_ticks(); TYPE R = CALL; uint64_t T1 = pp_ticks()
#endif

/* ---------- the descriptor table (fdtab.c) and the common case of pp_io_done ---------- */
/* One slot per descriptor number below PP_FD_SLOTS (fdtab.c describes it).  Hooks inline the
 * commonest case of pp_io_done (pp_io_account); fdtab.c has the rest. */
#define PP_FD_SLOTS 4096
enum { PP_F_CLS = 0x7, PP_F_OPENED = 0x8, PP_F_USED = 0x10, PP_F_APPEND = 0x20, PP_F_NOSEEK = 0x40 };
/* Counters are arrays indexed by op (PP_OP_READ, _WRITE, _META, _SYNC; calls[PP_X_SEEK] counts
 * seeks, whose time is metadata time), so one body serves every op without a branch per op. */
enum { PP_X_SEEK = PP_OPS };
struct pp_fd_slot {
    /* identity and position: kept by flush_all, cleared at close */
    _Atomic int32_t owner;          /* tid of the only thread that used it; -1 once shared */
    _Atomic uint32_t flags;         /* PP_F_CLS: class + 1 (0 = not known yet); PP_F_* */
    _Atomic uint64_t path;          /* interned id, 0 = not known (resolved when needed) */
    _Atomic int64_t pos;            /* tracked file position, -1 = unknown */
    _Atomic int64_t end[2];         /* end offset of the last read/write (sequential test) */
    _Atomic uint64_t open_ts;
    _Atomic uintptr_t stdio_mark;   /* FILE write pointer after the last stdio call we counted */
    /* counters: written out and zeroed by FILE_STATS */
    _Atomic uint64_t opens;
    _Atomic uint64_t calls[PP_OPS + 1];   /* reads, writes, meta, syncs, seeks */
    _Atomic uint64_t ns[PP_OPS];          /* read, write, meta (+ seeks, opens), sync time */
    _Atomic uint64_t bytes[2], seq[2];    /* read/write bytes, sequential reads/writes */
    _Atomic uint64_t max_offset;          /* with end[]: see slot_max (fdtab.c) */
    _Atomic uint64_t mmaps, mmap_bytes, errors;
    _Atomic uint32_t hist[2][PP_HIST];    /* access sizes, reads and writes */
};
PP_HIDDEN extern struct pp_fd_slot *pp_fdtab;
PP_HIDDEN extern unsigned pp_fdtab_slots;            /* PP_FD_SLOTS once mapped, else 0 */
/* pp_io_done less its fast path; leaves errno as it found it. */
void pp_io_slow(struct pp_thread *t, int fn, int fd, int op, int64_t result, uint64_t t0,
                uint64_t t1, int64_t offset);
void pp_io_self_measure(struct pp_thread *t, uint64_t t1);

/* A slot's owner (the one thread that has used it) updates it with plain loads and stores: other
 * threads only read, and an aligned access of 8 bytes or less does not tear. */
#define PP_OWN(type, field) (*(type *)&(field))

/* pp_hist_bucket for n >= 100: the common sizes (under 10 KiB) in a compare or two */
static inline unsigned pp_io_bucket(uint64_t n)
{
    return n < pp_hist_bounds[1] ? 1 : n < pp_hist_bounds[2] ? 2 : pp_hist_bucket(n);
}

/* The commonest call: no error, below the event threshold, no SAMPLE due, on a slot this thread
 * owns, already used and classified (untimed calls, t0 == t1 == 0, qualify too: d is 0 and t1 is
 * before the interval start).  Counts exactly what the general path counts, in plain updates
 * with the op as an index.  Returns 0, having changed nothing, when the call is not such a call.
 * (A fflush with nothing to add, the one call that counts no access, never comes here: stdio
 * keeps it away, and pp_io_done sees fflush on no descriptor.) */
static inline __attribute__((always_inline))
int pp_io_fast_slot(struct pp_thread *t, struct pp_fd_slot *s, int fn, int op, int64_t result,
                    uint64_t t0, uint64_t t1, int64_t offset)
{
    uint64_t d = t1 - t0;
    /* untimed is a constant 0 in the stdio hooks' buffered path: no interval check (t1 is before
     * the interval's start), no ns to add */
    int untimed = __builtin_constant_p(t1) && t1 == 0;
    if (pp_unlikely(result < 0 ||
                    d >= atomic_load_explicit(&pp_io_fast_ticks, memory_order_relaxed) ||
                    (!untimed && (int64_t)(t1 - t->sample_start_ticks) >=
                        (int64_t)atomic_load_explicit(&pp_interval_ticks, memory_order_relaxed))))
        return 0;
    uint32_t f = atomic_load_explicit(&s->flags, memory_order_relaxed);
    /* used, and the class known (F_CLS is the bits below F_USED) */
    if (pp_unlikely((f & (PP_F_USED | PP_F_CLS)) <= PP_F_USED ||
                    atomic_load_explicit(&s->owner, memory_order_relaxed) != t->tid))
        return 0;
    uint64_t n = (uint64_t)result;
    uint64_t ns = untimed ? 0 : (uint64_t)(((unsigned __int128)d *
                              atomic_load_explicit(&pp_tsc_mult, memory_order_relaxed)) >> 32);
    /* &t->io[(class) * PP_OPS + op], class = (f & PP_F_CLS) - 1, the constant part folded */
    struct pp_io_cell *c = (struct pp_io_cell *)((char *)&t->io[op] - PP_OPS * sizeof *c +
                                                 (f & PP_F_CLS) * (PP_OPS * sizeof *c));
    c->calls++;
    c->ns += ns;
    PP_OWN(uint64_t, s->ns[op]) += ns;
    if (op > PP_OP_WRITE) {
        PP_OWN(uint64_t, s->calls[op == PP_OP_META && (fn == PP_FN_lseek || fn == PP_FN_fseek)
                                  ? PP_X_SEEK : op]) += 1;
    } else {
        c->bytes += n;
        PP_OWN(uint64_t, s->calls[op]) += 1;
        PP_OWN(uint64_t, s->bytes[op]) += n;
        if (pp_likely(n < pp_hist_bounds[0])) PP_OWN(uint32_t, s->hist[op][0]) += 1;
        else PP_OWN(uint32_t, s->hist[op][pp_io_bucket(n)]) += 1;
        int64_t at = offset;
        if (pp_unlikely(f & (PP_F_NOSEEK | PP_F_APPEND))) {
            if (f & PP_F_NOSEEK) { PP_OWN(uint64_t, s->seq[op]) += 1; goto out; }   /* a stream */
            if (op == PP_OP_WRITE && offset < 0) {                     /* O_APPEND: at the end */
                PP_OWN(uint64_t, s->seq[op]) += 1;
                PP_OWN(int64_t, s->pos) = -1;
                goto out;
            }
        }
        if (at < 0) {
            at = PP_OWN(int64_t, s->pos);
            if (pp_unlikely(at < 0)) goto out;                         /* position unknown */
            PP_OWN(int64_t, s->pos) = at + result;
        }
        /* Darshan's definition: sequential = at or after the end of the previous access. */
        int64_t e0 = PP_OWN(int64_t, s->end[op]);
        if (pp_likely(at >= e0)) PP_OWN(uint64_t, s->seq[op]) += 1;
        else if ((uint64_t)e0 > PP_OWN(uint64_t, s->max_offset))    /* an end moving down */
            PP_OWN(uint64_t, s->max_offset) = (uint64_t)e0;
        PP_OWN(int64_t, s->end[op]) = at + result;
    }
out:
    /* About 1 timed call in 64 times its own bookkeeping: those whose duration in ticks is a
     * multiple of 64, a draw already in a register rather than a counter more to keep */
    if (!untimed && pp_unlikely(!(d & 63)) && t1) pp_io_self_measure(t, t1);
    return 1;
}

/* The same for a descriptor number: only those in the table have a slot. */
static inline __attribute__((always_inline))
int pp_io_fast(struct pp_thread *t, int fn, int fd, int op, int64_t result, uint64_t t0,
               uint64_t t1, int64_t offset)
{
    return pp_likely((unsigned)fd < pp_fdtab_slots) &&
           pp_io_fast_slot(t, &pp_fdtab[fd], fn, op, result, t0, t1, offset);
}

/* pp_io_done of a call that failed with r (< 0): the rest of a hook that took no lock and found
 * errno as the call left it; returns r, errno as it was. */
int64_t pp_io_failed(struct pp_thread *t, int fn, int fd, int op, int64_t r, uint64_t t0,
                     uint64_t t1, int64_t offset);

/* pp_io_done_path (op META): the commonest case (fast, no SAMPLE due) inlined. */
static inline __attribute__((always_inline))
void pp_io_path_account(struct pp_thread *t, int fn, int dirfd, const char *path, int64_t result,
                        uint64_t t0, uint64_t t1)
{
    uint64_t d = t1 - t0;
    if (pp_likely(d < atomic_load_explicit(&pp_io_fast_ticks, memory_order_relaxed) &&
                  (int64_t)(t1 - t->sample_start_ticks) <
                      (int64_t)atomic_load_explicit(&pp_interval_ticks, memory_order_relaxed))) {
        struct pp_io_cell *c = &t->io[PP_FD_FILE * PP_OPS + PP_OP_META];
        c->calls++;
        c->ns += (uint64_t)(((unsigned __int128)d *
                             atomic_load_explicit(&pp_tsc_mult, memory_order_relaxed)) >> 32);
        return;
    }
    pp_io_done_path(t, fn, dirfd, path, PP_OP_META, result, t0, t1);
}

/* The rest of pp_stdio_write/pp_stdio_read (op READ or WRITE, offset the current position);
 * keeps errno. */
void pp_stdio_slow(struct pp_thread *t, int fn, int fd, int op, int64_t result, uint64_t t0,
                   uint64_t t1);

/* pp_stdio_write and pp_stdio_read inlined (io.h above says what they count): most stdio calls
 * are served from the FILE buffer, untimed, and take pp_io_fast with t0 == t1 == 0. */
static inline __attribute__((always_inline))
void pp_stdio_write_account(struct pp_thread *t, int fn, int fd, int64_t result, uintptr_t base,
                            uintptr_t before, uintptr_t after, uint64_t t0, uint64_t t1)
{
    struct pp_fd_slot *s = 0;
    if (pp_likely((unsigned)fd < pp_fdtab_slots)) {
        s = &pp_fdtab[fd];
        /* the mark is where the last call we counted left the write pointer: usually `before`
         * itself (no inlined putc in between), and then there is nothing to add */
        uintptr_t m = atomic_load_explicit(&s->stdio_mark, memory_order_relaxed);
        if (pp_unlikely(m != before) && before > base && result >= 0)
            result += (int64_t)(before - ((m >= base && m <= before) ? m : base));
        if (m != after) atomic_store_explicit(&s->stdio_mark, after, memory_order_relaxed);
    }
    if (fn == PP_FN_fflush && result == 0) {      /* no access: time only, if timed */
        if (t0) pp_stdio_slow(t, fn, fd, PP_OP_WRITE, result, t0, t1);
        return;
    }
    if (!s || !pp_io_fast_slot(t, s, fn, PP_OP_WRITE, result, t0, t1, -1))
        pp_stdio_slow(t, fn, fd, PP_OP_WRITE, result, t0, t1);
}

static inline __attribute__((always_inline))
void pp_stdio_read_account(struct pp_thread *t, int fn, int fd, int64_t result, uint64_t t0,
                           uint64_t t1)
{
    if (!pp_io_fast(t, fn, fd, PP_OP_READ, result, t0, t1, -1))
        pp_stdio_slow(t, fn, fd, PP_OP_READ, result, t0, t1);
}

/* pp_io_done inlined: leaves errno as it found it, so a hook whose call succeeded need not read
 * or restore errno at all. */
static inline __attribute__((always_inline))
void pp_io_account(struct pp_thread *t, int fn, int fd, int op, int64_t result, uint64_t t0,
                   uint64_t t1, int64_t offset)
{
    if (!pp_io_fast(t, fn, fd, op, result, t0, t1, offset))
        pp_io_slow(t, fn, fd, op, result, t0, t1, offset);
}

#endif
