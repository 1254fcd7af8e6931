/* stdio as its own family (as Darshan's STDIO module): libc's fread/fwrite/printf reach the
 * kernel through internal calls our read/write hooks never see (pitfall 18), so bytes are counted
 * here, at the stdio layer, against the FILE's descriptor (op READ/WRITE; fflush is write time,
 * fseek/ftell/fclose metadata).  Covers the *_unlocked, *64 and __*_chk forms, the inlined-getc/
 * putc entry points __uflow/__overflow, and _IO_getc/_IO_putc (pitfalls 16, 17).
 *
 * Cost.  Most stdio calls copy a few bytes into or out of the FILE buffer (3-60 ns); two clock
 * reads (about 25 ns each here) would double or triple them.  So a call is timed only when it may
 * reach the kernel, which the FILE's own pointers tell us before the call: a write that does not
 * fit the room left in a fully buffered stream's buffer, a read that the buffered bytes cannot
 * satisfy, any call on an unbuffered or line-buffered stream, __uflow/__overflow.  Calls served
 * from the buffer are counted (calls, bytes) but not timed, which loses only their memcpy time.
 * This is exact for I/O time, unlike 1-in-N sampling, which aliases with the buffer period (a
 * 64-byte record into a 4 KiB buffer flushes exactly every 64th call).  printf-family output
 * length is unknown in advance: those are timed when less than PRINTF_ROOM bytes are left, and
 * counted untimed after all when the buffer took the whole output (STAYED).
 * Per-character calls (fputc, getc, …) thus cost a pointer compare and a few increments.
 *
 * Never: allocate, take a FILE lock (only the FILE's pointers are read, racily, to choose whether
 * to time), change a return value or errno.  A FILE without a descriptor (fmemopen,
 * open_memstream, fopencookie: fileno -1) is not I/O and passes straight through. */
#include "pp.h"
#include "io.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* bits/stdio.h turns these into macros when optimizing; we define the functions themselves. */
#undef fwrite_unlocked
#undef fread_unlocked
#undef putc
#undef getc
#undef putchar
#undef getchar

/* glibc FILE flag bits (libio.h), stable ABI since glibc 2.1. */
#define STDIO_UNBUFFERED 0x0002
#define STDIO_ERR_SEEN   0x0020
#define STDIO_LINE_BUF   0x0200
#define PRINTF_ROOM 1024

PP_DECLARE_REAL(FILE *, fopen, (const char *, const char *));
PP_DECLARE_REAL(FILE *, fopen64, (const char *, const char *));
PP_DECLARE_REAL(FILE *, freopen, (const char *, const char *, FILE *));
PP_DECLARE_REAL(FILE *, freopen64, (const char *, const char *, FILE *));
PP_DECLARE_REAL(int, fclose, (FILE *));
PP_DECLARE_REAL(size_t, fread, (void *, size_t, size_t, FILE *));
PP_DECLARE_REAL(size_t, fread_unlocked, (void *, size_t, size_t, FILE *));
PP_DECLARE_REAL(size_t, __fread_chk, (void *, size_t, size_t, size_t, FILE *));
PP_DECLARE_REAL(size_t, __fread_unlocked_chk, (void *, size_t, size_t, size_t, FILE *));
PP_DECLARE_REAL(size_t, fwrite, (const void *, size_t, size_t, FILE *));
PP_DECLARE_REAL(size_t, fwrite_unlocked, (const void *, size_t, size_t, FILE *));
PP_DECLARE_REAL(char *, fgets, (char *, int, FILE *));
PP_DECLARE_REAL(char *, fgets_unlocked, (char *, int, FILE *));
PP_DECLARE_REAL(char *, __fgets_chk, (char *, size_t, int, FILE *));
PP_DECLARE_REAL(char *, __fgets_unlocked_chk, (char *, size_t, int, FILE *));
PP_DECLARE_REAL(int, fputs, (const char *, FILE *));
PP_DECLARE_REAL(int, fputs_unlocked, (const char *, FILE *));
PP_DECLARE_REAL(int, puts, (const char *));
PP_DECLARE_REAL(int, fgetc, (FILE *));
PP_DECLARE_REAL(int, getc, (FILE *));
PP_DECLARE_REAL(int, _IO_getc, (FILE *));
PP_DECLARE_REAL(int, fgetc_unlocked, (FILE *));
PP_DECLARE_REAL(int, getc_unlocked, (FILE *));
PP_DECLARE_REAL(int, getchar, (void));
PP_DECLARE_REAL(int, getchar_unlocked, (void));
PP_DECLARE_REAL(int, fputc, (int, FILE *));
PP_DECLARE_REAL(int, putc, (int, FILE *));
PP_DECLARE_REAL(int, _IO_putc, (int, FILE *));
PP_DECLARE_REAL(int, fputc_unlocked, (int, FILE *));
PP_DECLARE_REAL(int, putc_unlocked, (int, FILE *));
PP_DECLARE_REAL(int, putchar, (int));
PP_DECLARE_REAL(int, putchar_unlocked, (int));
PP_DECLARE_REAL(int, __uflow, (FILE *));
PP_DECLARE_REAL(int, __overflow, (FILE *, int));
PP_DECLARE_REAL(int, vfprintf, (FILE *, const char *, va_list));
PP_DECLARE_REAL(int, __vfprintf_chk, (FILE *, int, const char *, va_list));
PP_DECLARE_REAL(int, vdprintf, (int, const char *, va_list));
PP_DECLARE_REAL(int, __vdprintf_chk, (int, int, const char *, va_list));
PP_DECLARE_REAL(ssize_t, getdelim, (char **, size_t *, int, FILE *));
PP_DECLARE_REAL(ssize_t, __getdelim, (char **, size_t *, int, FILE *));
PP_DECLARE_REAL(ssize_t, getline, (char **, size_t *, FILE *));
PP_DECLARE_REAL(int, fflush, (FILE *));
PP_DECLARE_REAL(int, fflush_unlocked, (FILE *));
PP_DECLARE_REAL(int, fseek, (FILE *, long, int));
PP_DECLARE_REAL(int, fseeko, (FILE *, off_t, int));
PP_DECLARE_REAL(int, fseeko64, (FILE *, off64_t, int));
PP_DECLARE_REAL(long, ftell, (FILE *));
PP_DECLARE_REAL(off_t, ftello, (FILE *));
PP_DECLARE_REAL(off64_t, ftello64, (FILE *));
PP_DECLARE_REAL(void, rewind, (FILE *));
PP_DECLARE_REAL(FILE *, fdopen, (int, const char *));
PP_DECLARE_REAL(FILE *, tmpfile, (void));
PP_DECLARE_REAL(FILE *, tmpfile64, (void));
PP_DECLARE_REAL(int, pclose, (FILE *));
PP_DECLARE_REAL(int, __isoc99_vfscanf, (FILE *, const char *, va_list));
PP_DECLARE_REAL(int, vfscanf, (FILE *, const char *, va_list));

void pp_resolve_stdio(void)
{
    PP_REAL(fopen); PP_REAL(fopen64); PP_REAL(freopen); PP_REAL(freopen64); PP_REAL(fclose);
    PP_REAL(fread); PP_REAL(fread_unlocked); PP_REAL(__fread_chk); PP_REAL(__fread_unlocked_chk);
    PP_REAL(fwrite); PP_REAL(fwrite_unlocked); PP_REAL(fgets); PP_REAL(fgets_unlocked);
    PP_REAL(__fgets_chk); PP_REAL(__fgets_unlocked_chk); PP_REAL(fputs); PP_REAL(fputs_unlocked);
    PP_REAL(puts); PP_REAL(fgetc); PP_REAL(getc); PP_REAL(_IO_getc); PP_REAL(fgetc_unlocked);
    PP_REAL(getc_unlocked); PP_REAL(getchar); PP_REAL(getchar_unlocked); PP_REAL(fputc);
    PP_REAL(putc); PP_REAL(_IO_putc); PP_REAL(fputc_unlocked); PP_REAL(putc_unlocked);
    PP_REAL(putchar); PP_REAL(putchar_unlocked); PP_REAL(__uflow); PP_REAL(__overflow);
    PP_REAL(vfprintf); PP_REAL(__vfprintf_chk); PP_REAL(vdprintf); PP_REAL(__vdprintf_chk);
    PP_REAL(getdelim); PP_REAL(__getdelim); PP_REAL(getline); PP_REAL(fflush);
    PP_REAL(fflush_unlocked); PP_REAL(fseek); PP_REAL(fseeko); PP_REAL(fseeko64); PP_REAL(ftell);
    PP_REAL(ftello); PP_REAL(ftello64); PP_REAL(rewind); PP_REAL(fdopen); PP_REAL(tmpfile);
    PP_REAL(tmpfile64); PP_REAL(pclose); PP_REAL(__isoc99_vfscanf); PP_REAL(vfscanf);
}

/* ---------- will this call reach the kernel? ---------- */

static inline size_t w_room(FILE *fp) { return (size_t)(fp->_IO_write_end - fp->_IO_write_ptr); }
static inline size_t r_avail(FILE *fp) { return (size_t)(fp->_IO_read_end - fp->_IO_read_ptr); }
static inline int buffered(FILE *fp) { return !(fp->_flags & (STDIO_UNBUFFERED | STDIO_LINE_BUF)); }

static inline int w_fast(FILE *fp, size_t n) { return buffered(fp) && w_room(fp) >= n; }
static inline int r_fast(FILE *fp, size_t n) { return r_avail(fp) >= n; }
static inline int pf_fast(FILE *fp) { return buffered(fp) && w_room(fp) >= PRINTF_ROOM; }
static inline int putc_fast(FILE *fp, int c)
{
    if (fp->_flags & STDIO_UNBUFFERED) return 0;
    /* line buffered: glibc sends every character through __overflow, which writes only on '\n'
     * or when the buffer is full */
    if (fp->_flags & STDIO_LINE_BUF) return c != '\n' && fp->_IO_write_ptr < fp->_IO_buf_end;
    return fp->_IO_write_ptr < fp->_IO_write_end;
}
static inline int delim_fast(FILE *fp, int delim, size_t max)
{
    size_t a = r_avail(fp);
    if (a >= max) return 1;
    return a && memchr(fp->_IO_read_ptr, delim, a) != 0;
}

/* Result of a read-side call as fdtab wants it: bytes, or -errno when it failed with nothing. */
static inline int64_t rd_result(FILE *fp, int64_t bytes, int e)
{
    return bytes == 0 && (fp->_flags & STDIO_ERR_SEEN) ? -(int64_t)e : bytes;
}

/* The common shape: enter, pick timed or not, run the real call with the guard released (it
 * may allocate a buffer, or block on a pipe while a signal handler does I/O), account, leave.
 * ACCOUNT runs guarded with r (result), e (errno), t0/t1 (0 when not timed) in scope.  STAYED,
 * evaluated after a call timed because it might reach the file, says it did not after all (the
 * buffer took it all): it is then counted as one served from the buffer, untimed, and the
 * second duration read is saved (printf, whose length is known only afterwards). */
#define STDIO_CALL(FP, FAST, TYPE, CALL, ACCOUNT) STDIO_CALL_IF(FP, FAST, 0, TYPE, CALL, ACCOUNT)
#define STDIO_CALL_IF(FP, FAST, STAYED, TYPE, CALL, ACCOUNT) do {               \
        struct pp_thread *t = pp_io_enter();                                    \
        if (!t) return CALL;                                                    \
        FILE *fp_ = (FP);                                                       \
        if (pp_unlikely(!fp_ || fp_->_fileno < 0)) return CALL;                 \
        int fd = fp_->_fileno;                                                  \
        uintptr_t wb = (uintptr_t)fp_->_IO_write_base, wp = (uintptr_t)fp_->_IO_write_ptr; \
        (void)wb; (void)wp;                                                     \
        TYPE r;                                                                 \
        if (pp_likely(FAST)) {                                                  \
            /* served from the buffer: no clock, and errno is read only if the  \
             * call failed.  ACCOUNT keeps errno (io.h), so it is never restored. */ \
            uint64_t t0 = 0, t1 = 0;                                            \
            r = CALL;                                                           \
            pp_guard = 1;                                                       \
            int e = pp_unlikely(fp_->_flags & STDIO_ERR_SEEN) ? errno : 0;      \
            ACCOUNT;                                                            \
            pp_guard = 0;                                                       \
            return r;                                                           \
        }                                                                       \
        uint64_t t0 = pp_ticks();                                               \
        r = CALL;                                                               \
        int e = errno;                                                          \
        uint64_t t1 = 0;                                                        \
        if (STAYED) t0 = 0;                                                     \
        else t1 = pp_ticks();                                                   \
        pp_guard = 1;                                                           \
        ACCOUNT;                                                                \
        pp_guard = 0;                                                           \
        return r;                                                               \
    } while (0)

/* Writes that fit the room left in a fully buffered stream, and reads the buffered bytes can
 * satisfy, cannot fail: a copy into or out of the buffer.  So they are counted before the call
 * (PRE, guarded, with t, fp_ and fd in scope, after SETUP) and the call is a tail call from a
 * function that does nothing else: nothing is live across it, no register is saved (a getc loop
 * ran 5x the instructions of an untraced one).  The rest (a flush or a refill may follow) go to
 * NAME_timed, STDIO_CALL's shape out of line.  SETUP runs in both (fputs' strlen). */
#define BUF_FN(TYPE, NAME, PARAMS, ARGS, FP, SETUP, FAST, PRE, ACCOUNT)         \
    __attribute__((noinline)) static TYPE NAME##_timed PARAMS                   \
    {                                                                           \
        SETUP;                                                                  \
        STDIO_CALL(FP, 0, TYPE, real_##NAME ARGS, ACCOUNT);                     \
    }                                                                           \
    PP_EXPORT TYPE NAME PARAMS                                                  \
    {                                                                           \
        PP_REAL(NAME);                                                          \
        struct pp_thread *t = pp_io_enter();                                    \
        FILE *fp_ = (FP);                                                       \
        if (pp_likely(t && fp_ && fp_->_fileno >= 0)) {                         \
            SETUP;                                                              \
            if (pp_likely(FAST)) {                                              \
                int fd = fp_->_fileno;                                          \
                pp_guard = 1;                                                   \
                PRE;                                                            \
                pp_guard = 0;                                                   \
                return real_##NAME ARGS;                                        \
            }                                                                   \
        }                                                                       \
        return NAME##_timed ARGS;                                               \
    }
#define CHAR_FN(NAME, PARAMS, ARGS, FP, FAST, PRE, ACCOUNT) \
    BUF_FN(int, NAME, PARAMS, ARGS, FP, (void)0, FAST, PRE, ACCOUNT)
/* PRE of a write of N bytes into the buffer. */
#define W_BEFORE(FN, N) \
    pp_stdio_write_account(t, PP_FN_##FN, fd, (int64_t)(N), (uintptr_t)fp_->_IO_write_base, \
                           (uintptr_t)fp_->_IO_write_ptr, (uintptr_t)fp_->_IO_write_ptr + (N), 0, 0)

#define W_ACCOUNT(FN, BYTES) \
    pp_stdio_write_account(t, PP_FN_##FN, fd, (BYTES), wb, wp, (uintptr_t)fp_->_IO_write_ptr, t0, t1)
#define R_ACCOUNT(FN, BYTES) \
    pp_stdio_read_account(t, PP_FN_##FN, fd, rd_result(fp_, (BYTES), e), t0, t1)

/* ---------- writes ---------- */

static inline size_t mul(size_t a, size_t b) { size_t n; return __builtin_mul_overflow(a, b, &n) ? (size_t)-1 : n; }

#define FWRITE_FN(NAME)                                                         \
    BUF_FN(size_t, NAME, (const void *p, size_t sz, size_t n, FILE *fp), (p, sz, n, fp), fp, \
           size_t len = mul(sz, n); (void)len, w_fast(fp_, len), W_BEFORE(fwrite, len), \
           W_ACCOUNT(fwrite, r == 0 && n && sz && (fp_->_flags & STDIO_ERR_SEEN) ? -(int64_t)e : (int64_t)(r * sz)))
FWRITE_FN(fwrite)
FWRITE_FN(fwrite_unlocked)

/* puts writes the string and a newline */
#define FPUTS_FN(NAME, PARAMS, ARGS, FP, EXTRA)                                 \
    BUF_FN(int, NAME, PARAMS, ARGS, FP, size_t len = strlen(s) + (EXTRA), w_fast(fp_, len), \
           W_BEFORE(fputs, len), W_ACCOUNT(fputs, r == EOF ? -(int64_t)e : (int64_t)len))
FPUTS_FN(fputs, (const char *s, FILE *fp), (s, fp), fp, 0)
FPUTS_FN(fputs_unlocked, (const char *s, FILE *fp), (s, fp), fp, 0)
FPUTS_FN(puts, (const char *s), (s), stdout, 1)

#define PUTC_FN(NAME, PARAMS, ARGS, FP)                                         \
    CHAR_FN(NAME, PARAMS, ARGS, FP, putc_fast(fp_, c), W_BEFORE(fputc, 1),      \
            W_ACCOUNT(fputc, r == EOF ? -(int64_t)e : 1))

PUTC_FN(fputc, (int c, FILE *fp), (c, fp), fp)
PUTC_FN(putc, (int c, FILE *fp), (c, fp), fp)
PUTC_FN(_IO_putc, (int c, FILE *fp), (c, fp), fp)
PUTC_FN(fputc_unlocked, (int c, FILE *fp), (c, fp), fp)
PUTC_FN(putc_unlocked, (int c, FILE *fp), (c, fp), fp)
PUTC_FN(putchar, (int c), (c), stdout)
PUTC_FN(putchar_unlocked, (int c), (c), stdout)

/* Called by inlined putc_unlocked when the buffer is full (every character on a line-buffered
 * stream): the characters the program put in the buffer since our last count are added here. */
PP_EXPORT int __overflow(FILE *fp, int c)
{
    PP_REAL(__overflow);
    STDIO_CALL(fp, (fp_->_flags & STDIO_LINE_BUF) && c != '\n' && c != EOF &&
                   fp_->_IO_write_ptr < fp_->_IO_buf_end, int, real___overflow(fp, c),
               W_ACCOUNT(fputc, r == EOF ? (c == EOF ? 0 : -(int64_t)e) : (c == EOF ? 0 : 1)));
}

/* printf family: forwarded with a va_list to the real v*printf (same formatting code as the
 * variadic entry points). */
#define PF_STAYED (r >= 0 && (uintptr_t)fp_->_IO_write_base == wb &&                  \
                   (uintptr_t)fp_->_IO_write_ptr == wp + (uintptr_t)r)
#define PRINTF(FP, CALL) \
    STDIO_CALL_IF(FP, pf_fast(fp_), PF_STAYED, int, CALL, \
                  W_ACCOUNT(fprintf, r < 0 ? -(int64_t)e : (int64_t)r))

PP_EXPORT int vfprintf(FILE *fp, const char *f, va_list ap) { PP_REAL(vfprintf); PRINTF(fp, real_vfprintf(fp, f, ap)); }
PP_EXPORT int vprintf(const char *f, va_list ap) { PP_REAL(vfprintf); PRINTF(stdout, real_vfprintf(stdout, f, ap)); }
PP_EXPORT int __vfprintf_chk(FILE *fp, int fl, const char *f, va_list ap) { PP_REAL(__vfprintf_chk); PRINTF(fp, real___vfprintf_chk(fp, fl, f, ap)); }
PP_EXPORT int __vprintf_chk(int fl, const char *f, va_list ap) { PP_REAL(__vfprintf_chk); PRINTF(stdout, real___vfprintf_chk(stdout, fl, f, ap)); }

PP_EXPORT int fprintf(FILE *fp, const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = vfprintf(fp, f, ap); va_end(ap); return r;
}
PP_EXPORT int printf(const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = vfprintf(stdout, f, ap); va_end(ap); return r;
}
PP_EXPORT int __fprintf_chk(FILE *fp, int fl, const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = __vfprintf_chk(fp, fl, f, ap); va_end(ap); return r;
}
PP_EXPORT int __printf_chk(int fl, const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = __vfprintf_chk(stdout, fl, f, ap); va_end(ap); return r;
}

/* dprintf writes to a descriptor through libc's internal write: always a system call. */
#define DPRINTF(CALL) do {                                                      \
        struct pp_thread *t = pp_enter();                                       \
        if (!t) return CALL;                                                    \
        pp_leave(t);                                                            \
        uint64_t t0 = pp_ticks(); int r = CALL; int e = errno; uint64_t t1 = pp_ticks(); \
        pp_guard = 1;                                                           \
        pp_io_done(t, PP_FN_fprintf, fd, PP_OP_WRITE, r < 0 ? -(int64_t)e : r, t0, t1, -1); \
        pp_guard = 0;                                                           \
        errno = e;                                                              \
        return r;                                                               \
    } while (0)

PP_EXPORT int vdprintf(int fd, const char *f, va_list ap) { PP_REAL(vdprintf); DPRINTF(real_vdprintf(fd, f, ap)); }
PP_EXPORT int __vdprintf_chk(int fd, int fl, const char *f, va_list ap) { PP_REAL(__vdprintf_chk); DPRINTF(real___vdprintf_chk(fd, fl, f, ap)); }
PP_EXPORT int dprintf(int fd, const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = vdprintf(fd, f, ap); va_end(ap); return r;
}
PP_EXPORT int __dprintf_chk(int fd, int fl, const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = __vdprintf_chk(fd, fl, f, ap); va_end(ap); return r;
}

/* ---------- reads ---------- */

#define FREAD(CALL) \
    STDIO_CALL(fp, r_fast(fp_, mul(sz, n)), size_t, CALL, R_ACCOUNT(fread, (int64_t)(r * sz)))

PP_EXPORT size_t fread(void *p, size_t sz, size_t n, FILE *fp) { PP_REAL(fread); FREAD(real_fread(p, sz, n, fp)); }
PP_EXPORT size_t fread_unlocked(void *p, size_t sz, size_t n, FILE *fp) { PP_REAL(fread_unlocked); FREAD(real_fread_unlocked(p, sz, n, fp)); }
PP_EXPORT size_t __fread_chk(void *p, size_t pl, size_t sz, size_t n, FILE *fp) { PP_REAL(__fread_chk); FREAD(real___fread_chk(p, pl, sz, n, fp)); }
PP_EXPORT size_t __fread_unlocked_chk(void *p, size_t pl, size_t sz, size_t n, FILE *fp) { PP_REAL(__fread_unlocked_chk); FREAD(real___fread_unlocked_chk(p, pl, sz, n, fp)); }

#define FGETS(CALL) \
    STDIO_CALL(fp, n <= 1 || delim_fast(fp_, '\n', (size_t)n - 1), char *, CALL, \
               R_ACCOUNT(fgets, r ? (int64_t)strlen(r) : 0))

PP_EXPORT char *fgets(char *s, int n, FILE *fp) { PP_REAL(fgets); FGETS(real_fgets(s, n, fp)); }
PP_EXPORT char *fgets_unlocked(char *s, int n, FILE *fp) { PP_REAL(fgets_unlocked); FGETS(real_fgets_unlocked(s, n, fp)); }
PP_EXPORT char *__fgets_chk(char *s, size_t sl, int n, FILE *fp) { PP_REAL(__fgets_chk); FGETS(real___fgets_chk(s, sl, n, fp)); }
PP_EXPORT char *__fgets_unlocked_chk(char *s, size_t sl, int n, FILE *fp) { PP_REAL(__fgets_unlocked_chk); FGETS(real___fgets_unlocked_chk(s, sl, n, fp)); }

#define GETC_FN(NAME, PARAMS, ARGS, FP)                                         \
    CHAR_FN(NAME, PARAMS, ARGS, FP, fp_->_IO_read_ptr < fp_->_IO_read_end,      \
            pp_stdio_read_account(t, PP_FN_fgetc, fd, 1, 0, 0), R_ACCOUNT(fgetc, r == EOF ? 0 : 1))

GETC_FN(fgetc, (FILE *fp), (fp), fp)
GETC_FN(getc, (FILE *fp), (fp), fp)
GETC_FN(_IO_getc, (FILE *fp), (fp), fp)
GETC_FN(fgetc_unlocked, (FILE *fp), (fp), fp)
GETC_FN(getc_unlocked, (FILE *fp), (fp), fp)
GETC_FN(getchar, (void), (), stdin)
GETC_FN(getchar_unlocked, (void), (), stdin)

/* Called by inlined getc_unlocked when the buffer is empty: a refill.  The bytes it brings in will
 * be consumed by inlined code we never see, so they are all counted now. */
PP_EXPORT int __uflow(FILE *fp)
{
    PP_REAL(__uflow);
    STDIO_CALL(fp, 0, int, real___uflow(fp),
               R_ACCOUNT(fgetc, r == EOF ? 0 : 1 + (int64_t)r_avail(fp_)));
}

#define GETDELIM(CALL, DELIM) \
    STDIO_CALL(fp, delim_fast(fp_, DELIM, (size_t)-1), ssize_t, CALL, R_ACCOUNT(getline, r < 0 ? 0 : (int64_t)r))

PP_EXPORT ssize_t getdelim(char **l, size_t *n, int d, FILE *fp) { PP_REAL(getdelim); GETDELIM(real_getdelim(l, n, d, fp), d); }
PP_EXPORT ssize_t __getdelim(char **l, size_t *n, int d, FILE *fp) { PP_REAL(__getdelim); GETDELIM(real___getdelim(l, n, d, fp), d); }
PP_EXPORT ssize_t getline(char **l, size_t *n, FILE *fp) { PP_REAL(getline); GETDELIM(real_getline(l, n, fp), '\n'); }

/* scanf family: how much input a conversion consumed is known only from the FILE's read pointer:
 * its advance, plus what was left before a refill when the buffer was refilled in between (one
 * refill per call is assumed; a conversion spanning several buffers is undercounted). */
static inline int64_t scanned(FILE *fp, uintptr_t base0, uintptr_t ptr0, uintptr_t end0)
{
    uintptr_t base = (uintptr_t)fp->_IO_read_base, ptr = (uintptr_t)fp->_IO_read_ptr;
    if (base == base0 && ptr >= ptr0 && ptr <= end0) return (int64_t)(ptr - ptr0);
    return (int64_t)(end0 - ptr0) + (ptr >= base ? (int64_t)(ptr - base) : 0);
}

#define SCANF(FP, CALL) do {                                                    \
        FILE *sfp_ = (FP);                                                      \
        uintptr_t b0 = sfp_ ? (uintptr_t)sfp_->_IO_read_base : 0;               \
        uintptr_t p0 = sfp_ ? (uintptr_t)sfp_->_IO_read_ptr : 0;                \
        uintptr_t e0 = sfp_ ? (uintptr_t)sfp_->_IO_read_end : 0;                \
        STDIO_CALL(sfp_, 0, int, CALL, R_ACCOUNT(fgets, scanned(fp_, b0, p0, e0))); \
    } while (0)

/* <stdio.h> maps the C names fscanf/vfscanf/scanf to the __isoc99_ symbols; the plain symbols
 * (old binaries, where %a meant "allocate") get C names of their own via asm labels. */
PP_EXPORT int pp_plain_vfscanf(FILE *, const char *, va_list) __asm__("vfscanf");
PP_EXPORT int pp_plain_fscanf(FILE *, const char *, ...) __asm__("fscanf");
PP_EXPORT int pp_plain_scanf(const char *, ...) __asm__("scanf");
PP_EXPORT int __isoc99_vfscanf(FILE *, const char *, va_list);
PP_EXPORT int __isoc99_fscanf(FILE *, const char *, ...);
PP_EXPORT int __isoc99_scanf(const char *, ...);

PP_EXPORT int __isoc99_vfscanf(FILE *fp, const char *f, va_list ap) { PP_REAL(__isoc99_vfscanf); SCANF(fp, real___isoc99_vfscanf(fp, f, ap)); }
PP_EXPORT int pp_plain_vfscanf(FILE *fp, const char *f, va_list ap) { PP_REAL(vfscanf); SCANF(fp, real_vfscanf(fp, f, ap)); }
PP_EXPORT int __isoc99_fscanf(FILE *fp, const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = __isoc99_vfscanf(fp, f, ap); va_end(ap); return r;
}
PP_EXPORT int pp_plain_fscanf(FILE *fp, const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = pp_plain_vfscanf(fp, f, ap); va_end(ap); return r;
}
PP_EXPORT int __isoc99_scanf(const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = __isoc99_vfscanf(stdin, f, ap); va_end(ap); return r;
}
PP_EXPORT int pp_plain_scanf(const char *f, ...)
{
    va_list ap; va_start(ap, f); int r = pp_plain_vfscanf(stdin, f, ap); va_end(ap); return r;
}

/* ---------- flush, position ---------- */

/* Characters inlined putc left in the buffer are counted before the buffer goes (fseek, fclose,
 * freopen flush it inside libc). */
static inline void settle(struct pp_thread *t, FILE *fp)
{
    uintptr_t wb = (uintptr_t)fp->_IO_write_base, wp = (uintptr_t)fp->_IO_write_ptr;
    if (wp > wb) pp_stdio_write(t, PP_FN_fflush, fp->_fileno, 0, wb, wp, wp, 0, 0);
}

#define FFLUSH(CALL) do {                                                       \
        if (!fp) {   /* every stream: timed, counted against no descriptor */   \
            struct pp_thread *t = pp_enter();                                   \
            if (!t) return CALL;                                                \
            pp_leave(t);                                                        \
            uint64_t t0 = pp_ticks(); int r = CALL; int e = errno; uint64_t t1 = pp_ticks(); \
            pp_guard = 1;                                                       \
            pp_io_done(t, PP_FN_fflush, -1, PP_OP_WRITE, r ? -(int64_t)e : 0, t0, t1, -1); \
            pp_guard = 0; errno = e;                                            \
            return r;                                                           \
        }                                                                       \
        STDIO_CALL(fp, fp_->_IO_write_ptr <= fp_->_IO_write_base, int, CALL,    \
                   W_ACCOUNT(fflush, r ? -(int64_t)e : 0));                     \
    } while (0)

PP_EXPORT int fflush(FILE *fp) { PP_REAL(fflush); FFLUSH(real_fflush(fp)); }
PP_EXPORT int fflush_unlocked(FILE *fp) { PP_REAL(fflush_unlocked); FFLUSH(real_fflush_unlocked(fp)); }

/* After a seek the stream position is known exactly for SEEK_SET; otherwise ask libc (ftello after
 * a successful fseek uses the offset libc just cached). */
#define FSEEK(CALL, OFF, WH) do {                                               \
        PP_REAL(ftello64);                                                      \
        struct pp_thread *t = pp_enter();                                       \
        if (!t) return CALL;                                                    \
        if (!fp || fp->_fileno < 0) { pp_leave(t); return CALL; }               \
        int fd = fp->_fileno;                                                   \
        settle(t, fp);                                                          \
        pp_leave(t);                                                            \
        uint64_t t0 = pp_ticks(); int r = CALL; int e = errno; uint64_t t1 = pp_ticks(); \
        pp_guard = 1;                                                           \
        pp_io_done(t, PP_FN_fseek, fd, PP_OP_META, r ? -(int64_t)e : 0, t0, t1, -1); \
        if (!r) pp_fd_seeked(fd, (WH) == SEEK_SET ? (int64_t)(OFF) : (int64_t)real_ftello64(fp)); \
        pp_stdio_write(t, PP_FN_fflush, fd, 0, 0, 0, (uintptr_t)fp->_IO_write_ptr, 0, 0); \
        pp_guard = 0;                                                           \
        errno = e;                                                              \
        return r;                                                               \
    } while (0)

PP_EXPORT int fseek(FILE *fp, long o, int wh) { PP_REAL(fseek); FSEEK(real_fseek(fp, o, wh), o, wh); }
PP_EXPORT int fseeko(FILE *fp, off_t o, int wh) { PP_REAL(fseeko); FSEEK(real_fseeko(fp, o, wh), o, wh); }
PP_EXPORT int fseeko64(FILE *fp, off64_t o, int wh) { PP_REAL(fseeko64); FSEEK(real_fseeko64(fp, o, wh), o, wh); }

PP_EXPORT void rewind(FILE *fp)
{
    PP_REAL(rewind);
    struct pp_thread *t = pp_enter();
    if (!t) { real_rewind(fp); return; }
    if (!fp || fp->_fileno < 0) { pp_leave(t); real_rewind(fp); return; }
    int fd = fp->_fileno;
    settle(t, fp);
    pp_leave(t);
    uint64_t t0 = pp_ticks(); real_rewind(fp); int e = errno; uint64_t t1 = pp_ticks();
    pp_guard = 1;
    pp_io_done(t, PP_FN_fseek, fd, PP_OP_META, 0, t0, t1, -1);
    pp_fd_seeked(fd, 0);
    pp_stdio_write(t, PP_FN_fflush, fd, 0, 0, 0, (uintptr_t)fp->_IO_write_ptr, 0, 0);
    pp_guard = 0;
    errno = e;
}

#define FTELL(TYPE, CALL) \
    STDIO_CALL(fp, 0, TYPE, CALL, pp_io_done(t, PP_FN_ftell, fd, PP_OP_META, r < 0 ? -(int64_t)e : 0, t0, t1, -1))

PP_EXPORT long ftell(FILE *fp) { PP_REAL(ftell); FTELL(long, real_ftell(fp)); }
PP_EXPORT off_t ftello(FILE *fp) { PP_REAL(ftello); FTELL(off_t, real_ftello(fp)); }
PP_EXPORT off64_t ftello64(FILE *fp) { PP_REAL(ftello64); FTELL(off64_t, real_ftello64(fp)); }

/* ---------- open and close ---------- */

static int mode_flags(const char *mode)
{
    return mode && mode[0] == 'a' ? O_APPEND : 0;
}

#define FOPEN(CALL) do {                                                        \
        struct pp_thread *t = pp_enter();                                       \
        if (!t) return CALL;                                                    \
        pp_leave(t);                                                            \
        uint64_t t0 = pp_ticks(); FILE *r = CALL; int e = errno; uint64_t t1 = pp_ticks(); \
        pp_guard = 1;                                                           \
        if (r && r->_fileno >= 0)                                               \
            pp_fd_open_ex(t, r->_fileno, AT_FDCWD, path, mode_flags(mode), PP_FN_fopen, t0, t1); \
        else if (!r)                                                            \
            pp_io_done_path(t, PP_FN_fopen, AT_FDCWD, e == EFAULT ? 0 : path, PP_OP_META, -e, t0, t1); \
        pp_guard = 0; errno = e;                                                \
        return r;                                                               \
    } while (0)

PP_EXPORT FILE *fopen(const char *path, const char *mode) { PP_REAL(fopen); FOPEN(real_fopen(path, mode)); }
PP_EXPORT FILE *fopen64(const char *path, const char *mode) { PP_REAL(fopen64); FOPEN(real_fopen64(path, mode)); }

/* fdopen: no new descriptor, but a stream opened for append writes at the end. */
PP_EXPORT FILE *fdopen(int fd, const char *mode)
{
    PP_REAL(fdopen);
    struct pp_thread *t = pp_enter();
    if (!t) return real_fdopen(fd, mode);
    pp_leave(t);
    uint64_t t0 = pp_ticks(); FILE *r = real_fdopen(fd, mode); int e = errno; uint64_t t1 = pp_ticks();
    pp_guard = 1;
    pp_io_done(t, PP_FN_fopen, fd, PP_OP_META, r ? 0 : -(int64_t)e, t0, t1, -1);
    pp_guard = 0; errno = e;
    return r;
}

/* tmpfile: an unlinked file opened inside libc; /proc names it when its record is written. */
#define TMPFILE(CALL) do {                                                      \
        const char *path = 0, *mode = "w+";                                     \
        FOPEN(CALL);                                                            \
    } while (0)
PP_EXPORT FILE *tmpfile(void) { PP_REAL(tmpfile); TMPFILE(real_tmpfile()); }
PP_EXPORT FILE *tmpfile64(void) { PP_REAL(tmpfile64); TMPFILE(real_tmpfile64()); }

/* pclose closes the pipe inside libc, then waits for the child: the stream's FILE_STATS are
 * written first; the wait is not I/O and is not timed here. */
PP_EXPORT int pclose(FILE *fp)
{
    PP_REAL(pclose);
    struct pp_thread *t = pp_enter();
    if (t) {
        int e = errno;
        if (fp && fp->_fileno >= 0) { settle(t, fp); pp_fd_closing(t, fp->_fileno); }
        pp_leave(t);
        errno = e;
    }
    return real_pclose(fp);
}

/* freopen closes the stream's descriptor inside libc, then opens path (or reopens the same file
 * when path is NULL): FILE_STATS for the old one first. */
#define FREOPEN(CALL) do {                                                      \
        struct pp_thread *t = pp_enter();                                       \
        if (!t) return CALL;                                                    \
        if (fp && fp->_fileno >= 0) { settle(t, fp); pp_fd_closing(t, fp->_fileno); } \
        pp_leave(t);                                                            \
        uint64_t t0 = pp_ticks(); FILE *r = CALL; int e = errno; uint64_t t1 = pp_ticks(); \
        pp_guard = 1;                                                           \
        if (r && r->_fileno >= 0)                                               \
            pp_fd_open_ex(t, r->_fileno, AT_FDCWD, path, mode_flags(mode), PP_FN_fopen, t0, t1); \
        else if (!r)                                                            \
            pp_io_done_path(t, PP_FN_fopen, AT_FDCWD, e == EFAULT ? 0 : path, PP_OP_META, -e, t0, t1); \
        pp_guard = 0; errno = e;                                                \
        return r;                                                               \
    } while (0)

PP_EXPORT FILE *freopen(const char *path, const char *mode, FILE *fp) { PP_REAL(freopen); FREOPEN(real_freopen(path, mode, fp)); }
PP_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *fp) { PP_REAL(freopen64); FREOPEN(real_freopen64(path, mode, fp)); }

PP_EXPORT int fclose(FILE *fp)
{
    PP_REAL(fclose);
    struct pp_thread *t = pp_enter();
    if (!t) return real_fclose(fp);
    if (!fp || fp->_fileno < 0) { pp_leave(t); return real_fclose(fp); }
    int fd = fp->_fileno;
    settle(t, fp);
    int cls = pp_fd_close_begin(t, fd);
    pp_leave(t);
    uint64_t t0 = pp_ticks(); int r = real_fclose(fp); int e = errno; uint64_t t1 = pp_ticks();
    pp_guard = 1;
    pp_io_done_cls(t, PP_FN_fclose, fd, cls, PP_OP_META, r ? -(int64_t)e : 0, t0, t1);
    pp_guard = 0;
    errno = e;
    return r;
}

/* Exit (and exec): what inlined putc left in stdout's and stderr's buffers.  At exit libc writes
 * it after our destructor has run. */
void pp_stdio_exit_account(struct pp_thread *t)
{
    FILE *std[2] = { stdout, stderr };
    for (int i = 0; i < 2; i++)
        if (std[i] && std[i]->_fileno >= 0) settle(t, std[i]);
}
