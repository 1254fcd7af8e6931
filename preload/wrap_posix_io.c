/* POSIX descriptor I/O: open family, close family, read/write family (+64, vectored, fortify),
 * lseek, sync calls, dup family, fcntl, zero-copy transfers, ftruncate, pipe, mkstemp family.
 *
 * Each hook calls the next definition, times it with two clock reads and hands the result to
 * fdtab.c.  It never changes a return value or errno, never allocates, never locks.  The real
 * call runs outside our re-entrancy guard: it is the program's call, so a signal handler that
 * does I/O while it blocks is traced, and a handler that longjmps out of it leaves no guard set.
 *
 * Our trace descriptor is protected here (pitfall 12): close() of it answers EBADF as if it were
 * not open, dup2/dup3 onto it move ours away (pp_output_protect) before the program's call, and
 * close_range/closefrom skip it. */
#include "pp.h"
#include "io.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/close_range.h>

PP_DECLARE_REAL(int, open, (const char *, int, ...));
PP_DECLARE_REAL(int, open64, (const char *, int, ...));
PP_DECLARE_REAL(int, openat, (int, const char *, int, ...));
PP_DECLARE_REAL(int, openat64, (int, const char *, int, ...));
PP_DECLARE_REAL(int, creat, (const char *, mode_t));
PP_DECLARE_REAL(int, creat64, (const char *, mode_t));
PP_DECLARE_REAL(int, __open_2, (const char *, int));
PP_DECLARE_REAL(int, __open64_2, (const char *, int));
PP_DECLARE_REAL(int, __openat_2, (int, const char *, int));
PP_DECLARE_REAL(int, __openat64_2, (int, const char *, int));
PP_DECLARE_REAL(int, mkstemp, (char *));
PP_DECLARE_REAL(int, mkstemp64, (char *));
PP_DECLARE_REAL(int, mkostemp, (char *, int));
PP_DECLARE_REAL(int, mkostemp64, (char *, int));
PP_DECLARE_REAL(int, mkstemps, (char *, int));
PP_DECLARE_REAL(int, mkstemps64, (char *, int));
PP_DECLARE_REAL(int, close, (int));
PP_DECLARE_REAL(int, close_range, (unsigned, unsigned, int));
PP_DECLARE_REAL(void, closefrom, (int));
PP_DECLARE_REAL(ssize_t, read, (int, void *, size_t));
PP_DECLARE_REAL(ssize_t, write, (int, const void *, size_t));
PP_DECLARE_REAL(ssize_t, __read_chk, (int, void *, size_t, size_t));
PP_DECLARE_REAL(ssize_t, pread, (int, void *, size_t, off_t));
PP_DECLARE_REAL(ssize_t, pread64, (int, void *, size_t, off64_t));
PP_DECLARE_REAL(ssize_t, __pread_chk, (int, void *, size_t, off_t, size_t));
PP_DECLARE_REAL(ssize_t, __pread64_chk, (int, void *, size_t, off64_t, size_t));
PP_DECLARE_REAL(ssize_t, pwrite, (int, const void *, size_t, off_t));
PP_DECLARE_REAL(ssize_t, pwrite64, (int, const void *, size_t, off64_t));
PP_DECLARE_REAL(ssize_t, readv, (int, const struct iovec *, int));
PP_DECLARE_REAL(ssize_t, writev, (int, const struct iovec *, int));
PP_DECLARE_REAL(ssize_t, preadv, (int, const struct iovec *, int, off_t));
PP_DECLARE_REAL(ssize_t, preadv64, (int, const struct iovec *, int, off64_t));
PP_DECLARE_REAL(ssize_t, pwritev, (int, const struct iovec *, int, off_t));
PP_DECLARE_REAL(ssize_t, pwritev64, (int, const struct iovec *, int, off64_t));
PP_DECLARE_REAL(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int));
PP_DECLARE_REAL(ssize_t, preadv64v2, (int, const struct iovec *, int, off64_t, int));
PP_DECLARE_REAL(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int));
PP_DECLARE_REAL(ssize_t, pwritev64v2, (int, const struct iovec *, int, off64_t, int));
PP_DECLARE_REAL(off_t, lseek, (int, off_t, int));
PP_DECLARE_REAL(off64_t, lseek64, (int, off64_t, int));
PP_DECLARE_REAL(int, fsync, (int));
PP_DECLARE_REAL(int, fdatasync, (int));
PP_DECLARE_REAL(int, sync_file_range, (int, off64_t, off64_t, unsigned));
PP_DECLARE_REAL(int, ftruncate, (int, off_t));
PP_DECLARE_REAL(int, ftruncate64, (int, off64_t));
PP_DECLARE_REAL(int, dup, (int));
PP_DECLARE_REAL(int, dup2, (int, int));
PP_DECLARE_REAL(int, dup3, (int, int, int));
PP_DECLARE_REAL(int, fcntl, (int, int, ...));
PP_DECLARE_REAL(int, fcntl64, (int, int, ...));
PP_DECLARE_REAL(ssize_t, sendfile, (int, int, off_t *, size_t));
PP_DECLARE_REAL(ssize_t, sendfile64, (int, int, off64_t *, size_t));
PP_DECLARE_REAL(ssize_t, copy_file_range, (int, off64_t *, int, off64_t *, size_t, unsigned));
PP_DECLARE_REAL(ssize_t, splice, (int, off64_t *, int, off64_t *, size_t, unsigned));
PP_DECLARE_REAL(int, pipe, (int[2]));
PP_DECLARE_REAL(int, pipe2, (int[2], int));

void pp_resolve_posix_io(void)
{
    pp_fdtab_init();
    PP_REAL(open); PP_REAL(open64); PP_REAL(openat); PP_REAL(openat64); PP_REAL(creat);
    PP_REAL(creat64); PP_REAL(__open_2); PP_REAL(__open64_2); PP_REAL(__openat_2);
    PP_REAL(__openat64_2); PP_REAL(mkstemp); PP_REAL(mkstemp64); PP_REAL(mkostemp);
    PP_REAL(mkostemp64); PP_REAL(mkstemps); PP_REAL(mkstemps64);
    PP_REAL(close); PP_REAL(close_range); PP_REAL(closefrom);
    PP_REAL(read); PP_REAL(write); PP_REAL(__read_chk); PP_REAL(pread); PP_REAL(pread64);
    PP_REAL(__pread_chk); PP_REAL(__pread64_chk); PP_REAL(pwrite); PP_REAL(pwrite64);
    PP_REAL(readv); PP_REAL(writev); PP_REAL(preadv); PP_REAL(preadv64); PP_REAL(pwritev);
    PP_REAL(pwritev64); PP_REAL(preadv2); PP_REAL(preadv64v2); PP_REAL(pwritev2);
    PP_REAL(pwritev64v2); PP_REAL(lseek); PP_REAL(lseek64); PP_REAL(fsync); PP_REAL(fdatasync);
    PP_REAL(sync_file_range); PP_REAL(ftruncate); PP_REAL(ftruncate64); PP_REAL(dup);
    PP_REAL(dup2); PP_REAL(dup3); PP_REAL(fcntl); PP_REAL(fcntl64); PP_REAL(sendfile);
    PP_REAL(sendfile64); PP_REAL(copy_file_range); PP_REAL(splice); PP_REAL(pipe); PP_REAL(pipe2);
}

/* The real call runs with the guard released (see the top of the file); g_ keeps the caller's
 * state so the accounting afterwards runs guarded. */
#define TIMED(T0, R, CALL, E, T1)                                            \
    pp_leave(t);                                                             \
    uint64_t T0 = pp_ticks();                                                  \
    __typeof__(CALL) R = CALL;                                               \
    int E = errno;                                                           \
    uint64_t T1 = pp_ticks();                                                  \
    pp_guard = 1

#define DONE(E) do { pp_guard = 0; errno = E; } while (0)

/* A data or metadata call on one descriptor, REAL(...) being CALL.  pp_io_account keeps errno,
 * so errno is read only when the call failed (pp_io_failed, out of line: the common path then
 * keeps no stack frame for it); the guard is taken only around the accounting.
 * REAL is resolved on the pass-through path alone: tracing is on only once init resolved it. */
#define IO_CALL(REAL, FN, FD, OP, OFF, CALL) do {                             \
        struct pp_thread *t = pp_io_enter();                                  \
        if (!t) { PP_REAL(REAL); return CALL; }                               \
        PP_TIMED_CALL(t0, t1, __typeof__(CALL), r, CALL);                     \
        if (pp_unlikely(r < 0))                                               \
            return (__typeof__(CALL))pp_io_failed(t, PP_FN_##FN, FD, OP, r, t0, t1, OFF); \
        pp_guard = 1;                                                         \
        pp_io_account(t, PP_FN_##FN, FD, OP, (int64_t)r, t0, t1, OFF);        \
        pp_guard = 0;                                                         \
        return r;                                                             \
    } while (0)

/* open: mode is read only when the flags say a file may be created (as glibc does). */
#define NEEDS_MODE(fl) (((fl) & O_CREAT) || ((fl) & O_TMPFILE) == O_TMPFILE)
#define GET_MODE(last, fl) mode_t mode = 0;                                   \
    if (NEEDS_MODE(fl)) { va_list ap; va_start(ap, last); mode = (mode_t)va_arg(ap, int); va_end(ap); }

#define OPEN_CALL(DIRFD, PATH, FLAGS, CALL) do {                              \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(t0, r, CALL, e, t1);                                            \
        if (r >= 0) pp_fd_open_ex(t, r, DIRFD, PATH, FLAGS, PP_FN_open, t0, t1); \
        else pp_io_done_path(t, PP_FN_open, DIRFD, e == EFAULT ? 0 : PATH, PP_OP_META, -e, t0, t1); \
        DONE(e);                                                              \
        return r;                                                             \
    } while (0)

PP_EXPORT int open(const char *path, int flags, ...)
{
    GET_MODE(flags, flags);
    PP_REAL(open);
    OPEN_CALL(AT_FDCWD, path, flags, real_open(path, flags, mode));
}

PP_EXPORT int open64(const char *path, int flags, ...)
{
    GET_MODE(flags, flags);
    PP_REAL(open64);
    OPEN_CALL(AT_FDCWD, path, flags, real_open64(path, flags, mode));
}

PP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    GET_MODE(flags, flags);
    PP_REAL(openat);
    OPEN_CALL(dirfd, path, flags, real_openat(dirfd, path, flags, mode));
}

PP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    GET_MODE(flags, flags);
    PP_REAL(openat64);
    OPEN_CALL(dirfd, path, flags, real_openat64(dirfd, path, flags, mode));
}

PP_EXPORT int creat(const char *path, mode_t mode)
{
    PP_REAL(creat);
    OPEN_CALL(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, real_creat(path, mode));
}

PP_EXPORT int creat64(const char *path, mode_t mode)
{
    PP_REAL(creat64);
    OPEN_CALL(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, real_creat64(path, mode));
}

/* Fortify forms: the compiler proved no mode is needed. */
PP_EXPORT int __open_2(const char *path, int flags)
{
    PP_REAL(__open_2);
    OPEN_CALL(AT_FDCWD, path, flags, real___open_2(path, flags));
}

PP_EXPORT int __open64_2(const char *path, int flags)
{
    PP_REAL(__open64_2);
    OPEN_CALL(AT_FDCWD, path, flags, real___open64_2(path, flags));
}

PP_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    PP_REAL(__openat_2);
    OPEN_CALL(dirfd, path, flags, real___openat_2(dirfd, path, flags));
}

PP_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    PP_REAL(__openat64_2);
    OPEN_CALL(dirfd, path, flags, real___openat64_2(dirfd, path, flags));
}

/* mkstemp family: libc opens inside, invisible to our open; the template then holds the name. */
PP_EXPORT int mkstemp(char *tmpl) { PP_REAL(mkstemp); OPEN_CALL(AT_FDCWD, tmpl, O_RDWR, real_mkstemp(tmpl)); }
PP_EXPORT int mkstemp64(char *tmpl) { PP_REAL(mkstemp64); OPEN_CALL(AT_FDCWD, tmpl, O_RDWR, real_mkstemp64(tmpl)); }
PP_EXPORT int mkostemp(char *tmpl, int fl) { PP_REAL(mkostemp); OPEN_CALL(AT_FDCWD, tmpl, fl, real_mkostemp(tmpl, fl)); }
PP_EXPORT int mkostemp64(char *tmpl, int fl) { PP_REAL(mkostemp64); OPEN_CALL(AT_FDCWD, tmpl, fl, real_mkostemp64(tmpl, fl)); }
PP_EXPORT int mkstemps(char *tmpl, int sl) { PP_REAL(mkstemps); OPEN_CALL(AT_FDCWD, tmpl, O_RDWR, real_mkstemps(tmpl, sl)); }
PP_EXPORT int mkstemps64(char *tmpl, int sl) { PP_REAL(mkstemps64); OPEN_CALL(AT_FDCWD, tmpl, O_RDWR, real_mkstemps64(tmpl, sl)); }

/* ---------- close family ---------- */

PP_EXPORT int close(int fd)
{
    PP_REAL(close);
    /* Ours: EBADF, as if it were not open, and ours stays where it is.  (Moving it up, as dup2
     * onto it requires, would make a close-everything loop chase it past RLIMIT_NOFILE.) */
    if (pp_unlikely(pp_is_our_fd(fd))) { errno = EBADF; return -1; }
    struct pp_thread *t = pp_enter();
    if (!t) return real_close(fd);
    int cls = pp_fd_close_begin(t, fd);   /* before: the number may be reused at once */
    TIMED(t0, r, real_close(fd), e, t1);
    pp_io_done_cls(t, PP_FN_close, fd, cls, PP_OP_META, r < 0 ? -e : 0, t0, t1);
    DONE(e);
    return r;
}

static int sys_close_range(unsigned first, unsigned last, int flags)
{
    if (real_close_range) return real_close_range(first, last, flags);
    return (int)syscall(SYS_close_range, first, last, flags);
}

/* close_range over [first, last] minus our descriptors (an empty piece is not a call). */
static int close_range_around(unsigned first, unsigned last, int flags)
{
    int ours[3], n = pp_our_fds(ours), r = 0;
    unsigned lo = first;
    for (int i = 0; i < n && !r; i++) {
        unsigned o = (unsigned)ours[i];
        if (o < lo || o > last) continue;
        if (o > lo) r = sys_close_range(lo, o - 1, flags);
        lo = o + 1;
        if (lo == 0) return r;                      /* ours was ~0u: nothing above it */
    }
    if (!r && lo <= last) r = sys_close_range(lo, last, flags);
    return r;
}

PP_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    PP_REAL(close_range);
    struct pp_thread *t = pp_enter();
    if (t && !(flags & CLOSE_RANGE_CLOEXEC) && first <= last) pp_fd_close_range(t, first, last);
    int r;
    if (first <= last && !(flags & CLOSE_RANGE_CLOEXEC)) {
        r = 0;
        if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) { errno = EINVAL; r = -1; }
        if (!r) r = close_range_around(first, last, flags);
    } else {
        r = sys_close_range(first, last, flags);
    }
    if (t) { int e = errno; pp_leave(t); errno = e; }
    return r;
}

PP_EXPORT void closefrom(int low)
{
    PP_REAL(closefrom);
    PP_REAL(close_range);
    int e0 = errno;
    struct pp_thread *t = pp_enter();
    if (t && low >= 0) pp_fd_close_range(t, (unsigned)low, ~0u);
    if (t) pp_leave(t);
    errno = e0;
    unsigned from = (unsigned)(low < 0 ? 0 : low);
    if (close_range_around(from, ~0u, 0) != 0) {
        /* A kernel without close_range: one by one, up to the descriptor limit, around ours. */
        PP_REAL(close);
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = from; fd < max; fd++) if (!pp_is_our_fd((int)fd)) real_close((int)fd);
    }
    errno = e0;
}

/* ---------- data ---------- */

PP_EXPORT ssize_t read(int fd, void *b, size_t n) { IO_CALL(read, read, fd, PP_OP_READ, -1, real_read(fd, b, n)); }
PP_EXPORT ssize_t write(int fd, const void *b, size_t n) { IO_CALL(write, write, fd, PP_OP_WRITE, -1, real_write(fd, b, n)); }
PP_EXPORT ssize_t __read_chk(int fd, void *b, size_t n, size_t bl) { IO_CALL(__read_chk, read, fd, PP_OP_READ, -1, real___read_chk(fd, b, n, bl)); }
PP_EXPORT ssize_t pread(int fd, void *b, size_t n, off_t o) { IO_CALL(pread, pread, fd, PP_OP_READ, o, real_pread(fd, b, n, o)); }
PP_EXPORT ssize_t pread64(int fd, void *b, size_t n, off64_t o) { IO_CALL(pread64, pread, fd, PP_OP_READ, o, real_pread64(fd, b, n, o)); }
PP_EXPORT ssize_t __pread_chk(int fd, void *b, size_t n, off_t o, size_t bl) { IO_CALL(__pread_chk, pread, fd, PP_OP_READ, o, real___pread_chk(fd, b, n, o, bl)); }
PP_EXPORT ssize_t __pread64_chk(int fd, void *b, size_t n, off64_t o, size_t bl) { IO_CALL(__pread64_chk, pread, fd, PP_OP_READ, o, real___pread64_chk(fd, b, n, o, bl)); }
PP_EXPORT ssize_t pwrite(int fd, const void *b, size_t n, off_t o) { IO_CALL(pwrite, pwrite, fd, PP_OP_WRITE, o, real_pwrite(fd, b, n, o)); }
PP_EXPORT ssize_t pwrite64(int fd, const void *b, size_t n, off64_t o) { IO_CALL(pwrite64, pwrite, fd, PP_OP_WRITE, o, real_pwrite64(fd, b, n, o)); }
PP_EXPORT ssize_t readv(int fd, const struct iovec *v, int c) { IO_CALL(readv, readv, fd, PP_OP_READ, -1, real_readv(fd, v, c)); }
PP_EXPORT ssize_t writev(int fd, const struct iovec *v, int c) { IO_CALL(writev, writev, fd, PP_OP_WRITE, -1, real_writev(fd, v, c)); }
PP_EXPORT ssize_t preadv(int fd, const struct iovec *v, int c, off_t o) { IO_CALL(preadv, preadv, fd, PP_OP_READ, o, real_preadv(fd, v, c, o)); }
PP_EXPORT ssize_t preadv64(int fd, const struct iovec *v, int c, off64_t o) { IO_CALL(preadv64, preadv, fd, PP_OP_READ, o, real_preadv64(fd, v, c, o)); }
PP_EXPORT ssize_t pwritev(int fd, const struct iovec *v, int c, off_t o) { IO_CALL(pwritev, pwritev, fd, PP_OP_WRITE, o, real_pwritev(fd, v, c, o)); }
PP_EXPORT ssize_t pwritev64(int fd, const struct iovec *v, int c, off64_t o) { IO_CALL(pwritev64, pwritev, fd, PP_OP_WRITE, o, real_pwritev64(fd, v, c, o)); }
/* The v2 forms take offset -1 to mean "the current position", which is our convention too. */
PP_EXPORT ssize_t preadv2(int fd, const struct iovec *v, int c, off_t o, int f) { IO_CALL(preadv2, preadv, fd, PP_OP_READ, o, real_preadv2(fd, v, c, o, f)); }
PP_EXPORT ssize_t preadv64v2(int fd, const struct iovec *v, int c, off64_t o, int f) { IO_CALL(preadv64v2, preadv, fd, PP_OP_READ, o, real_preadv64v2(fd, v, c, o, f)); }
PP_EXPORT ssize_t pwritev2(int fd, const struct iovec *v, int c, off_t o, int f) { IO_CALL(pwritev2, pwritev, fd, PP_OP_WRITE, o, real_pwritev2(fd, v, c, o, f)); }
PP_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *v, int c, off64_t o, int f) { IO_CALL(pwritev64v2, pwritev, fd, PP_OP_WRITE, o, real_pwritev64v2(fd, v, c, o, f)); }

/* ---------- position, sync, size ---------- */

#define SEEK_CALL(CALL) do {                                                  \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(t0, r, CALL, e, t1);                                            \
        pp_io_done(t, PP_FN_lseek, fd, PP_OP_META, r < 0 ? -e : 0, t0, t1, -1); \
        if (r >= 0) pp_fd_seeked(fd, r);                                      \
        DONE(e);                                                              \
        return r;                                                             \
    } while (0)

PP_EXPORT off_t lseek(int fd, off_t o, int wh) { PP_REAL(lseek); SEEK_CALL(real_lseek(fd, o, wh)); }
PP_EXPORT off64_t lseek64(int fd, off64_t o, int wh) { PP_REAL(lseek64); SEEK_CALL(real_lseek64(fd, o, wh)); }
PP_EXPORT int fsync(int fd) { IO_CALL(fsync, fsync, fd, PP_OP_SYNC, -1, real_fsync(fd)); }
PP_EXPORT int fdatasync(int fd) { IO_CALL(fdatasync, fdatasync, fd, PP_OP_SYNC, -1, real_fdatasync(fd)); }
PP_EXPORT int sync_file_range(int fd, off64_t o, off64_t n, unsigned f) { IO_CALL(sync_file_range, sync_file_range, fd, PP_OP_SYNC, -1, real_sync_file_range(fd, o, n, f)); }
PP_EXPORT int ftruncate(int fd, off_t n) { IO_CALL(ftruncate, ftruncate, fd, PP_OP_META, -1, real_ftruncate(fd, n)); }
PP_EXPORT int ftruncate64(int fd, off64_t n) { IO_CALL(ftruncate64, ftruncate, fd, PP_OP_META, -1, real_ftruncate64(fd, n)); }

/* ---------- dup family ---------- */

#define DUP_CALL(OLD, NEWFD, CALL) do {                                       \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        if ((NEWFD) >= 0 && (NEWFD) != (OLD)) pp_fd_closing(t, NEWFD);        \
        TIMED(t0, r, CALL, e, t1);                                            \
        if (r >= 0 && r != (OLD)) pp_fd_dup(t, OLD, r, PP_FN_dup, t0, t1);    \
        else pp_io_done(t, PP_FN_dup, OLD, PP_OP_META, r < 0 ? -e : r, t0, t1, -1); \
        DONE(e);                                                              \
        return r;                                                             \
    } while (0)

PP_EXPORT int dup(int fd) { PP_REAL(dup); DUP_CALL(fd, -1, real_dup(fd)); }

/* dup2/dup3 onto our descriptor: ours moves away first, then the program gets exactly what it
 * asked for.  The replaced file's FILE_STATS are written before the call, while /proc/self/fd can
 * still name it (if the call then fails, its later I/O starts a new record). */
PP_EXPORT int dup2(int fd, int nfd)
{
    PP_REAL(dup2);
    if (pp_unlikely(pp_is_our_fd(nfd)) && fd != nfd) pp_output_protect(nfd);
    DUP_CALL(fd, nfd, real_dup2(fd, nfd));
}

PP_EXPORT int dup3(int fd, int nfd, int fl)
{
    PP_REAL(dup3);
    if (pp_unlikely(pp_is_our_fd(nfd)) && fd != nfd) pp_output_protect(nfd);
    DUP_CALL(fd, nfd, real_dup3(fd, nfd, fl));
}

/* fcntl is variadic: the third argument is an int, a pointer or absent.  Like glibc itself we
 * pass on a pointer-sized value; the callee reads only what cmd defines.  On x86-64 and AArch64
 * (Linux) a variadic function finds its third integer argument where a plain one does, so there
 * the hooks take it as a plain argument (symbol names by asm labels, as for scanf in
 * wrap_stdio.c), which saves va_start's register spills: sqlite locks with fcntl. */
#define FCNTL_BODY(REAL, ARG) do {                                            \
        struct pp_thread *t = pp_io_enter();                                  \
        if (!t) { PP_REAL(REAL); return real_##REAL(fd, cmd, ARG); }          \
        PP_TIMED_CALL(t0, t1, int, r, real_##REAL(fd, cmd, ARG));             \
        if (pp_unlikely(r < 0))                                               \
            return (int)pp_io_failed(t, PP_FN_fcntl, fd, PP_OP_META, r, t0, t1, -1); \
        pp_guard = 1;                                                         \
        if (pp_unlikely(cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) {          \
            int e = errno;                                                    \
            pp_fd_dup(t, fd, r, PP_FN_fcntl, t0, t1);                         \
            errno = e;                                                        \
        } else {                                                              \
            pp_io_account(t, PP_FN_fcntl, fd, PP_OP_META, 0, t0, t1, -1);     \
        }                                                                     \
        pp_guard = 0;                                                         \
        return r;                                                             \
    } while (0)

#if defined(__x86_64__) || defined(__aarch64__)
PP_EXPORT int pp_fcntl(int fd, int cmd, void *arg) __asm__("fcntl");
PP_EXPORT int pp_fcntl64(int fd, int cmd, void *arg) __asm__("fcntl64");
PP_EXPORT int pp_fcntl(int fd, int cmd, void *arg) { FCNTL_BODY(fcntl, arg); }
PP_EXPORT int pp_fcntl64(int fd, int cmd, void *arg) { FCNTL_BODY(fcntl64, arg); }
#else
PP_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap; va_start(ap, cmd); void *arg = va_arg(ap, void *); va_end(ap);
    FCNTL_BODY(fcntl, arg);
}
PP_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap; va_start(ap, cmd); void *arg = va_arg(ap, void *); va_end(ap);
    FCNTL_BODY(fcntl64, arg);
}
#endif

/* ---------- transfers between two descriptors ---------- */
/* The call is timed once, on the writing side; the reading side gets the bytes, untimed. */
#define XFER_CALL(FN, IN, INOFF, OUT, OUTOFF, CALL) do {                      \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        int64_t io_ = (INOFF) ? (int64_t)*(INOFF) : -1, oo_ = (OUTOFF) ? (int64_t)*(OUTOFF) : -1; \
        TIMED(t0, r, CALL, e, t1);                                            \
        if (r >= 0) pp_io_done(t, PP_FN_##FN, IN, PP_OP_READ, r, 0, 0, io_);  \
        pp_io_done(t, PP_FN_##FN, OUT, PP_OP_WRITE, r < 0 ? -(int64_t)e : (int64_t)r, t0, t1, oo_); \
        DONE(e);                                                              \
        return r;                                                             \
    } while (0)

static off64_t *const no_off = 0;

PP_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
    PP_REAL(sendfile);
    XFER_CALL(sendfile, in, off, out, no_off, real_sendfile(out, in, off, n));
}

PP_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
    PP_REAL(sendfile64);
    XFER_CALL(sendfile, in, off, out, no_off, real_sendfile64(out, in, off, n));
}

PP_EXPORT ssize_t copy_file_range(int in, off64_t *ino, int out, off64_t *outo, size_t n, unsigned f)
{
    PP_REAL(copy_file_range);
    XFER_CALL(copy_file_range, in, ino, out, outo, real_copy_file_range(in, ino, out, outo, n, f));
}

PP_EXPORT ssize_t splice(int in, off64_t *ino, int out, off64_t *outo, size_t n, unsigned f)
{
    PP_REAL(splice);
    XFER_CALL(splice, in, ino, out, outo, real_splice(in, ino, out, outo, n, f));
}

/* ---------- pipes ---------- */

#define PIPE_CALL(CALL) do {                                                  \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(t0, r, CALL, e, t1);                                            \
        if (r == 0) {                                                         \
            pp_fd_open_ex(t, fds[0], AT_FDCWD, 0, 0, PP_FN_pipe, t0, t1);     \
            pp_fd_open_ex(t, fds[1], AT_FDCWD, 0, 0, PP_FN_pipe, t1, t1);     \
        } else pp_io_done_cls(t, PP_FN_pipe, -1, PP_FD_PIPE, PP_OP_META, -e, t0, t1); \
        DONE(e);                                                              \
        return r;                                                             \
    } while (0)

PP_EXPORT int pipe(int fds[2]) { PP_REAL(pipe); PIPE_CALL(real_pipe(fds)); }
PP_EXPORT int pipe2(int fds[2], int fl)
{
    PP_REAL(pipe2);
    if (pp_unlikely(pp_guard)) return pp_private_pipe2(fds, fl, real_pipe2);   /* libunwind's */
    PIPE_CALL(real_pipe2(fds, fl));
}
