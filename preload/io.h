/* Shared between the I/O interception files (wrap_posix_io.c, wrap_stdio.c, wrap_socket.c,
 * wrap_meta.c) and the descriptor table (fdtab.c): the calls they make beyond pp.h's contract.
 * Nothing here allocates, locks or touches errno as seen by the program. */
#ifndef PP_IO_H
#define PP_IO_H
#include "pp.h"

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
                     int64_t result, uint64_t t0, uint64_t t1);
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

#endif
