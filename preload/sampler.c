/* Timer sampling: each traced thread gets a CPU-time timer (timer_create on
 * CLOCK_THREAD_CPUTIME_ID, delivered to that thread with SIGEV_THREAD_ID), so a thread that
 * computes without calling anything is still sampled, and a thread blocked in I/O or on a lock is
 * never woken (its CPU clock stands still).
 *
 * The handler is async-signal-safe: it only writes into its own thread's buffer, and skips (and
 * counts) samples that land inside our own code.  The signal is installed with SA_RESTART.
 *
 * The signal is shared, not taken: programs install handlers for SIGPROF too (GNU sort catches
 * it to remove its temporary files; gprof-style code counts ITIMER_PROF ticks).  Our timers mark
 * their signals (SI_TIMER with our cookie in si_value); the program's sigaction and signal are
 * answered from a shadow of what it installed, our handler stays in the kernel, and every
 * signal that is not one of our ticks gets what the program asked for: its handler (with its
 * mask and flags), nothing (SIG_IGN), or the default action (SIG_DFL: the process dies of it,
 * as it would have).  The trace says the signal was shared (PP_FOOT_SIGNAL_SHARED).
 * A thread whose program blocks our signal (sigprocmask, pthread_sigmask, or born with it
 * blocked: liblzma starts its workers with every signal blocked) keeps it unblocked in the kernel
 * and blocked in every mask the program reads (vblocked): its ticks still come, so it is sampled
 * with stacks like any other.  A signal of the program's own that arrives meanwhile is held
 * (deferred) and sent again, with its siginfo, when the program unblocks it, as the kernel would
 * have kept it pending for that thread.  Not emulated: a sigwait, sigwaitinfo or signalfd on our
 * signal in such a thread, and sigpending, do not see a held one; a process-directed signal held
 * in one thread is not offered to another; exec and fork keep the program's view (the mask is
 * made real for an exec), posix_spawn's child does not (it starts with the signal unblocked).  A thread still alive at exit with no SAMPLE for a while (its timer
 * never armed: sampling off) gets one from its CPU clock (thread.c). */
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

PP_TLS int pp_born_vblocked;             /* set by the pthread_create trampoline */
static atomic_int sampling;              /* our handler is installed and wanted */
static atomic_int installed;             /* our handler is in the kernel: the shadow is live */
#define TIMER_COOKIE 0x70705050          /* our timers' sigev_value: how a tick is told apart */

/* What the program installed for our signal (or inherited: SIG_IGN survives exec).  Two slots
 * and an index, so a handler on another thread never reads one half-written. */
static struct sigaction shadow[2];
static atomic_int shadow_at;

static struct sigaction program_action(void) { return shadow[atomic_load(&shadow_at) & 1]; }
static void set_program_action(const struct sigaction *a)
{
    int next = !(atomic_load(&shadow_at) & 1);
    shadow[next] = *a;
    atomic_store(&shadow_at, next);
}

static void on_sample(int sig, siginfo_t *si, void *uc);

/* Our handler into the kernel for the signal; the previous action into *old (may be NULL).
 * Block nothing else while it runs: if it ever stalled, the program's own signals (SIGALRM,
 * SIGTERM, SIGINT) must still reach it. */
static int install_ours(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sample;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    return real_sigaction(pp_cfg.signo, &sa, old);
}

/* Block or unblock our signal alone in this thread's real mask. */
static void mask_ours(int how)
{
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, pp_cfg.signo);
    real_pthread_sigmask(how, &only, NULL);
}

/* A plain disposition (SIG_DFL, SIG_IGN) for our signal, in the kernel. */
static void set_real_disposition(sighandler_t h)
{
    struct sigaction a = { .sa_handler = h };
    real_sigaction(pp_cfg.signo, &a, NULL);
}

static int is_tick(const siginfo_t *si)
{
    return si && si->si_code == SI_TIMER && si->si_value.sival_int == TIMER_COOKIE;
}

/* A signal that is not one of our ticks: what the program asked for.  The kernel ran us with our
 * flags and an empty mask; the program's handler runs with its own mask added (and the signal
 * itself unless SA_NODEFER), and the mask the kernel restores on return is the one in uc. */
static void to_program(int sig, siginfo_t *si, void *uc)
{
    struct sigaction a = program_action();
    if (a.sa_handler == SIG_IGN) return;
    if (a.sa_handler == SIG_DFL) {    /* the kernel's own default: raised again without us */
        set_real_disposition(SIG_DFL);
        mask_ours(SIG_UNBLOCK);
        syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), sig);
        install_ours(NULL);           /* still here: a signal whose default is to ignore or stop */
        return;
    }
    sigset_t mask = a.sa_mask;
    if (!(a.sa_flags & SA_NODEFER)) sigaddset(&mask, sig);
    real_pthread_sigmask(SIG_BLOCK, &mask, NULL);
    if (a.sa_flags & SA_RESETHAND) {
        struct sigaction d = { .sa_handler = SIG_DFL };
        set_program_action(&d);
    }
    if (a.sa_flags & SA_SIGINFO) a.sa_sigaction(sig, si, uc);
    else a.sa_handler(sig);
}

static void on_sample(int sig, siginfo_t *si, void *uc)
{
    if (!is_tick(si)) {
        struct pp_thread *t = pp_self;
        if (t && t->vblocked) {            /* blocked, for the program: pending until unblocked */
            if (!t->has_deferred && si) { t->deferred = *si; t->has_deferred = 1; }
            return;
        }
        to_program(sig, si, uc);
        return;
    }
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

static void arm(struct pp_thread *t)
{
    struct itimerspec its;
    its.it_interval.tv_sec = (time_t)(pp_cfg.interval_ns / 1000000000u);
    its.it_interval.tv_nsec = (long)(pp_cfg.interval_ns % 1000000000u);
    its.it_value = its.it_interval;
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
    sev.sigev_value.sival_int = TIMER_COOKIE;
    sev._sigev_un._tid = t->tid;
    int id;
    if (syscall(SYS_timer_create, CLOCK_THREAD_CPUTIME_ID, &sev, &id)) return;
    t->timer_id = id;
    t->has_timer = 1;
    /* Born with our signal blocked (the creator blocked it, or the creator's own block was
     * virtual): blocked for the program, not for the kernel. */
    if (signal_blocked_here() || pp_born_vblocked) {
        mask_ours(SIG_UNBLOCK);
        t->vblocked = 1;
    }
    arm(t);
}

/* A signal of the program's held while it blocked it: sent again, siginfo and all, to this
 * thread (rt_tgsigqueueinfo may carry any si_code to oneself). */
static void release_deferred(struct pp_thread *t)
{
    if (!t->has_deferred) return;
    t->has_deferred = 0;
    siginfo_t si = t->deferred;
    syscall(SYS_rt_tgsigqueueinfo, (pid_t)syscall(SYS_getpid), t->tid, pp_cfg.signo, &si);
}

/* A change of this thread's mask: our signal is taken out of what reaches the kernel and kept
 * in vblocked, and put back into the old mask the program reads. */
static int mask_change(int how, const sigset_t *set, sigset_t *old,
                       int (*real)(int, const sigset_t *, sigset_t *))
{
    struct pp_thread *t = pp_self;
    if (!t || pp_guard || (!t->has_timer && !t->vblocked)) return real(how, set, old);
    int sig = pp_cfg.signo, was = t->vblocked, now = was;
    sigset_t copy;
    const sigset_t *pass = set;
    if (set) {
        int member = sigismember(set, sig) == 1;
        if (how == SIG_BLOCK) now = was || member;
        else if (how == SIG_UNBLOCK) now = was && !member;
        else if (how == SIG_SETMASK) now = member;
        else return real(how, set, old);                  /* EINVAL, as the kernel says */
        if (member) { copy = *set; sigdelset(&copy, sig); pass = &copy; }
    }
    int r = real(how, pass, old);
    int e = errno;
    if (r == 0) {
        if (old && was) sigaddset(old, sig);
        t->vblocked = now;
        if (was && !now) release_deferred(t);
    }
    errno = e;
    return r;
}

PP_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    PP_REAL(sigprocmask);
    if (!atomic_load_explicit(&installed, memory_order_relaxed)) return real_sigprocmask(how, set, old);
    return mask_change(how, set, old, real_sigprocmask);
}

PP_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    PP_REAL(pthread_sigmask);
    if (!atomic_load_explicit(&installed, memory_order_relaxed)) return real_pthread_sigmask(how, set, old);
    return mask_change(how, set, old, real_pthread_sigmask);
}

void pp_sampler_thread_stop(struct pp_thread *t)
{
    if (t->has_timer) { syscall(SYS_timer_delete, t->timer_id); t->has_timer = 0; }
}

void pp_sampler_start(void)
{
    if (!pp_cfg.signo) return;
    struct sigaction old;
    PP_REAL(sigaction);
    /* Installed and the old action read in one call; the old one put back in the rare case it
     * was someone's (no timer of ours exists yet, so no signal of ours can arrive meanwhile). */
    if (install_ours(&old)) return;
    if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {   /* already someone's */
        real_sigaction(pp_cfg.signo, &old, NULL);
        return;
    }
    set_program_action(&old);
    atomic_store(&installed, 1);
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

/* The program installs a handler for our signal: it goes to the shadow, ours stays. */
static void program_installs(const struct sigaction *a)
{
    set_program_action(a);
    atomic_fetch_or(&pp_footer_flags, PP_FOOT_SIGNAL_SHARED);
}

PP_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    PP_REAL(sigaction);
    if (sig != pp_cfg.signo || !pp_cfg.signo || !atomic_load(&installed))
        return real_sigaction(sig, act, old);
    struct sigaction prev = program_action();
    if (act) program_installs(act);
    if (old) *old = prev;
    return 0;
}

PP_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    PP_REAL(signal);
    if (sig != pp_cfg.signo || !pp_cfg.signo || !atomic_load(&installed)) return real_signal(sig, h);
    if (h == SIG_ERR) { errno = EINVAL; return SIG_ERR; }
    struct sigaction a = { .sa_handler = h, .sa_flags = SA_RESTART };   /* glibc's signal(): BSD semantics */
    sigaddset(&a.sa_mask, sig);
    sighandler_t prev = program_action().sa_handler;
    program_installs(&a);
    return prev;
}

/* exec: the kernel resets a handled signal to SIG_DFL and keeps SIG_IGN; ours is a handler, so
 * a program that ignores the signal would hand its successor SIG_DFL.  Put the real SIG_IGN in
 * place for the exec (our ticks are ignored meanwhile), and ours back if exec fails. */
void pp_sampler_before_exec(void)
{
    struct pp_thread *t = pp_self;
    if (t && t->vblocked) mask_ours(SIG_BLOCK);   /* the new image gets the mask the program believes in */
    if (atomic_load(&installed) && program_action().sa_handler == SIG_IGN) set_real_disposition(SIG_IGN);
}

void pp_sampler_exec_failed(void)
{
    if (atomic_load(&installed) && program_action().sa_handler == SIG_IGN) install_ours(NULL);
    struct pp_thread *t = pp_self;
    if (t && t->vblocked) mask_ours(SIG_UNBLOCK);
}

void pp_resolve_sampler(void)
{
    real_sigprocmask = pp_dlsym_next("sigprocmask");
    real_pthread_sigmask = pp_dlsym_next("pthread_sigmask");
    real_sigaction = pp_dlsym_next("sigaction");
    real_signal = pp_dlsym_next("signal");
}
