/* The per-descriptor table and the accounting every I/O hook ends in (pp_io_done and friends).
 *
 * One process-wide table of FD_SLOTS slots indexed by descriptor number, in one anonymous mmap
 * made at load (pages are touched only for descriptors in use).  A slot holds what the FILE_STATS
 * record needs, Darshan style: path, descriptor class, opens, calls/bytes/time each way, metadata
 * and sync calls, seeks, sequential accesses, access-size histograms, highest offset, errors.
 * Every call is also added to the calling thread's SAMPLE cells (class x op), which is all that
 * descriptors beyond the table get (and the footer says PP_FOOT_FDS_FULL).
 *
 * Descriptors are shared by threads, so slot fields are atomics, but a lock-prefixed add on every
 * counter would cost more than the rest of the hook: a slot remembers the one thread that uses
 * it and that thread updates with plain relaxed load/store; once a second thread touches the
 * slot it is marked shared for good and everyone uses atomic adds (a count can be lost only in
 * the instant of that switch).  The commonest call (no error, fast, the owner's slot, no SAMPLE
 * due) is counted by pp_io_fast, which io.h inlines into the hooks; everything else comes here.
 *
 * Never: malloc, stdio, locks, or a system call on the per-call path (one statx per descriptor
 * to learn its class unless the program's own fstat told us, readlink only when a record needs a
 * path we never saw).  pp_io_done, pp_io_slow, pp_io_done_path and pp_stdio_slow keep errno: the
 * hooks restore it only when their call failed. */
#include "pp.h"
#include "io.h"
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define FD_SLOTS PP_FD_SLOTS
#define RLX memory_order_relaxed
#define fd_slot pp_fd_slot
enum { F_CLS = PP_F_CLS, F_OPENED = PP_F_OPENED, F_USED = PP_F_USED, F_APPEND = PP_F_APPEND,
       F_NOSEEK = PP_F_NOSEEK, X_SEEK = PP_X_SEEK };
#define COUNTERS_OFF offsetof(struct fd_slot, opens)

struct fd_slot *pp_fdtab;           /* NULL if the mmap failed: everything counts as "beyond" */
unsigned pp_fdtab_slots;            /* FD_SLOTS once mapped, 0 before or if the mmap failed */
static atomic_int hiwater;          /* 1 + highest slot ever used: bounds the exit scan */
/* Class cache for descriptors beyond the table: (fd << 3 | class + 1), direct-mapped. */
static _Atomic uint32_t beyond_cls[256];
/* Class by interned path, (path id << 3 | class + 1), direct-mapped: a file opened again and
 * again (open, write a record, close) is classified at its first open only, not with a system
 * call at each.  A path keeps the type it had when first classified here: one replaced by a
 * FIFO of the same name would still count as a file. */
static _Atomic uint64_t path_cls[256];

static int path_class(uint64_t id)
{
    uint64_t v = id ? atomic_load_explicit(&path_cls[id & 255], RLX) : 0;
    return v >> 3 == id && (v & 7) ? (int)(v & 7) - 1 : -1;
}

static void table_map(void)
{
    if (pp_fdtab) return;
    void *m = (void *)syscall(SYS_mmap, 0, FD_SLOTS * sizeof(struct fd_slot), PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m != MAP_FAILED) { pp_fdtab = m; pp_fdtab_slots = FD_SLOTS; }
}

/* Called from pp_resolve_posix_io (the constructor), so the table exists before any hook counts. */
void pp_fdtab_init(void) { int e = errno; table_map(); errno = e; }

static inline struct fd_slot *slot_of(int fd)
{
    return pp_likely((unsigned)fd < pp_fdtab_slots) ? &pp_fdtab[fd] : 0;
}

/* The class a file type implies; -1 for a character device (a tty or not: ask). */
static int mode_class(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: case S_IFDIR: return PP_FD_FILE;
    case S_IFIFO: return PP_FD_PIPE;
    case S_IFSOCK: return PP_FD_SOCKET;
    case S_IFBLK: return PP_FD_DEVICE;
    case S_IFCHR: return -1;
    default: return PP_FD_OTHER;   /* anonymous inodes: eventfd, epoll, timerfd, signalfd */
    }
}

/* A descriptor's file type (S_IFMT bits), 0 if it has none we can learn.  statx asking for the
 * type alone, not fstat: a query that returns the timestamps marks the inode (Linux 6.13+
 * multigrain timestamps, on ext4, xfs, btrfs, tmpfs), so the program's next write to the file
 * takes a fine-grained ctime/mtime and dirties the inode — one fstat after each open made an
 * open-write-close loop 40% slower and changed the timestamps the program sees.  fstat only where
 * statx is missing (kernels before 4.11, seccomp filters that refuse it). */
static unsigned file_type(int fd)
{
    static atomic_int no_statx;
    if (!atomic_load_explicit(&no_statx, RLX)) {
        struct statx sx;
        if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE, &sx) == 0)
            return (sx.stx_mask & STATX_TYPE) ? sx.stx_mode & S_IFMT : 0;
        if (errno != ENOSYS && errno != EPERM) return 0;
        atomic_store_explicit(&no_statx, 1, RLX);
    }
    struct stat st;
    return syscall(SYS_fstat, fd, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

/* What the descriptor is: its file type (plus one ioctl for character devices). */
static int classify(int fd)
{
    int e = errno;
    int cls = PP_FD_OTHER;
    unsigned type = file_type(fd);
    if (type) {
        cls = mode_class(type);
        if (cls < 0) {
            struct termios tio;
            cls = syscall(SYS_ioctl, fd, TCGETS, &tio) == 0 ? PP_FD_TTY : PP_FD_DEVICE;
        }
    }
    errno = e;
    return cls;
}

static void note_used(int fd)
{
    int h = atomic_load_explicit(&hiwater, RLX);
    while (fd >= h && !atomic_compare_exchange_weak(&hiwater, &h, fd + 1)) {}
}

static __attribute__((noinline)) int slot_classify(struct fd_slot *s, int fd, int cls)
{
    if (cls < 0) cls = classify(fd);
    uint64_t id = atomic_load_explicit(&s->path, RLX);
    if (id && id < (1ull << 60)) atomic_store_explicit(&path_cls[id & 255], id << 3 | (uint64_t)(cls + 1), RLX);
    uint32_t f = atomic_load_explicit(&s->flags, RLX);
    if (!(f & (F_OPENED | F_USED))) note_used(fd);
    f = (f & ~(uint32_t)F_CLS) | (uint32_t)(cls + 1);
    if (cls != PP_FD_FILE) f |= F_NOSEEK;
    atomic_store_explicit(&s->flags, f, RLX);
    return cls;
}

static __attribute__((noinline)) int beyond_class(int fd)
{
    if (!(atomic_load_explicit(&pp_footer_flags, RLX) & PP_FOOT_FDS_FULL))
        atomic_fetch_or(&pp_footer_flags, PP_FOOT_FDS_FULL);
    _Atomic uint32_t *c = &beyond_cls[(unsigned)fd & 255];
    uint32_t v = atomic_load_explicit(c, RLX);
    if (v >> 3 == (uint32_t)fd && (v & 7)) return (int)(v & 7) - 1;
    int cls = classify(fd);
    atomic_store_explicit(c, (uint32_t)fd << 3 | (uint32_t)(cls + 1), RLX);
    return cls;
}

void pp_fd_stat_seen(int fd, unsigned mode)
{
    struct fd_slot *s = slot_of(fd);
    if (!s || (atomic_load_explicit(&s->flags, RLX) & F_CLS)) return;
    int cls = mode_class(mode);
    if (cls >= 0) slot_classify(s, fd, cls);
}

int pp_fd_class(int fd)
{
    if (fd < 0) return PP_FD_FILE;
    struct fd_slot *s = slot_of(fd);
    if (!s) return beyond_class(fd);
    uint32_t f = atomic_load_explicit(&s->flags, RLX);
    return (f & F_CLS) ? (int)(f & F_CLS) - 1 : slot_classify(s, fd, -1);
}

/* 1 when only this thread has used the slot (plain updates are safe), 0 once shared. */
static inline int slot_private(struct fd_slot *s, struct pp_thread *t)
{
    int32_t o = atomic_load_explicit(&s->owner, RLX);
    if (pp_likely(o == t->tid)) return 1;
    if (o == 0) {
        int32_t z = 0;
        if (atomic_compare_exchange_strong(&s->owner, &z, t->tid)) return 1;
    }
    if (o != -1) atomic_store_explicit(&s->owner, -1, RLX);
    return 0;
}

#define ADD(priv, field, v) do {                                                          \
        if (pp_likely(priv))                                                              \
            atomic_store_explicit(&(field), atomic_load_explicit(&(field), RLX) + (v), RLX); \
        else atomic_fetch_add_explicit(&(field), (v), RLX);                               \
    } while (0)

static inline void max_store(_Atomic uint64_t *m, uint64_t v)
{
    uint64_t cur = atomic_load_explicit(m, RLX);
    while (v > cur && !atomic_compare_exchange_weak_explicit(m, &cur, v, RLX, RLX)) {}
}

/* Absolute path into buf (cap bytes): as given when absolute, else joined to the directory it is
 * relative to (the cwd, or dirfd's target).  Returns the length, 0 if it cannot be made. */
static size_t absolute(int dirfd, const char *path, char *buf, size_t cap)
{
    size_t n = strlen(path);
    if (path[0] == '/') {
        if (n >= cap) n = cap - 1;
        memcpy(buf, path, n);
        return n;
    }
    long d;
    if (dirfd == AT_FDCWD) {
        d = syscall(SYS_getcwd, buf, cap);
        if (d <= 0) return 0;
        d = (long)strlen(buf);
    } else {
        char proc[32] = "/proc/self/fd/";
        char *p = proc + 14, tmp[12]; int k = 0;
        unsigned v = (unsigned)dirfd;
        do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
        while (k) *p++ = tmp[--k];
        *p = 0;
        d = syscall(SYS_readlinkat, AT_FDCWD, proc, buf, cap - 1);
        if (d <= 0) return 0;
    }
    if (!n) return (size_t)d;                 /* the directory itself (slot_path) */
    if (path[0] == '.' && path[1] == '/') { path += 2; n -= 2; }
    if ((size_t)d + 2 + n >= cap) {             /* too long: keep what fits */
        if ((size_t)d + 2 >= cap) return (size_t)d;
        n = cap - 2 - (size_t)d;
    }
    if (d > 1) buf[d++] = '/';
    memcpy(buf + d, path, n);
    return (size_t)d + n;
}

/* The slot's path id, learned from /proc/self/fd when the open was never seen (inherited
 * descriptors, stdin/stdout, files opened inside libc).  Never between rec_begin and rec_end. */
static uint64_t slot_path(struct pp_thread *t, struct fd_slot *s, int fd)
{
    uint64_t id = atomic_load_explicit(&s->path, RLX);
    if (id) return id;
    char buf[4096];
    int e = errno;
    size_t n = absolute(fd, "", buf, sizeof buf);
    errno = e;
    if (!n) return 0;
    id = pp_intern(t, buf, n);
    atomic_store_explicit(&s->path, id, RLX);
    return id;
}

/* A call that took ns (measured with duration reads): its timestamps are read here, as it is
 * rare (slower than the threshold, or 1 in N). */
static void io_event(struct pp_thread *t, int fn, int fd, int op, int cls, int64_t result,
                     uint64_t path, int64_t offset, uint64_t ns)
{
    uint64_t t1 = pp_now(), t0 = t1 - ns;
    uint64_t sec = t1 / 1000000000u;
    if (sec != t->io_events_sec) { t->io_events_sec = sec; t->io_events_this_sec = 0; }
    if (t->io_events_this_sec >= pp_cfg.io_events_per_sec) {
        if (!(atomic_load_explicit(&pp_footer_flags, RLX) & PP_FOOT_EVENTS_CAPPED))
            atomic_fetch_or(&pp_footer_flags, PP_FOOT_EVENTS_CAPPED);
        return;
    }
    t->io_events_this_sec++;
    uint64_t stack = pp_stack_capture(t, 2);
    uint8_t *p = pp_rec_begin(t, PP_K_IO_EVENT, 11 * 10);
    if (!p) return;
    p = pp_put_ts(t, p, t0);
    p = pp_put_u(p, t1 - t0);
    p = pp_put_u(p, (uint64_t)t->tid);
    p = pp_put_s(p, fd);
    p = pp_put_u(p, (uint64_t)fn);
    p = pp_put_u(p, (uint64_t)op);
    p = pp_put_u(p, (uint64_t)cls);
    p = pp_put_s(p, result);
    p = pp_put_u(p, path);
    p = pp_put_s(p, offset);
    p = pp_put_u(p, stack);
    pp_rec_end(t, p);
}

/* The per-file part of one call.  Returns the offset the access was at (-1: not a file). */
static inline __attribute__((always_inline))
int64_t slot_account(struct pp_thread *t, struct fd_slot *s, int fn, int op,
                                   int64_t result, uint64_t ns, int64_t offset)
{
    int priv = slot_private(s, t);
    uint32_t f = atomic_load_explicit(&s->flags, RLX);
    if (pp_unlikely(!(f & F_USED))) atomic_fetch_or_explicit(&s->flags, F_USED, RLX);
    if (pp_unlikely(result < 0)) {
        ADD(priv, s->errors, 1);
        ADD(priv, s->ns[op], ns);
        return -1;
    }
    if (op == PP_OP_WRITE && fn == PP_FN_fflush && result == 0) {   /* a flush: time, no access */
        ADD(priv, s->ns[PP_OP_WRITE], ns);
        return -1;
    }
    if (op == PP_OP_READ || op == PP_OP_WRITE) {
        uint64_t n = (uint64_t)result;
        ADD(priv, s->calls[op], 1); ADD(priv, s->bytes[op], n); ADD(priv, s->ns[op], ns);
        ADD(priv, s->hist[op][pp_hist_bucket(n)], 1);
        if (f & F_NOSEEK) {                 /* pipes, sockets, ttys: a stream is sequential */
            ADD(priv, s->seq[op], 1);
            return -1;
        }
        if (op == PP_OP_WRITE && (f & F_APPEND) && offset < 0) {   /* O_APPEND: at the end, whatever pos says */
            ADD(priv, s->seq[op], 1);
            atomic_store_explicit(&s->pos, -1, RLX);
            return -1;
        }
        int64_t at = offset;
        if (at < 0) {
            at = atomic_load_explicit(&s->pos, RLX);
            if (at >= 0) atomic_store_explicit(&s->pos, at + result, RLX);
        }
        if (at < 0) return -1;              /* position unknown (after fseek SEEK_END…) */
        /* Darshan's definition: sequential = at or after the end of the previous access. */
        int64_t e0 = atomic_load_explicit(&s->end[op], RLX);
        if (at >= e0) ADD(priv, s->seq[op], 1);
        else max_store(&s->max_offset, (uint64_t)e0);     /* see slot_max */
        atomic_store_explicit(&s->end[op], at + result, RLX);
        return at;
    }
    /* metadata and sync; a seek's time is metadata time */
    ADD(priv, s->calls[op == PP_OP_META && (fn == PP_FN_lseek || fn == PP_FN_fseek) ? X_SEEK : op], 1);
    ADD(priv, s->ns[op], ns);
    return -1;
}

static inline int64_t bytes_of(int op, int64_t result)
{
    return (op == PP_OP_READ || op == PP_OP_WRITE) && result > 0 ? result : 0;
}

/* Shared body: timed (t0 != 0; t0 and t1 are duration reads, pp_ticks) or only counted.  s: fd's
 * slot, or NULL (beyond the table, no descriptor, or EBADF: then nothing is classified and no slot is marked as used).  Inlined into
 * each entry point so a constant op prunes the branches of the others. */
static inline __attribute__((always_inline))
void account(struct pp_thread *t, int fn, int fd, struct fd_slot *s, int op, int64_t result,
             uint64_t t0, uint64_t t1, int64_t offset)
{
    uint64_t ns = t0 ? pp_ticks_ns(t1 - t0) : 0;
    int cls;
    int64_t at = offset;
    if (s) {
        uint32_t f = atomic_load_explicit(&s->flags, RLX);
        cls = (f & F_CLS) ? (int)(f & F_CLS) - 1 : slot_classify(s, fd, -1);
        at = slot_account(t, s, fn, op, result, ns, offset);
    } else {
        cls = fd < 0 ? PP_FD_FILE : result == -EBADF ? PP_FD_OTHER : beyond_class(fd);
    }
    struct pp_io_cell *c = &t->io[cls * PP_OPS + op];
    c->calls++;
    c->ns += ns;
    c->bytes += (uint64_t)bytes_of(op, result);
    if (pp_unlikely(t0 && ns >= pp_cfg.io_threshold_ns))
        io_event(t, fn, fd, op, cls, result, s ? slot_path(t, s, fd) : 0, at, ns);
    if (pp_unlikely(pp_cfg.events_all))
        pp_call_event(t, fn, (uint64_t)(int64_t)fd, result, pp_now() - ns, ns);
    if (t0) pp_tick_at(t, t1);
}

/* A slot's first call: classified and marked used, as account() would; then the call itself
 * may be counted by the fast path (sqlite's journal: a file opened, used, closed in every
 * transaction).  Returns 1 when it was. */
static inline int first_call(struct pp_thread *t, struct fd_slot *s, int fn, int fd, int op,
                             int64_t result, uint64_t t0, uint64_t t1, int64_t offset)
{
    uint32_t f = atomic_load_explicit(&s->flags, RLX);
    if (!(f & F_CLS)) slot_classify(s, fd, -1);
    if (!(f & F_USED)) atomic_fetch_or_explicit(&s->flags, F_USED, RLX);
    return pp_io_fast(t, fn, fd, op, result, t0, t1, offset);
}

/* 1 I/O call in 64 times its own bookkeeping (selfcost.c): that (capped, as a preemption is not
 * ours; what it called that counted itself, such as a SAMPLE, is in there too, within the cap)
 * and the hook's clock pair, averaged per call at the end. */
void pp_io_self_measure(struct pp_thread *t, uint64_t t1)
{
    uint64_t s0 = t->self_ns;
    pp_self_slow(t, s0, t1);
    t->io_self_ns += t->self_ns - s0;
    t->self_ns = s0;
    t->io_self_n++;
}

/* Everything pp_io_fast does not take.  It may make system calls (fstat to classify, a SAMPLE's
 * flush), so it keeps errno for the hooks, which then need not save it on the common path. */
void pp_io_slow(struct pp_thread *t, int fn, int fd, int op, int64_t result, uint64_t t0,
                uint64_t t1, int64_t offset)
{
    int e = errno;
    struct fd_slot *s = fd >= 0 && result != -EBADF ? slot_of(fd) : 0;
    if (s && result >= 0 && first_call(t, s, fn, fd, op, result, t0, t1, offset)) {
        errno = e;
        return;
    }
    /* A constant op prunes the other ops' branches from the inlined body. */
    if (op == PP_OP_WRITE) account(t, fn, fd, s, PP_OP_WRITE, result, t0, t1, offset);
    else if (op == PP_OP_READ) account(t, fn, fd, s, PP_OP_READ, result, t0, t1, offset);
    else account(t, fn, fd, s, op, result, t0, t1, offset);
    if (pp_unlikely(!(++t->io_self_tick & 63))) pp_io_self_measure(t, t1);
    errno = e;
}

int64_t pp_io_failed(struct pp_thread *t, int fn, int fd, int op, int64_t r, uint64_t t0,
                     uint64_t t1, int64_t offset)
{
    int e = errno;
    pp_guard = 1;
    pp_io_slow(t, fn, fd, op, -(int64_t)e, t0, t1, offset);
    pp_guard = 0;
    errno = e;
    return r;
}

/* Leaves errno as it found it (see pp_io_slow). */
void pp_io_done(struct pp_thread *t, int fn, int fd, int op, int64_t result, uint64_t t0,
                uint64_t t1, int64_t offset)
{
    pp_io_account(t, fn, fd, op, result, t0, t1, offset);
}

void pp_stdio_slow(struct pp_thread *t, int fn, int fd, int op, int64_t result, uint64_t t0,
                   uint64_t t1)
{
    int e = errno;
    struct fd_slot *s = slot_of(fd);
    if (s && result >= 0 && !(fn == PP_FN_fflush && result == 0) &&
        first_call(t, s, fn, fd, op, result, t0, t1, -1)) {
        errno = e;
        return;
    }
    if (op == PP_OP_READ) account(t, fn, fd, s, PP_OP_READ, result, t0, t1, -1);
    else account(t, fn, fd, s, PP_OP_WRITE, result, t0, t1, -1);
    errno = e;
}

void pp_stdio_read(struct pp_thread *t, int fn, int fd, int64_t result, uint64_t t0, uint64_t t1)
{
    pp_stdio_read_account(t, fn, fd, result, t0, t1);
}

static void done_cls(struct pp_thread *t, int fn, int fd, int cls, int op, int64_t result,
                     uint64_t t0, uint64_t t1, uint64_t path)
{
    struct pp_io_cell *c = &t->io[cls * PP_OPS + op];
    uint64_t ns = pp_ticks_ns(t1 - t0);
    c->calls++;
    c->ns += ns;
    c->bytes += (uint64_t)bytes_of(op, result);
    if (pp_unlikely(ns >= pp_cfg.io_threshold_ns))
        io_event(t, fn, fd, op, cls, result, path, -1, ns);
    if (pp_unlikely(pp_cfg.events_all))
        pp_call_event(t, fn, (uint64_t)(int64_t)fd, result, pp_now() - ns, ns);
    pp_tick_at(t, t1);
}

void pp_io_done_cls(struct pp_thread *t, int fn, int fd, int cls, int op, int64_t result,
                    uint64_t t0, uint64_t t1)
{
    done_cls(t, fn, fd, cls, op, result, t0, t1, 0);
}

void pp_io_done_path(struct pp_thread *t, int fn, int dirfd, const char *path, int op,
                     int64_t result, uint64_t t0, uint64_t t1)
{
    int e = errno;             /* kept: pp_io_path_account's callers do not restore it */
    struct pp_io_cell *c = &t->io[PP_FD_FILE * PP_OPS + op];
    uint64_t ns = pp_ticks_ns(t1 - t0);
    c->calls++;
    c->ns += ns;
    if (pp_unlikely(ns >= pp_cfg.io_threshold_ns)) {
        uint64_t id = 0;
        if (path) {
            char buf[4096];
            size_t n = absolute(dirfd, path, buf, sizeof buf);
            id = n ? pp_intern(t, buf, n) : pp_intern(t, path, strlen(path));
        }
        io_event(t, fn, -1, op, PP_FD_FILE, result, id, -1, ns);
    }
    if (pp_unlikely(pp_cfg.events_all))
        pp_call_event(t, fn, (uint64_t)(int64_t)-1, result, pp_now() - ns, ns);
    pp_tick_at(t, t1);
    errno = e;
}

/* ---------- descriptor life cycle ---------- */

/* The highest offset accessed.  An access moves end[op] up (sequential) or down; max_offset takes
 * the old end only when it moves down, so the common sequential access need not compare with it,
 * and the highest offset is the largest of the three.  (After pp_fd_flush_all zeroed the
 * counters, the ends of accesses before it still count: a failed exec is the only such case.) */
static uint64_t slot_max(struct fd_slot *s)
{
    uint64_t m = atomic_load_explicit(&s->max_offset, RLX);
    for (int i = 0; i < 2; i++) {
        uint64_t e = (uint64_t)atomic_load_explicit(&s->end[i], RLX);
        if (e > m) m = e;
    }
    return m;
}

/* lookup: the descriptor still refers to the slot's file, so /proc/self/fd may name it. */
static void emit_stats(struct pp_thread *t, struct fd_slot *s, int fd, uint64_t now, int lookup)
{
    uint64_t path = lookup ? slot_path(t, s, fd) : atomic_load_explicit(&s->path, RLX);
    uint32_t f = atomic_load_explicit(&s->flags, RLX);
    uint8_t *p = pp_rec_begin(t, PP_K_FILE_STATS, 40 * 10 + 2 * PP_HIST * 5);
    if (!p) return;
    p = pp_put_ts(t, p, now);
    p = pp_put_u(p, path);
    p = pp_put_u(p, (f & F_CLS) ? (f & F_CLS) - 1 : PP_FD_OTHER);
    p = pp_put_s(p, fd);
    p = pp_put_u(p, atomic_load_explicit(&s->open_ts, RLX));
#define U(x) p = pp_put_u(p, atomic_load_explicit(&s->x, RLX))
    U(opens); U(calls[0]); U(calls[1]); U(bytes[0]); U(bytes[1]); U(ns[0]); U(ns[1]);
    U(calls[PP_OP_META]); U(ns[PP_OP_META]); U(calls[PP_OP_SYNC]); U(ns[PP_OP_SYNC]);
    U(calls[X_SEEK]); U(seq[0]); U(seq[1]);
    p = pp_put_u(p, PP_HIST);
    for (int i = 0; i < PP_HIST; i++) p = pp_put_u(p, atomic_load_explicit(&s->hist[0][i], RLX));
    p = pp_put_u(p, PP_HIST);
    for (int i = 0; i < PP_HIST; i++) p = pp_put_u(p, atomic_load_explicit(&s->hist[1][i], RLX));
    p = pp_put_u(p, slot_max(s));
    U(mmaps); U(mmap_bytes); U(errors);
#undef U
    pp_rec_end(t, p);
}

/* A file opened and closed again and again (a shell's `echo x > f` in a loop, a log reopened per
 * line) would write one FILE_STATS per close: a trace growing with calls.  The first close of a
 * path is written at once, as always; closes of the same path within REOPEN_NS after it are
 * summed into a pending record (opens counts them), written when the next close finds it a
 * second old, when evicted, or at exit/exec: at most about one record a second per path.  The
 * table is process-wide behind a try-lock: a close that finds it busy writes its record itself,
 * so no thread ever waits here. */
#define REOPEN_SLOTS 8
#define REOPEN_NS 1000000000ull
struct reopen {
    uint64_t path, last_emit_ns;    /* path 0: free */
    uint64_t last_close_ns;         /* the pending record's time: its last close */
    int fd, pending;                /* pending: stats hold closes not yet written */
    struct fd_slot stats;
};
static struct reopen reopen_tab[REOPEN_SLOTS];
static atomic_flag reopen_lock = ATOMIC_FLAG_INIT;

/* Adds s's counters to d's (the lock is held; s is a slot being closed).  As plain words: the
 * counters are 64-bit words from opens to errors, then the 32-bit histograms. */
static void slot_merge(struct fd_slot *d, struct fd_slot *s)
{
    uint64_t m = slot_max(s), dm = atomic_load_explicit(&d->max_offset, RLX);
    /* 16 bytes a step (sqlite merges its journal's slot every transaction) */
    typedef uint64_t u64x2 __attribute__((vector_size(16), aligned(8), may_alias));
    typedef uint32_t u32x4 __attribute__((vector_size(16), aligned(4), may_alias));
    enum { N64 = (offsetof(struct fd_slot, hist) - COUNTERS_OFF) / 8 };
    uint64_t *dw = (uint64_t *)&d->opens;
    const uint64_t *sw = (const uint64_t *)&s->opens;
    size_t i = 0;
#pragma GCC unroll 16
    for (; i + 2 <= N64; i += 2) *(u64x2 *)(dw + i) += *(const u64x2 *)(sw + i);
    for (; i < N64; i++) dw[i] += sw[i];
    uint32_t *dh = (uint32_t *)d->hist;
    const uint32_t *sh = (const uint32_t *)s->hist;
    _Static_assert(2 * PP_HIST % 4 == 0, "slot_merge: histograms in steps of 4");
#pragma GCC unroll 8
    for (i = 0; i < 2 * PP_HIST; i += 4) *(u32x4 *)(dh + i) += *(const u32x4 *)(sh + i);
    atomic_store_explicit(&d->max_offset, m > dm ? m : dm, RLX);
}
_Static_assert(offsetof(struct fd_slot, hist) == offsetof(struct fd_slot, errors) + 8 &&
               (offsetof(struct fd_slot, hist) - COUNTERS_OFF) % 8 == 0,
               "slot_merge: the counters are 64-bit words up to the histograms");

/* Pending records at least a second old (all of them with force), written by t.  Lock held. */
static uint64_t reopen_next_ns;     /* no pending record is due before this (lock held) */
static int reopen_hint;             /* the entry last (re)started: checked first (lock held) */
static void reopen_flush(struct pp_thread *t, uint64_t now, int force)
{
    if (!force && now < reopen_next_ns) return;      /* every close calls: skip the scan */
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < REOPEN_SLOTS; i++) {
        struct reopen *r = &reopen_tab[i];
        if (!r->path || !r->pending) continue;
        if (!force && now - r->last_emit_ns < REOPEN_NS) {
            if (r->last_emit_ns + REOPEN_NS < next) next = r->last_emit_ns + REOPEN_NS;
            continue;
        }
        emit_stats(t, &r->stats, r->fd, r->last_close_ns, 0);
        r->pending = 0;
        r->last_emit_ns = now;
    }
    reopen_next_ns = next;
}

/* The FILE_STATS of a descriptor being closed: written now, or summed into a pending record. */
static void close_stats(struct pp_thread *t, struct fd_slot *s, int fd, uint64_t now)
{
    uint64_t path = slot_path(t, s, fd);
    if (!path || atomic_flag_test_and_set_explicit(&reopen_lock, memory_order_acquire)) {
        emit_stats(t, s, fd, now, 0);
        return;
    }
    reopen_flush(t, now, 0);
    int cls = (int)(atomic_load_explicit(&s->flags, RLX) & F_CLS);
    struct reopen *r = NULL, *lru = &reopen_tab[0];
    struct reopen *h = &reopen_tab[reopen_hint];      /* the same file as last time? */
    if (h->path == path && (int)(atomic_load_explicit(&h->stats.flags, RLX) & F_CLS) == cls) r = h;
    for (int i = 0; i < REOPEN_SLOTS && !r; i++) {
        struct reopen *c = &reopen_tab[i];
        if (c->path == path && (int)(atomic_load_explicit(&c->stats.flags, RLX) & F_CLS) == cls) r = c;
        else if (!c->path || (lru->path && c->last_emit_ns < lru->last_emit_ns)) lru = c;
    }
    if (r && now - r->last_emit_ns < REOPEN_NS) {      /* reopened within the second: sum */
        if (!r->pending) {
            memcpy((void *)&r->stats, (const void *)s, sizeof *s);
            r->pending = 1;
            if (r->last_emit_ns + REOPEN_NS < reopen_next_ns) reopen_next_ns = r->last_emit_ns + REOPEN_NS;
        } else {
            slot_merge(&r->stats, s);
        }
        r->fd = fd;
        r->last_close_ns = now;
    } else {                                            /* first close (in a while): write it */
        emit_stats(t, s, fd, now, 0);
        if (!r) {
            r = lru;
            if (r->path && r->pending) emit_stats(t, &r->stats, r->fd, r->last_close_ns, 0);
        } else if (r->pending) {
            emit_stats(t, &r->stats, r->fd, r->last_close_ns, 0);
        }
        r->path = path;
        r->fd = fd;
        r->pending = 0;
        reopen_hint = (int)(r - reopen_tab);
        r->last_emit_ns = now;
        atomic_store_explicit(&r->stats.flags, (uint32_t)cls, RLX);
    }
    atomic_flag_clear_explicit(&reopen_lock, memory_order_release);
}

static inline int slot_seen(struct fd_slot *s)
{
    return (atomic_load_explicit(&s->flags, RLX) & (F_OPENED | F_USED)) != 0;
}

/* A slot about to describe a new file: anything it still held is a file whose close we did not
 * see (closed inside libc, or by a raw system call); write it out first. */
static struct fd_slot *slot_fresh(struct pp_thread *t, int fd, uint64_t now)
{
    struct fd_slot *s = slot_of(fd);
    if (!s) {
        if (fd >= 0) atomic_store_explicit(&beyond_cls[(unsigned)fd & 255], 0, RLX);
        return 0;
    }
    if (!atomic_load_explicit(&s->flags, RLX)) {
        /* nothing counts into a slot without setting a flag first (close zeroed it all): only
         * the identity fields may hold something (a seek, a stdio mark) */
        memset((void *)s, 0, COUNTERS_OFF);
    } else {
        if (slot_seen(s)) emit_stats(t, s, fd, now, 0);   /* fd is already the new file */
        memset((void *)s, 0, sizeof *s);
    }
    atomic_store_explicit(&s->owner, t->tid, RLX);
    note_used(fd);
    return s;
}

void pp_fd_open_ex(struct pp_thread *t, int fd, int dirfd, const char *path, int oflags, int fn,
                   uint64_t t0, uint64_t t1)
{
    int cls = fn == PP_FN_socket || fn == PP_FN_accept ? PP_FD_SOCKET : fn == PP_FN_pipe ? PP_FD_PIPE : -1;
    uint64_t now = pp_now(), ns = pp_ticks_ns(t1 - t0);
    struct fd_slot *s = slot_fresh(t, fd, now);
    if (s) {
        uint64_t id = 0;
        if (path && path[0] == '/') {          /* absolute already: no copy (as absolute()) */
            size_t n = strlen(path);
            id = pp_intern(t, path, n < 4095 ? n : 4095);
        } else if (path && *path) {
            char buf[4096];
            int e = errno;
            size_t n = absolute(dirfd, path, buf, sizeof buf);
            errno = e;
            id = n ? pp_intern(t, buf, n) : pp_intern(t, path, strlen(path));
        }
        atomic_store_explicit(&s->path, id, RLX);
        atomic_store_explicit(&s->pos, 0, RLX);
        atomic_store_explicit(&s->open_ts, now, RLX);
        atomic_store_explicit(&s->opens, 1, RLX);
        atomic_store_explicit(&s->ns[PP_OP_META], ns, RLX);   /* Darshan: open time is metadata time */
        if (cls < 0) cls = path_class(id);
        /* F_USED now (it changes nothing for an opened slot) rather than by an atomic or at its
         * first call: once classified the slot then takes pp_io_fast from that first call */
        uint32_t f = F_OPENED | F_USED | ((oflags & O_APPEND) ? F_APPEND : 0);
        if (cls >= 0) f |= (uint32_t)(cls + 1) | (cls != PP_FD_FILE ? F_NOSEEK : 0);
        atomic_store_explicit(&s->flags, f, RLX);
        if (cls < 0 && ns >= pp_cfg.io_threshold_ns) cls = slot_classify(s, fd, -1);
    }
    if (cls < 0) cls = PP_FD_FILE;     /* classified lazily at its first I/O */
    done_cls(t, fn, fd, cls, PP_OP_META, fd, t0, t1, s ? atomic_load_explicit(&s->path, RLX) : 0);
}

void pp_fd_opened(struct pp_thread *t, int fd, const char *path, int fn, uint64_t t0, uint64_t t1)
{
    pp_fd_open_ex(t, fd, AT_FDCWD, path, 0, fn, t0, t1);
}

void pp_fd_dup(struct pp_thread *t, int oldfd, int newfd, int fn, uint64_t t0, uint64_t t1)
{
    struct fd_slot *o = slot_of(oldfd);
    uint64_t path = o ? atomic_load_explicit(&o->path, RLX) : 0;
    uint32_t of = o ? atomic_load_explicit(&o->flags, RLX) & (F_CLS | F_APPEND | F_NOSEEK) : 0;
    int64_t pos = o ? atomic_load_explicit(&o->pos, RLX) : -1;
    uint64_t now = pp_now();
    struct fd_slot *s = slot_fresh(t, newfd, now);
    if (s) {
        atomic_store_explicit(&s->path, path, RLX);
        atomic_store_explicit(&s->pos, pos, RLX);
        atomic_store_explicit(&s->open_ts, now, RLX);
        atomic_store_explicit(&s->flags, of | F_OPENED | F_USED, RLX);   /* as at open */
    }
    pp_io_done(t, fn, oldfd, PP_OP_META, newfd, t0, t1, -1);
}

int pp_fd_close_begin(struct pp_thread *t, int fd)
{
    struct fd_slot *s = slot_of(fd);
    if (!s) {
        if (fd < 0) return PP_FD_OTHER;
        int cls = beyond_class(fd);
        atomic_store_explicit(&beyond_cls[(unsigned)fd & 255], 0, RLX);
        return cls;
    }
    uint32_t f = atomic_load_explicit(&s->flags, RLX);
    if (!f) return PP_FD_OTHER;             /* never seen: no fstat just to name a close */
    int cls = (f & F_CLS) ? (int)(f & F_CLS) - 1 : slot_classify(s, fd, -1);
    if (f & (F_OPENED | F_USED)) close_stats(t, s, fd, pp_now());
    memset((void *)s, 0, sizeof *s);        /* the number will name another file next */
    return cls;
}

void pp_fd_closing(struct pp_thread *t, int fd) { (void)pp_fd_close_begin(t, fd); }

void pp_fd_close_range(struct pp_thread *t, unsigned first, unsigned last)
{
    unsigned h = (unsigned)atomic_load(&hiwater);
    for (unsigned fd = first; fd <= last && fd < h; fd++) {
        struct fd_slot *s = slot_of((int)fd);
        if (s && atomic_load_explicit(&s->flags, RLX)) pp_fd_close_begin(t, (int)fd);
    }
    if (last >= FD_SLOTS)
        for (int i = 0; i < 256; i++) atomic_store_explicit(&beyond_cls[i], 0, RLX);
}

void pp_fd_set_path(struct pp_thread *t, int fd, const char *str, size_t n)
{
    struct fd_slot *s = slot_of(fd);
    if (s) atomic_store_explicit(&s->path, pp_intern(t, str, n), RLX);
}

void pp_fd_seeked(int fd, int64_t pos)
{
    struct fd_slot *s = slot_of(fd);
    if (s) atomic_store_explicit(&s->pos, pos, RLX);
}

/* FILE_STATS for every descriptor with something to say (exit, exec); counters start over so a
 * failed exec followed by exit does not count anything twice. */
void pp_fd_flush_all(struct pp_thread *t)
{
    if (!pp_fdtab) return;
    int saved = errno;
    pp_stdio_exit_account(t);
    uint64_t now = pp_now();
    /* pending reopen sums: wait for a close in progress elsewhere (it holds the lock briefly) */
    for (int spin = 0; atomic_flag_test_and_set_explicit(&reopen_lock, memory_order_acquire); spin++)
        if (spin > 1000000) goto no_reopen;          /* a thread died holding it: give those up */
    reopen_flush(t, now, 1);
    atomic_flag_clear_explicit(&reopen_lock, memory_order_release);
no_reopen:
    int h = atomic_load(&hiwater);
    for (int fd = 0; fd < h && fd < FD_SLOTS; fd++) {
        struct fd_slot *s = &pp_fdtab[fd];
        if (!slot_seen(s)) continue;
        emit_stats(t, s, fd, now, 1);
        memset((uint8_t *)s + COUNTERS_OFF, 0, sizeof *s - COUNTERS_OFF);
        atomic_fetch_and(&s->flags, ~(uint32_t)(F_OPENED | F_USED));
    }
    errno = saved;
}

/* fork child: the parent's counters and string ids mean nothing here; drop the pages. */
void pp_fd_reset_after_fork(void)
{
    if (pp_fdtab) syscall(SYS_madvise, pp_fdtab, FD_SLOTS * sizeof(struct fd_slot), MADV_DONTNEED);
    atomic_store(&hiwater, 0);
    for (int i = 0; i < 256; i++) atomic_store_explicit(&beyond_cls[i], 0, RLX);
    for (int i = 0; i < 256; i++) atomic_store_explicit(&path_cls[i], 0, RLX);   /* ids start over */
    memset(reopen_tab, 0, sizeof reopen_tab);     /* the parent's files, written by the parent */
    reopen_next_ns = 0;
    reopen_hint = 0;
    atomic_flag_clear(&reopen_lock);
}

/* A file-backed mmap of fd (for wrap_mmap.c): its bytes never pass through read/write. */
void pp_fd_mmapped(int fd, uint64_t len)
{
    struct fd_slot *s = slot_of(fd);
    if (!s) return;
    atomic_fetch_add_explicit(&s->mmaps, 1, RLX);
    atomic_fetch_add_explicit(&s->mmap_bytes, len, RLX);
    if (!(atomic_load_explicit(&s->flags, RLX) & F_USED)) {
        note_used(fd);
        atomic_fetch_or_explicit(&s->flags, F_USED, RLX);
    }
}

/* ---------- stdio (see io.h) ---------- */

void pp_stdio_write(struct pp_thread *t, int fn, int fd, int64_t result, uintptr_t base,
                    uintptr_t before, uintptr_t after, uint64_t t0, uint64_t t1)
{
    pp_stdio_write_account(t, fn, fd, result, base, before, after, t0, t1);
}
