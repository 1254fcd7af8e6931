/* Timer sampling: each traced thread gets a CPU-time timer (timer_create on
 * CLOCK_THREAD_CPUTIME_ID, delivered to that thread with SIGEV_THREAD_ID), so a thread that
 * computes without calling anything is still sampled, and a thread blocked in I/O or on a lock is
 * never woken (its CPU clock stands still).
 *
 * The handler is async-signal-safe: it only writes into its own thread's buffer, and skips (and
 * counts) samples that land inside our own code.  The signal is installed with SA_RESTART.  If
 * the program installs its own handler for that signal, our timers are deleted, the program gets
 * exactly what it asked for, and the trace says sampling degraded (PP_FOOT_SIGNAL_TAKEN).
 * A thread that blocks our signal (sigprocmask, pthread_sigmask, or born with it blocked) has its
 * timer disarmed first, so it never finds a signal of ours pending (a sigwait on every signal
 * would receive it); the timer is armed again when the signal is unblocked.  Such a thread is
 * still sampled at its intercepted calls. */
#include "pp.h"
#include "internal.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

PP_DECLARE_REAL(int, sigaction, (int, const struct sigaction *, struct sigaction *));
PP_DECLARE_REAL(sighandler_t, signal, (int, sighandler_t));
PP_DECLARE_REAL(int, sigprocmask, (int, const sigset_t *, sigset_t *));
PP_DECLARE_REAL(int, pthread_sigmask, (int, const sigset_t *, sigset_t *));

static atomic_int sampling;              /* our handler is installed and wanted */
static struct sigaction program_action;  /* what the program would see for our signal */

static void on_sample(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)si;
    int saved = errno;
    struct pp_thread *t = pp_self;
    if (t && !t->dead && atomic_load_explicit(&sampling, memory_order_relaxed)) {
        if (pp_guard) {
            t->skipped_samples++;          /* inside our code (or the allocator through it) */
        } else {
            pp_guard = 1;
            uint64_t self0 = t->self_ns, t0 = pp_now();   /* the whole handler is our cost */
            t->cpu_samples++;
            uint64_t stack = pp_stack_capture_signal(t, uc);
            if (stack) {
                uint8_t *p = pp_rec_begin(t, PP_K_CPU_SAMPLE, 32);
                if (p) {
                    p = pp_put_ts(t, p, pp_now());
                    p = pp_put_u(p, (uint64_t)t->tid);
                    p = pp_put_u(p, stack);
                    pp_rec_end(t, p);
                }
            }
            uint64_t now = pp_now();
            if (now - t->sample_start_ns >= pp_cfg.interval_ns) {
                pp_sample_emit(t, now);
                pp_flush_if_old(t, now);
            }
            pp_self_add(t, self0, t0, 200000);   /* tens of µs at most: more was preemption */
            pp_guard = 0;
        }
    }
    errno = saved;
}

static void arm(struct pp_thread *t, int on)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (on) {
        its.it_interval.tv_sec = (time_t)(pp_cfg.interval_ns / 1000000000u);
        its.it_interval.tv_nsec = (long)(pp_cfg.interval_ns % 1000000000u);
        its.it_value = its.it_interval;
    }
    syscall(SYS_timer_settime, t->timer_id, 0, &its, NULL);
}

static int signal_blocked_here(void)
{
    sigset_t cur;
    PP_REAL(pthread_sigmask);
    return real_pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, pp_cfg.signo) == 1;
}

void pp_sampler_thread_start(struct pp_thread *t)
{
    if (!atomic_load(&sampling) || t->has_timer) return;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = pp_cfg.signo;
    sev._sigev_un._tid = t->tid;
    int id;
    if (syscall(SYS_timer_create, CLOCK_THREAD_CPUTIME_ID, &sev, &id)) return;
    t->timer_id = id;
    t->has_timer = 1;
    t->timer_armed = !signal_blocked_here();
    if (t->timer_armed) arm(t, 1);
}

/* Around a change of this thread's signal mask: disarm before our signal gets blocked (so none
 * is left pending), re-arm after it is unblocked. */
static int mask_change(int how, const sigset_t *set, sigset_t *old,
                       int (*real)(int, const sigset_t *, sigset_t *))
{
    struct pp_thread *t = pp_self;
    if (!t || !t->has_timer || pp_guard || !set) return real(how, set, old);
    int blocks = (how == SIG_BLOCK || how == SIG_SETMASK) && sigismember(set, pp_cfg.signo) == 1;
    if (blocks && t->timer_armed) {
        arm(t, 0);
        t->timer_armed = 0;
        /* A tick that fired just before: drop it while it is still ours to drop. */
        sigset_t pend, only;
        sigemptyset(&only);
        sigaddset(&only, pp_cfg.signo);
        struct timespec zero = { 0, 0 };
        PP_REAL(pthread_sigmask);
        sigset_t saved;
        real_pthread_sigmask(SIG_BLOCK, &only, &saved);
        if (sigpending(&pend) == 0 && sigismember(&pend, pp_cfg.signo) == 1) sigtimedwait(&only, NULL, &zero);
        real_pthread_sigmask(SIG_SETMASK, &saved, NULL);
    }
    int r = real(how, set, old);
    int e = errno;
    if (!t->timer_armed && !signal_blocked_here()) { arm(t, 1); t->timer_armed = 1; }
    errno = e;
    return r;
}

PP_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    PP_REAL(sigprocmask);
    if (!atomic_load_explicit(&sampling, memory_order_relaxed)) return real_sigprocmask(how, set, old);
    return mask_change(how, set, old, real_sigprocmask);
}

PP_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    PP_REAL(pthread_sigmask);
    if (!atomic_load_explicit(&sampling, memory_order_relaxed)) return real_pthread_sigmask(how, set, old);
    return mask_change(how, set, old, real_pthread_sigmask);
}

void pp_sampler_thread_stop(struct pp_thread *t)
{
    if (t->has_timer) { syscall(SYS_timer_delete, t->timer_id); t->has_timer = 0; }
}

void pp_sampler_start(void)
{
    if (!pp_cfg.signo) return;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sample;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    /* Block nothing else while we run: if our handler ever stalled, the program's own signals
     * (SIGALRM, SIGTERM, SIGINT) must still reach it. */
    sigemptyset(&sa.sa_mask);
    PP_REAL(sigaction);
    /* Installed and the old action read in one call; the old one put back in the rare case it
     * was someone's (no timer of ours exists yet, so no signal of ours can arrive meanwhile). */
    if (real_sigaction(pp_cfg.signo, &sa, &old)) return;
    if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {   /* already someone's */
        real_sigaction(pp_cfg.signo, &old, NULL);
        return;
    }
    program_action = old;
    atomic_store(&sampling, 1);
    if (pp_self) pp_sampler_thread_start(pp_self);
}

void pp_sampler_stop(void)
{
    if (pp_self) pp_sampler_thread_stop(pp_self);
    /* Other threads' timers die with the process; their signals find sampling off. */
    atomic_store(&sampling, 0);
}

void pp_sampler_after_fork_child(void)
{
    /* Timers are not inherited; the handler is.  The surviving thread gets a new timer. */
    if (pp_self) { pp_self->has_timer = 0; pp_sampler_thread_start(pp_self); }
}

/* The program takes over our signal: stand aside for good, and give it back what it would have
 * had.  Our handler stays only until the program's is installed. */
static void give_up_signal(void)
{
    if (!atomic_exchange(&sampling, 0)) return;
    pp_sampler_stop_all_timers();
    atomic_fetch_or(&pp_footer_flags, PP_FOOT_SIGNAL_TAKEN);
}

PP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    PP_REAL(sigaction);
    if (sig != pp_cfg.signo || !pp_cfg.signo || !atomic_load(&sampling))
        return real_sigaction(sig, act, old);
    if (!act) {                       /* a query: answer with what the program installed */
        if (old) *old = program_action;
        return 0;
    }
    struct sigaction prev = program_action;
    give_up_signal();
    int r = real_sigaction(sig, act, NULL);
    if (r == 0 && old) *old = prev;
    return r;
}

PP_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    PP_REAL(signal);
    if (sig != pp_cfg.signo || !pp_cfg.signo || !atomic_load(&sampling)) return real_signal(sig, h);
    sighandler_t prev = program_action.sa_handler;
    give_up_signal();
    sighandler_t r = real_signal(sig, h);
    return r == SIG_ERR ? r : prev;
}

void pp_resolve_sampler(void)
{
    real_sigprocmask = pp_dlsym_next("sigprocmask");
    real_pthread_sigmask = pp_dlsym_next("pthread_sigmask");
    real_sigaction = pp_dlsym_next("sigaction");
    real_signal = pp_dlsym_next("signal");
}
