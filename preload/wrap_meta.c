/* File metadata calls: the stat family (glibc >= 2.33 exports stat/fstat/lstat/fstatat, older
 * binaries import __xstat/__fxstat/__lxstat/__fxstatat: both are wrapped, pitfall 16), statx,
 * access/faccessat/eaccess, rename/renameat/renameat2, unlink/unlinkat/remove/rmdir,
 * mkdir/mkdirat, truncate, opendir, and the other metadata calls real programs import (chmod,
 * chown, link, symlink, readlink, utime*, statvfs, posix_fadvise/fallocate).  All are op META.  A path-based call has no
 * descriptor (fd -1): its path is resolved and interned only when the call was slow enough for an
 * IO_EVENT, so a `make` doing thousands of stats pays two clock reads each and nothing more.
 * (newfstatat is a system call name, not a libc symbol: fstatat covers it.)
 *
 * Never: change a return value or errno, allocate, lock. */
#include "pp.h"
#include "io.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <utime.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>

/* No longer declared by glibc's headers (still exported for old binaries). */
int __xstat(int, const char *, struct stat *);
int __xstat64(int, const char *, struct stat64 *);
int __lxstat(int, const char *, struct stat *);
int __lxstat64(int, const char *, struct stat64 *);
int __fxstat(int, int, struct stat *);
int __fxstat64(int, int, struct stat64 *);
int __fxstatat(int, int, const char *, struct stat *, int);
int __fxstatat64(int, int, const char *, struct stat64 *, int);

PP_DECLARE_REAL(int, stat, (const char *, struct stat *));
PP_DECLARE_REAL(int, stat64, (const char *, struct stat64 *));
PP_DECLARE_REAL(int, lstat, (const char *, struct stat *));
PP_DECLARE_REAL(int, lstat64, (const char *, struct stat64 *));
PP_DECLARE_REAL(int, fstat, (int, struct stat *));
PP_DECLARE_REAL(int, fstat64, (int, struct stat64 *));
PP_DECLARE_REAL(int, fstatat, (int, const char *, struct stat *, int));
PP_DECLARE_REAL(int, fstatat64, (int, const char *, struct stat64 *, int));
PP_DECLARE_REAL(int, statx, (int, const char *, int, unsigned, struct statx *));
PP_DECLARE_REAL(int, __xstat, (int, const char *, struct stat *));
PP_DECLARE_REAL(int, __xstat64, (int, const char *, struct stat64 *));
PP_DECLARE_REAL(int, __lxstat, (int, const char *, struct stat *));
PP_DECLARE_REAL(int, __lxstat64, (int, const char *, struct stat64 *));
PP_DECLARE_REAL(int, __fxstat, (int, int, struct stat *));
PP_DECLARE_REAL(int, __fxstat64, (int, int, struct stat64 *));
PP_DECLARE_REAL(int, __fxstatat, (int, int, const char *, struct stat *, int));
PP_DECLARE_REAL(int, __fxstatat64, (int, int, const char *, struct stat64 *, int));
PP_DECLARE_REAL(int, access, (const char *, int));
PP_DECLARE_REAL(int, faccessat, (int, const char *, int, int));
PP_DECLARE_REAL(int, eaccess, (const char *, int));
PP_DECLARE_REAL(int, euidaccess, (const char *, int));
PP_DECLARE_REAL(int, rename, (const char *, const char *));
PP_DECLARE_REAL(int, renameat, (int, const char *, int, const char *));
PP_DECLARE_REAL(int, renameat2, (int, const char *, int, const char *, unsigned));
PP_DECLARE_REAL(int, unlink, (const char *));
PP_DECLARE_REAL(int, unlinkat, (int, const char *, int));
PP_DECLARE_REAL(int, remove, (const char *));
PP_DECLARE_REAL(int, rmdir, (const char *));
PP_DECLARE_REAL(int, mkdir, (const char *, mode_t));
PP_DECLARE_REAL(int, mkdirat, (int, const char *, mode_t));
PP_DECLARE_REAL(int, truncate, (const char *, off_t));
PP_DECLARE_REAL(int, truncate64, (const char *, off64_t));
PP_DECLARE_REAL(DIR *, opendir, (const char *));
PP_DECLARE_REAL(int, chmod, (const char *, mode_t));
PP_DECLARE_REAL(int, fchmod, (int, mode_t));
PP_DECLARE_REAL(int, fchmodat, (int, const char *, mode_t, int));
PP_DECLARE_REAL(int, chown, (const char *, uid_t, gid_t));
PP_DECLARE_REAL(int, lchown, (const char *, uid_t, gid_t));
PP_DECLARE_REAL(int, fchown, (int, uid_t, gid_t));
PP_DECLARE_REAL(int, fchownat, (int, const char *, uid_t, gid_t, int));
PP_DECLARE_REAL(int, link, (const char *, const char *));
PP_DECLARE_REAL(int, linkat, (int, const char *, int, const char *, int));
PP_DECLARE_REAL(int, symlink, (const char *, const char *));
PP_DECLARE_REAL(int, symlinkat, (const char *, int, const char *));
PP_DECLARE_REAL(ssize_t, readlink, (const char *, char *, size_t));
PP_DECLARE_REAL(ssize_t, readlinkat, (int, const char *, char *, size_t));
PP_DECLARE_REAL(int, utime, (const char *, const struct utimbuf *));
PP_DECLARE_REAL(int, utimes, (const char *, const struct timeval *));
PP_DECLARE_REAL(int, utimensat, (int, const char *, const struct timespec *, int));
PP_DECLARE_REAL(int, futimens, (int, const struct timespec *));
PP_DECLARE_REAL(int, statvfs, (const char *, struct statvfs *));
PP_DECLARE_REAL(int, statvfs64, (const char *, struct statvfs64 *));
PP_DECLARE_REAL(int, fstatvfs, (int, struct statvfs *));
PP_DECLARE_REAL(int, fstatvfs64, (int, struct statvfs64 *));
PP_DECLARE_REAL(int, posix_fadvise, (int, off_t, off_t, int));
PP_DECLARE_REAL(int, posix_fadvise64, (int, off64_t, off64_t, int));
PP_DECLARE_REAL(int, posix_fallocate, (int, off_t, off_t));
PP_DECLARE_REAL(int, posix_fallocate64, (int, off64_t, off64_t));
PP_DECLARE_REAL(int, fallocate, (int, int, off_t, off_t));
PP_DECLARE_REAL(int, fallocate64, (int, int, off64_t, off64_t));

void pp_resolve_meta(void)
{
    PP_REAL(stat); PP_REAL(stat64); PP_REAL(lstat); PP_REAL(lstat64); PP_REAL(fstat);
    PP_REAL(fstat64); PP_REAL(fstatat); PP_REAL(fstatat64); PP_REAL(statx); PP_REAL(__xstat);
    PP_REAL(__xstat64); PP_REAL(__lxstat); PP_REAL(__lxstat64); PP_REAL(__fxstat);
    PP_REAL(__fxstat64); PP_REAL(__fxstatat); PP_REAL(__fxstatat64); PP_REAL(access);
    PP_REAL(faccessat); PP_REAL(eaccess); PP_REAL(euidaccess); PP_REAL(rename); PP_REAL(renameat);
    PP_REAL(renameat2); PP_REAL(unlink); PP_REAL(unlinkat); PP_REAL(remove); PP_REAL(rmdir);
    PP_REAL(mkdir); PP_REAL(mkdirat); PP_REAL(truncate); PP_REAL(truncate64); PP_REAL(opendir);
    PP_REAL(chmod); PP_REAL(fchmod); PP_REAL(fchmodat); PP_REAL(chown); PP_REAL(lchown);
    PP_REAL(fchown); PP_REAL(fchownat); PP_REAL(link); PP_REAL(linkat); PP_REAL(symlink);
    PP_REAL(symlinkat); PP_REAL(readlink); PP_REAL(readlinkat); PP_REAL(utime); PP_REAL(utimes);
    PP_REAL(utimensat); PP_REAL(futimens); PP_REAL(statvfs); PP_REAL(statvfs64);
    PP_REAL(fstatvfs); PP_REAL(fstatvfs64); PP_REAL(posix_fadvise); PP_REAL(posix_fadvise64);
    PP_REAL(posix_fallocate); PP_REAL(posix_fallocate64); PP_REAL(fallocate); PP_REAL(fallocate64);
}

/* The real call runs with our guard released; accounting afterwards runs guarded. */
#define TIMED(CALL)                                                           \
    pp_leave(t);                                                              \
    uint64_t t0 = pp_ticks();                                                   \
    __typeof__(CALL) r = CALL;                                                \
    int e = errno;                                                            \
    uint64_t t1 = pp_ticks();                                                   \
    pp_guard = 1

#define DONE() do { pp_guard = 0; errno = e; return r; } while (0)

/* Path-based: dirfd/path name the file; EFAULT means the path cannot be read, so it is not.
 * The accounting keeps errno, so errno is read only when the call failed, and the guard is taken
 * only around the accounting. */
#define PATH_CALL(FN, DIRFD, PATH, CALL) do {                                 \
        struct pp_thread *t = pp_io_enter();                                  \
        if (!t) return CALL;                                                  \
        PP_TIMED_CALL(t0, t1, __typeof__(CALL), r, CALL);                     \
        if (pp_unlikely(r < 0)) {       /* common too: sqlite stats a journal that is gone */ \
            int e = errno;                                                    \
            pp_guard = 1;                                                     \
            pp_io_path_account(t, PP_FN_##FN, DIRFD, e == EFAULT ? 0 : (PATH), -(int64_t)e, t0, t1); \
            pp_guard = 0;                                                     \
            errno = e;                                                        \
            return r;                                                         \
        }                                                                     \
        pp_guard = 1;                                                         \
        pp_io_path_account(t, PP_FN_##FN, DIRFD, PATH, 0, t0, t1);            \
        pp_guard = 0;                                                         \
        return r;                                                             \
    } while (0)

/* Descriptor-based: counted in the descriptor's FILE_STATS (meta); errno as in PATH_CALL. */
#define FD_CALL(FN, FD, CALL) do {                                            \
        struct pp_thread *t = pp_io_enter();                                  \
        if (!t) return CALL;                                                  \
        PP_TIMED_CALL(t0, t1, __typeof__(CALL), r, CALL);                     \
        if (pp_unlikely(r < 0))                                               \
            return (__typeof__(CALL))pp_io_failed(t, PP_FN_##FN, FD, PP_OP_META, r, t0, t1, -1); \
        pp_guard = 1;                                                         \
        pp_io_account(t, PP_FN_##FN, FD, PP_OP_META, 0, t0, t1, -1);          \
        pp_guard = 0;                                                         \
        return r;                                                             \
    } while (0)

/* fstat: as FD_CALL, and what it found classifies the descriptor (fdtab.c). */
#define FSTAT_CALL(FD, BUF, CALL) do {                                        \
        struct pp_thread *t = pp_io_enter();                                  \
        if (!t) return CALL;                                                  \
        PP_TIMED_CALL(t0, t1, int, r, CALL);                                  \
        if (pp_unlikely(r < 0))                                               \
            return (int)pp_io_failed(t, PP_FN_fstat, FD, PP_OP_META, r, t0, t1, -1); \
        pp_guard = 1;                                                         \
        pp_fd_stat_seen(FD, (BUF)->st_mode);                                  \
        pp_io_account(t, PP_FN_fstat, FD, PP_OP_META, 0, t0, t1, -1);         \
        pp_guard = 0;                                                         \
        return r;                                                             \
    } while (0)

/* *at with AT_EMPTY_PATH and "" (or NULL, which statx accepts on recent kernels although the
 * header says nonnull: the barrier keeps the compiler from dropping the test) is a call on dirfd. */
static inline int empty_path(const char *p)
{
    __asm__("" : "+r"(p));
    return !p || !*p;
}

#define AT_CALL(FN, DIRFD, PATH, FLAGS, CALL) do {                            \
        if (((FLAGS) & AT_EMPTY_PATH) && (DIRFD) >= 0 && empty_path(PATH)) FD_CALL(fstat, DIRFD, CALL); \
        PATH_CALL(FN, DIRFD, PATH, CALL);                                     \
    } while (0)

PP_EXPORT int stat(const char *p, struct stat *b) { PP_REAL(stat); PATH_CALL(stat, AT_FDCWD, p, real_stat(p, b)); }
PP_EXPORT int stat64(const char *p, struct stat64 *b) { PP_REAL(stat64); PATH_CALL(stat, AT_FDCWD, p, real_stat64(p, b)); }
PP_EXPORT int lstat(const char *p, struct stat *b) { PP_REAL(lstat); PATH_CALL(stat, AT_FDCWD, p, real_lstat(p, b)); }
PP_EXPORT int lstat64(const char *p, struct stat64 *b) { PP_REAL(lstat64); PATH_CALL(stat, AT_FDCWD, p, real_lstat64(p, b)); }
PP_EXPORT int fstat(int fd, struct stat *b) { PP_REAL(fstat); FSTAT_CALL(fd, b, real_fstat(fd, b)); }
PP_EXPORT int fstat64(int fd, struct stat64 *b) { PP_REAL(fstat64); FSTAT_CALL(fd, b, real_fstat64(fd, b)); }
PP_EXPORT int fstatat(int d, const char *p, struct stat *b, int fl) { PP_REAL(fstatat); AT_CALL(stat, d, p, fl, real_fstatat(d, p, b, fl)); }
PP_EXPORT int fstatat64(int d, const char *p, struct stat64 *b, int fl) { PP_REAL(fstatat64); AT_CALL(stat, d, p, fl, real_fstatat64(d, p, b, fl)); }
PP_EXPORT int statx(int d, const char *p, int fl, unsigned m, struct statx *b) { PP_REAL(statx); AT_CALL(stat, d, p, fl, real_statx(d, p, fl, m, b)); }

PP_EXPORT int __xstat(int v, const char *p, struct stat *b) { PP_REAL(__xstat); PATH_CALL(stat, AT_FDCWD, p, real___xstat(v, p, b)); }
PP_EXPORT int __xstat64(int v, const char *p, struct stat64 *b) { PP_REAL(__xstat64); PATH_CALL(stat, AT_FDCWD, p, real___xstat64(v, p, b)); }
PP_EXPORT int __lxstat(int v, const char *p, struct stat *b) { PP_REAL(__lxstat); PATH_CALL(stat, AT_FDCWD, p, real___lxstat(v, p, b)); }
PP_EXPORT int __lxstat64(int v, const char *p, struct stat64 *b) { PP_REAL(__lxstat64); PATH_CALL(stat, AT_FDCWD, p, real___lxstat64(v, p, b)); }
PP_EXPORT int __fxstat(int v, int fd, struct stat *b) { PP_REAL(__fxstat); FSTAT_CALL(fd, b, real___fxstat(v, fd, b)); }
PP_EXPORT int __fxstat64(int v, int fd, struct stat64 *b) { PP_REAL(__fxstat64); FSTAT_CALL(fd, b, real___fxstat64(v, fd, b)); }
PP_EXPORT int __fxstatat(int v, int d, const char *p, struct stat *b, int fl) { PP_REAL(__fxstatat); AT_CALL(stat, d, p, fl, real___fxstatat(v, d, p, b, fl)); }
PP_EXPORT int __fxstatat64(int v, int d, const char *p, struct stat64 *b, int fl) { PP_REAL(__fxstatat64); AT_CALL(stat, d, p, fl, real___fxstatat64(v, d, p, b, fl)); }

PP_EXPORT int access(const char *p, int m) { PP_REAL(access); PATH_CALL(access, AT_FDCWD, p, real_access(p, m)); }
PP_EXPORT int faccessat(int d, const char *p, int m, int fl) { PP_REAL(faccessat); AT_CALL(access, d, p, fl, real_faccessat(d, p, m, fl)); }
PP_EXPORT int eaccess(const char *p, int m) { PP_REAL(eaccess); PATH_CALL(access, AT_FDCWD, p, real_eaccess(p, m)); }
PP_EXPORT int euidaccess(const char *p, int m) { PP_REAL(euidaccess); PATH_CALL(access, AT_FDCWD, p, real_euidaccess(p, m)); }

/* rename: the event names the source (the file the program had). */
PP_EXPORT int rename(const char *a, const char *b) { PP_REAL(rename); PATH_CALL(rename, AT_FDCWD, a, real_rename(a, b)); }
PP_EXPORT int renameat(int da, const char *a, int db, const char *b) { PP_REAL(renameat); PATH_CALL(rename, da, a, real_renameat(da, a, db, b)); }
PP_EXPORT int renameat2(int da, const char *a, int db, const char *b, unsigned fl) { PP_REAL(renameat2); PATH_CALL(rename, da, a, real_renameat2(da, a, db, b, fl)); }

PP_EXPORT int unlink(const char *p) { PP_REAL(unlink); PATH_CALL(unlink, AT_FDCWD, p, real_unlink(p)); }
PP_EXPORT int unlinkat(int d, const char *p, int fl) { PP_REAL(unlinkat); PATH_CALL(unlink, d, p, real_unlinkat(d, p, fl)); }
PP_EXPORT int remove(const char *p) { PP_REAL(remove); PATH_CALL(unlink, AT_FDCWD, p, real_remove(p)); }
PP_EXPORT int rmdir(const char *p) { PP_REAL(rmdir); PATH_CALL(unlink, AT_FDCWD, p, real_rmdir(p)); }
PP_EXPORT int mkdir(const char *p, mode_t m) { PP_REAL(mkdir); PATH_CALL(mkdir, AT_FDCWD, p, real_mkdir(p, m)); }
PP_EXPORT int mkdirat(int d, const char *p, mode_t m) { PP_REAL(mkdirat); PATH_CALL(mkdir, d, p, real_mkdirat(d, p, m)); }
PP_EXPORT int truncate(const char *p, off_t n) { PP_REAL(truncate); PATH_CALL(truncate, AT_FDCWD, p, real_truncate(p, n)); }
PP_EXPORT int truncate64(const char *p, off64_t n) { PP_REAL(truncate64); PATH_CALL(truncate, AT_FDCWD, p, real_truncate64(p, n)); }

/* opendir: the directory's descriptor is opened and closed inside libc (closedir); only the
 * open is a metadata call here. */
PP_EXPORT DIR *opendir(const char *p)
{
    PP_REAL(opendir);
    struct pp_thread *t = pp_enter();
    if (!t) return real_opendir(p);
    TIMED(real_opendir(p));
    pp_io_done_path(t, PP_FN_opendir, AT_FDCWD, e == EFAULT ? 0 : p, PP_OP_META, r ? 0 : -(int64_t)e, t0, t1);
    DONE();
}

/* Permissions, ownership, links, times, file system queries: metadata without a function id of
 * their own in the trace (PP_FN_other), except statvfs (PP_FN_stat). */
PP_EXPORT int chmod(const char *p, mode_t m) { PP_REAL(chmod); PATH_CALL(other, AT_FDCWD, p, real_chmod(p, m)); }
PP_EXPORT int fchmod(int fd, mode_t m) { PP_REAL(fchmod); FD_CALL(other, fd, real_fchmod(fd, m)); }
PP_EXPORT int fchmodat(int d, const char *p, mode_t m, int fl) { PP_REAL(fchmodat); PATH_CALL(other, d, p, real_fchmodat(d, p, m, fl)); }
PP_EXPORT int chown(const char *p, uid_t u, gid_t g) { PP_REAL(chown); PATH_CALL(other, AT_FDCWD, p, real_chown(p, u, g)); }
PP_EXPORT int lchown(const char *p, uid_t u, gid_t g) { PP_REAL(lchown); PATH_CALL(other, AT_FDCWD, p, real_lchown(p, u, g)); }
PP_EXPORT int fchown(int fd, uid_t u, gid_t g) { PP_REAL(fchown); FD_CALL(other, fd, real_fchown(fd, u, g)); }
PP_EXPORT int fchownat(int d, const char *p, uid_t u, gid_t g, int fl) { PP_REAL(fchownat); AT_CALL(other, d, p, fl, real_fchownat(d, p, u, g, fl)); }
PP_EXPORT int link(const char *a, const char *b) { PP_REAL(link); PATH_CALL(other, AT_FDCWD, a, real_link(a, b)); }
PP_EXPORT int linkat(int da, const char *a, int db, const char *b, int fl) { PP_REAL(linkat); PATH_CALL(other, da, a, real_linkat(da, a, db, b, fl)); }
PP_EXPORT int symlink(const char *a, const char *b) { PP_REAL(symlink); PATH_CALL(other, AT_FDCWD, b, real_symlink(a, b)); }
PP_EXPORT int symlinkat(const char *a, int d, const char *b) { PP_REAL(symlinkat); PATH_CALL(other, d, b, real_symlinkat(a, d, b)); }
PP_EXPORT ssize_t readlink(const char *p, char *b, size_t n) { PP_REAL(readlink); PATH_CALL(stat, AT_FDCWD, p, real_readlink(p, b, n)); }
PP_EXPORT ssize_t readlinkat(int d, const char *p, char *b, size_t n) { PP_REAL(readlinkat); PATH_CALL(stat, d, p, real_readlinkat(d, p, b, n)); }
PP_EXPORT int utime(const char *p, const struct utimbuf *u) { PP_REAL(utime); PATH_CALL(other, AT_FDCWD, p, real_utime(p, u)); }
PP_EXPORT int utimes(const char *p, const struct timeval tv[2]) { PP_REAL(utimes); PATH_CALL(other, AT_FDCWD, p, real_utimes(p, tv)); }
PP_EXPORT int futimens(int fd, const struct timespec ts[2]) { PP_REAL(futimens); FD_CALL(other, fd, real_futimens(fd, ts)); }
PP_EXPORT int utimensat(int d, const char *p, const struct timespec ts[2], int fl)
{
    PP_REAL(utimensat);
    if (empty_path(p) && !(fl & AT_EMPTY_PATH) && d >= 0)   /* NULL path: the descriptor itself */
        FD_CALL(other, d, real_utimensat(d, p, ts, fl));
    PATH_CALL(other, d, p, real_utimensat(d, p, ts, fl));
}
PP_EXPORT int statvfs(const char *p, struct statvfs *b) { PP_REAL(statvfs); PATH_CALL(stat, AT_FDCWD, p, real_statvfs(p, b)); }
PP_EXPORT int statvfs64(const char *p, struct statvfs64 *b) { PP_REAL(statvfs64); PATH_CALL(stat, AT_FDCWD, p, real_statvfs64(p, b)); }
PP_EXPORT int fstatvfs(int fd, struct statvfs *b) { PP_REAL(fstatvfs); FD_CALL(fstat, fd, real_fstatvfs(fd, b)); }
PP_EXPORT int fstatvfs64(int fd, struct statvfs64 *b) { PP_REAL(fstatvfs64); FD_CALL(fstat, fd, real_fstatvfs64(fd, b)); }

/* posix_fadvise/posix_fallocate return the error number instead of setting errno. */
#define ERRNUM_CALL(FN, FD, CALL) do {                                        \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(CALL);                                                          \
        pp_io_done(t, PP_FN_##FN, FD, PP_OP_META, r ? -(int64_t)r : 0, t0, t1, -1); \
        DONE();                                                               \
    } while (0)

PP_EXPORT int posix_fadvise(int fd, off_t o, off_t n, int a) { PP_REAL(posix_fadvise); ERRNUM_CALL(other, fd, real_posix_fadvise(fd, o, n, a)); }
PP_EXPORT int posix_fadvise64(int fd, off64_t o, off64_t n, int a) { PP_REAL(posix_fadvise64); ERRNUM_CALL(other, fd, real_posix_fadvise64(fd, o, n, a)); }
PP_EXPORT int posix_fallocate(int fd, off_t o, off_t n) { PP_REAL(posix_fallocate); ERRNUM_CALL(other, fd, real_posix_fallocate(fd, o, n)); }
PP_EXPORT int posix_fallocate64(int fd, off64_t o, off64_t n) { PP_REAL(posix_fallocate64); ERRNUM_CALL(other, fd, real_posix_fallocate64(fd, o, n)); }
PP_EXPORT int fallocate(int fd, int m, off_t o, off_t n) { PP_REAL(fallocate); FD_CALL(other, fd, real_fallocate(fd, m, o, n)); }
PP_EXPORT int fallocate64(int fd, int m, off64_t o, off64_t n) { PP_REAL(fallocate64); FD_CALL(other, fd, real_fallocate64(fd, m, o, n)); }
