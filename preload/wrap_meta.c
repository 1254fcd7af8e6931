/* File metadata calls: the stat family (glibc >= 2.33 exports stat/fstat/lstat/fstatat, older
 * binaries import __xstat/__fxstat/__lxstat/__fxstatat: both are wrapped, pitfall 16), statx,
 * access/faccessat/eaccess, rename/renameat/renameat2, unlink/unlinkat/remove/rmdir,
 * mkdir/mkdirat, truncate, opendir.  All are op META on class FILE.  A path-based call has no
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
#include <sys/stat.h>

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

void pp_resolve_meta(void)
{
    PP_REAL(stat); PP_REAL(stat64); PP_REAL(lstat); PP_REAL(lstat64); PP_REAL(fstat);
    PP_REAL(fstat64); PP_REAL(fstatat); PP_REAL(fstatat64); PP_REAL(statx); PP_REAL(__xstat);
    PP_REAL(__xstat64); PP_REAL(__lxstat); PP_REAL(__lxstat64); PP_REAL(__fxstat);
    PP_REAL(__fxstat64); PP_REAL(__fxstatat); PP_REAL(__fxstatat64); PP_REAL(access);
    PP_REAL(faccessat); PP_REAL(eaccess); PP_REAL(euidaccess); PP_REAL(rename); PP_REAL(renameat);
    PP_REAL(renameat2); PP_REAL(unlink); PP_REAL(unlinkat); PP_REAL(remove); PP_REAL(rmdir);
    PP_REAL(mkdir); PP_REAL(mkdirat); PP_REAL(truncate); PP_REAL(truncate64); PP_REAL(opendir);
}

/* The real call runs with our guard released; accounting afterwards runs guarded. */
#define TIMED(CALL)                                                           \
    pp_leave(t);                                                              \
    uint64_t t0 = pp_now();                                                   \
    __typeof__(CALL) r = CALL;                                                \
    int e = errno;                                                            \
    uint64_t t1 = pp_now();                                                   \
    pp_guard = 1

#define DONE() do { pp_guard = 0; errno = e; return r; } while (0)

/* Path-based: dirfd/path name the file; EFAULT means the path cannot be read, so it is not. */
#define PATH_CALL(FN, DIRFD, PATH, CALL) do {                                 \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(CALL);                                                          \
        pp_io_done_path(t, PP_FN_##FN, DIRFD, e == EFAULT ? 0 : (PATH), PP_OP_META, \
                        r < 0 ? -(int64_t)e : 0, t0, t1);                     \
        DONE();                                                               \
    } while (0)

/* Descriptor-based: counted in the descriptor's FILE_STATS (meta). */
#define FD_CALL(FN, FD, CALL) do {                                            \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(CALL);                                                          \
        pp_io_done(t, PP_FN_##FN, FD, PP_OP_META, r < 0 ? -(int64_t)e : 0, t0, t1, -1); \
        DONE();                                                               \
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
PP_EXPORT int fstat(int fd, struct stat *b) { PP_REAL(fstat); FD_CALL(fstat, fd, real_fstat(fd, b)); }
PP_EXPORT int fstat64(int fd, struct stat64 *b) { PP_REAL(fstat64); FD_CALL(fstat, fd, real_fstat64(fd, b)); }
PP_EXPORT int fstatat(int d, const char *p, struct stat *b, int fl) { PP_REAL(fstatat); AT_CALL(stat, d, p, fl, real_fstatat(d, p, b, fl)); }
PP_EXPORT int fstatat64(int d, const char *p, struct stat64 *b, int fl) { PP_REAL(fstatat64); AT_CALL(stat, d, p, fl, real_fstatat64(d, p, b, fl)); }
PP_EXPORT int statx(int d, const char *p, int fl, unsigned m, struct statx *b) { PP_REAL(statx); AT_CALL(stat, d, p, fl, real_statx(d, p, fl, m, b)); }

PP_EXPORT int __xstat(int v, const char *p, struct stat *b) { PP_REAL(__xstat); PATH_CALL(stat, AT_FDCWD, p, real___xstat(v, p, b)); }
PP_EXPORT int __xstat64(int v, const char *p, struct stat64 *b) { PP_REAL(__xstat64); PATH_CALL(stat, AT_FDCWD, p, real___xstat64(v, p, b)); }
PP_EXPORT int __lxstat(int v, const char *p, struct stat *b) { PP_REAL(__lxstat); PATH_CALL(stat, AT_FDCWD, p, real___lxstat(v, p, b)); }
PP_EXPORT int __lxstat64(int v, const char *p, struct stat64 *b) { PP_REAL(__lxstat64); PATH_CALL(stat, AT_FDCWD, p, real___lxstat64(v, p, b)); }
PP_EXPORT int __fxstat(int v, int fd, struct stat *b) { PP_REAL(__fxstat); FD_CALL(fstat, fd, real___fxstat(v, fd, b)); }
PP_EXPORT int __fxstat64(int v, int fd, struct stat64 *b) { PP_REAL(__fxstat64); FD_CALL(fstat, fd, real___fxstat64(v, fd, b)); }
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
