/* Waiting: locks, condition variables, semaphores, sleeps, poll/select/epoll, joins and child
 * waits.  Only time actually spent blocked counts: a lock is tried first and timed only when the
 * try fails, so an uncontended lock costs one extra compare-and-swap and no clock read.  Blocked
 * time goes into the interval sample by kind; waits slower than the I/O threshold also get a
 * WAIT_EVENT with the waiter's stack, so the report can point at the lock's call site.
 * LOCK_EVERY > 1 would try only 1 lock call in LOCK_EVERY and count its waits LOCK_EVERY times
 * over (unbiased, cheaper for programs taking millions of uncontended locks), but contention
 * often hides in the calls that are not tried (an unfair mutex re-taken by its last owner), and
 * the waits then go unseen: every call is tried.
 * Locks, condition variables and semaphores get the call site alone (the hook's return address),
 * never a libunwind stack: an allocator (jemalloc) locks through these very hooks, and unwinding
 * can allocate — it would wait on the lock its own thread holds. */
#include "pp.h"
#include "internal.h"
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

PP_DECLARE_REAL(int, pthread_mutex_lock, (pthread_mutex_t *));
PP_DECLARE_REAL(int, pthread_mutex_trylock, (pthread_mutex_t *));
PP_DECLARE_REAL(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *));
PP_DECLARE_REAL(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *));
PP_DECLARE_REAL(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *));
PP_DECLARE_REAL(int, pthread_rwlock_rdlock, (pthread_rwlock_t *));
PP_DECLARE_REAL(int, pthread_rwlock_wrlock, (pthread_rwlock_t *));
PP_DECLARE_REAL(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *));
PP_DECLARE_REAL(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *));
PP_DECLARE_REAL(int, pthread_join, (pthread_t, void **));
PP_DECLARE_REAL(int, sem_wait, (sem_t *));
PP_DECLARE_REAL(int, sem_trywait, (sem_t *));
PP_DECLARE_REAL(int, sem_timedwait, (sem_t *, const struct timespec *));
PP_DECLARE_REAL(int, nanosleep, (const struct timespec *, struct timespec *));
PP_DECLARE_REAL(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *));
PP_DECLARE_REAL(int, usleep, (useconds_t));
PP_DECLARE_REAL(unsigned, sleep, (unsigned));
PP_DECLARE_REAL(int, poll, (struct pollfd *, nfds_t, int));
PP_DECLARE_REAL(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *));
PP_DECLARE_REAL(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *));
PP_DECLARE_REAL(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *));
PP_DECLARE_REAL(int, epoll_wait, (int, struct epoll_event *, int, int));
PP_DECLARE_REAL(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *));
PP_DECLARE_REAL(pid_t, waitpid, (pid_t, int *, int));
PP_DECLARE_REAL(pid_t, wait, (int *));
PP_DECLARE_REAL(pid_t, wait4, (pid_t, int *, int, struct rusage *));
PP_DECLARE_REAL(pid_t, wait3, (int *, int, struct rusage *));
PP_DECLARE_REAL(int, waitid, (idtype_t, id_t, siginfo_t *, int));

void pp_resolve_wait(void)
{
    PP_REAL(pthread_mutex_lock); PP_REAL(pthread_mutex_trylock); PP_REAL(pthread_mutex_timedlock);
    PP_REAL(pthread_cond_wait); PP_REAL(pthread_cond_timedwait); PP_REAL(pthread_rwlock_rdlock);
    PP_REAL(pthread_rwlock_wrlock); PP_REAL(pthread_rwlock_tryrdlock); PP_REAL(pthread_rwlock_trywrlock);
    PP_REAL(pthread_join); PP_REAL(sem_wait); PP_REAL(sem_trywait); PP_REAL(sem_timedwait);
    PP_REAL(nanosleep); PP_REAL(clock_nanosleep); PP_REAL(usleep); PP_REAL(sleep); PP_REAL(poll);
    PP_REAL(ppoll); PP_REAL(select); PP_REAL(pselect); PP_REAL(epoll_wait); PP_REAL(epoll_pwait);
    PP_REAL(waitpid); PP_REAL(wait); PP_REAL(wait4); PP_REAL(wait3); PP_REAL(waitid);
}

/* Accounts a wait of [t0, t1] on obj; a slow one also gets a WAIT_EVENT with its stack. */
#define LOCK_EVERY 1

static void waited_scaled(struct pp_thread *t, int kind, const void *obj, uint64_t t0, uint64_t t1,
                          void *ra, unsigned scale);

static void waited(struct pp_thread *t, int kind, const void *obj, uint64_t t0, uint64_t t1, void *ra)
{
    waited_scaled(t, kind, obj, t0, t1, ra, 1);
}

static void waited_scaled(struct pp_thread *t, int kind, const void *obj, uint64_t t0, uint64_t t1,
                          void *ra, unsigned scale)
{
    int lockish = kind == PP_WAIT_MUTEX || kind == PP_WAIT_COND || kind == PP_WAIT_RWLOCK || kind == PP_WAIT_SEM;
    pp_no_unwind += lockish;
    uint64_t d = t1 - t0;
    t->wait[kind].ns += d * scale;
    t->wait[kind].calls += scale;
    if (d >= pp_cfg.io_threshold_ns) {
        uint64_t sec = t1 / 1000000000u;
        if (sec != t->io_events_sec) { t->io_events_sec = sec; t->io_events_this_sec = 0; }
        if (t->io_events_this_sec < pp_cfg.io_events_per_sec) {
            t->io_events_this_sec++;
            uint64_t site = (uint64_t)(uintptr_t)ra;
            uint64_t stack = lockish ? pp_stack_intern(t, &site, 1) : pp_stack_capture(t, 1);
            uint8_t *p = pp_rec_begin(t, PP_K_WAIT_EVENT, 64);
            if (p) {
                p = pp_put_ts(t, p, t0);
                p = pp_put_u(p, d);
                p = pp_put_u(p, (uint64_t)t->tid);
                p = pp_put_u(p, (uint64_t)kind);
                p = pp_put_u(p, (uint64_t)(uintptr_t)obj);
                p = pp_put_u(p, stack);
                pp_rec_end(t, p);
            }
        } else {
            atomic_fetch_or(&pp_footer_flags, PP_FOOT_EVENTS_CAPPED);
        }
    }
    pp_tick(t, t1);
    pp_no_unwind -= lockish;
}

/* A call that blocks as a whole (sleep, poll, join…): timed around the real call. */
#define TIMED_WAIT(kind, obj, call)                                  \
    do {                                                             \
        struct pp_thread *t_ = pp_enter();                           \
        if (!t_) return call;                                        \
        pp_leave(t_);             /* not ours while blocked */       \
        uint64_t t0_ = pp_now();                                     \
        __typeof__(call) r_ = call;                                  \
        int e_ = errno;                                              \
        uint64_t t1_ = pp_now();                                     \
        if ((t_ = pp_enter())) { waited(t_, kind, obj, t0_, t1_, __builtin_return_address(0)); pp_leave(t_); } \
        errno = e_;                                                  \
        return r_;                                                   \
    } while (0)

/* A lock: try first; only a failed try is timed. */
/* A lock: 1 call in LOCK_EVERY tries first, and only a failed try is timed (and counted
 * LOCK_EVERY times over); the rest pass straight through.  The check is split from the rest so
 * the pass-through path saves no registers and ends in a tail call. */
static inline int lock_sampled(void)
{
    struct pp_thread *s = pp_self;
    return s && !pp_guard && (LOCK_EVERY == 1 || !(++s->lock_tick & (LOCK_EVERY - 1)));
}

#define LOCK_SLOW(kind, obj, try_call, call)                         \
    do {                                                             \
        if (!atomic_load_explicit(&pp_active, memory_order_relaxed)) return call; \
        int tr_ = try_call;                                          \
        if (tr_ != EBUSY) return tr_;                                \
        struct pp_thread *t_ = pp_enter();                           \
        if (!t_) return call;                                        \
        pp_leave(t_);                                                \
        uint64_t t0_ = pp_now();                                     \
        int r_ = call;                                               \
        int e_ = errno;                                              \
        uint64_t t1_ = pp_now();                                     \
        if ((t_ = pp_enter())) {                                     \
            waited_scaled(t_, kind, obj, t0_, t1_, ra, LOCK_EVERY);  \
            pp_leave(t_);                                            \
        }                                                            \
        errno = e_;                                                  \
        return r_;                                                   \
    } while (0)

/* A mutex nobody holds (glibc's lock word, part of its public struct layout, is 0): lock it
 * directly, as a trylock would succeed and cost as much again.  The word is read without
 * synchronization: another thread taking the mutex in between makes us block untimed, once. */
static inline int mutex_looks_free(pthread_mutex_t *m)
{
    return *(volatile int *)&m->__data.__lock == 0;
}
static inline int lock_looks_free(void *l) { (void)l; return 0; }

/* lock hook NAME(ARG) for a lock of KIND with try function TRY; FREE(l): no need to try.  FREE
 * is tested first: a free lock passes straight through whoever the caller is, so the commonest
 * case (sqlite takes a hundred uncontended mutexes per statement) reads the lock word and jumps,
 * without looking at the thread's state.  (For a lock kind without a FREE test, 0, the
 * compiler drops it.) */
#define LOCK_HOOK(name, type, kind, try, free)                                              \
    __attribute__((noinline)) static int name##_slow(type *l, void *ra)                    \
    {                                                                                       \
        PP_REAL(name);                                                                      \
        if (free(l) || !lock_sampled()) return real_##name(l);                              \
        PP_REAL(try);                                                                       \
        LOCK_SLOW(kind, l, real_##try(l), real_##name(l));                                  \
    }                                                                                       \
    PP_EXPORT int name(type *l)                                                             \
    {                                                                                       \
        int (*real)(type *) = real_##name;                                                  \
        if (pp_likely(real) && (free(l) || pp_likely(!lock_sampled()))) return real(l);     \
        return name##_slow(l, __builtin_return_address(0));                                 \
    }

LOCK_HOOK(pthread_mutex_lock, pthread_mutex_t, PP_WAIT_MUTEX, pthread_mutex_trylock, mutex_looks_free)
LOCK_HOOK(pthread_rwlock_rdlock, pthread_rwlock_t, PP_WAIT_RWLOCK, pthread_rwlock_tryrdlock, lock_looks_free)
LOCK_HOOK(pthread_rwlock_wrlock, pthread_rwlock_t, PP_WAIT_RWLOCK, pthread_rwlock_trywrlock, lock_looks_free)

PP_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts)
{
    PP_REAL(pthread_mutex_timedlock); PP_REAL(pthread_mutex_trylock);
    if (!lock_sampled()) return real_pthread_mutex_timedlock(m, ts);
    void *ra = __builtin_return_address(0);
    LOCK_SLOW(PP_WAIT_MUTEX, m, real_pthread_mutex_trylock(m), real_pthread_mutex_timedlock(m, ts));
}

PP_EXPORT int sem_wait(sem_t *s)
{
    PP_REAL(sem_wait); PP_REAL(sem_trywait);
    if (pp_guard || !atomic_load_explicit(&pp_active, memory_order_relaxed)) return real_sem_wait(s);
    int saved = errno;
    if (real_sem_trywait(s) == 0) return 0;
    if (errno != EAGAIN) return -1;       /* EINVAL etc.: what sem_wait would say too */
    errno = saved;
    TIMED_WAIT(PP_WAIT_SEM, s, real_sem_wait(s));
}

PP_EXPORT int sem_timedwait(sem_t *s, const struct timespec *ts)
{
    PP_REAL(sem_timedwait);
    TIMED_WAIT(PP_WAIT_SEM, s, real_sem_timedwait(s, ts));
}

PP_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    PP_REAL(pthread_cond_wait);
    TIMED_WAIT(PP_WAIT_COND, c, real_pthread_cond_wait(c, m));
}

PP_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts)
{
    PP_REAL(pthread_cond_timedwait);
    TIMED_WAIT(PP_WAIT_COND, c, real_pthread_cond_timedwait(c, m, ts));
}

PP_EXPORT int pthread_join(pthread_t th, void **ret)
{
    PP_REAL(pthread_join);
    TIMED_WAIT(PP_WAIT_JOIN, (void *)th, real_pthread_join(th, ret));
}

PP_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    PP_REAL(nanosleep);
    TIMED_WAIT(PP_WAIT_SLEEP, 0, real_nanosleep(req, rem));
}

PP_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
    PP_REAL(clock_nanosleep);
    TIMED_WAIT(PP_WAIT_SLEEP, 0, real_clock_nanosleep(clk, flags, req, rem));
}

PP_EXPORT int usleep(useconds_t us)
{
    PP_REAL(usleep);
    TIMED_WAIT(PP_WAIT_SLEEP, 0, real_usleep(us));
}

PP_EXPORT unsigned sleep(unsigned s)
{
    PP_REAL(sleep);
    TIMED_WAIT(PP_WAIT_SLEEP, 0, real_sleep(s));
}

PP_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    PP_REAL(poll);
    if (timeout == 0) return real_poll(fds, n, timeout);    /* never blocks */
    TIMED_WAIT(PP_WAIT_POLL, fds, real_poll(fds, n, timeout));
}

PP_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    PP_REAL(ppoll);
    TIMED_WAIT(PP_WAIT_POLL, fds, real_ppoll(fds, n, ts, mask));
}

PP_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
    PP_REAL(select);
    TIMED_WAIT(PP_WAIT_POLL, 0, real_select(n, r, w, x, tv));
}

PP_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts, const sigset_t *mask)
{
    PP_REAL(pselect);
    TIMED_WAIT(PP_WAIT_POLL, 0, real_pselect(n, r, w, x, ts, mask));
}

PP_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
    PP_REAL(epoll_wait);
    if (timeout == 0) return real_epoll_wait(ep, ev, max, timeout);
    TIMED_WAIT(PP_WAIT_POLL, 0, real_epoll_wait(ep, ev, max, timeout));
}

PP_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout, const sigset_t *mask)
{
    PP_REAL(epoll_pwait);
    TIMED_WAIT(PP_WAIT_POLL, 0, real_epoll_pwait(ep, ev, max, timeout, mask));
}

PP_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    PP_REAL(waitpid);
    if (options & WNOHANG) return real_waitpid(pid, status, options);
    TIMED_WAIT(PP_WAIT_CHILD, 0, real_waitpid(pid, status, options));
}

PP_EXPORT pid_t wait(int *status)
{
    PP_REAL(wait);
    TIMED_WAIT(PP_WAIT_CHILD, 0, real_wait(status));
}

PP_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
    PP_REAL(wait4);
    if (options & WNOHANG) return real_wait4(pid, status, options, ru);
    TIMED_WAIT(PP_WAIT_CHILD, 0, real_wait4(pid, status, options, ru));
}

/* dash (Debian's /bin/sh) waits with wait3, python's os.wait3 and os.waitid too. */
PP_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
    PP_REAL(wait3);
    if (options & WNOHANG) return real_wait3(status, options, ru);
    TIMED_WAIT(PP_WAIT_CHILD, 0, real_wait3(status, options, ru));
}

PP_EXPORT int waitid(idtype_t which, id_t id, siginfo_t *info, int options)
{
    PP_REAL(waitid);
    if (options & WNOHANG) return real_waitid(which, id, info, options);
    TIMED_WAIT(PP_WAIT_CHILD, 0, real_waitid(which, id, info, options));
}
