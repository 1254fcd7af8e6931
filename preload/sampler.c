/* Timer sampling: each traced thread gets a CPU-time timer (timer_create on
 * CLOCK_THREAD_CPUTIME_ID, delivered to that thread with SIGEV_THREAD_ID), so a thread that
 * computes without calling anything is still sampled, and a thread blocked in I/O or on a lock is
 * never woken (its CPU clock stands still).
 *
 * The handler is async-signal-safe: it only writes into its own thread's buffer, and skips (and
 * counts) samples that land inside our own code.  The signal is installed with SA_RESTART.  If
 * the program installs its own handler for that signal, our timers are deleted, the program gets
 * exactly what it asked for, and the trace says sampling degraded (PP_FOOT_SIGNAL_TAKEN). */
#include "pp.h"
#include "internal.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

PP_DECLARE_REAL(int, sigaction, (int, const struct sigaction *, struct sigaction *));
PP_DECLARE_REAL(sighandler_t, signal, (int, sighandler_t));

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
            pp_guard = 0;
        }
    }
    errno = saved;
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
    struct itimerspec its;
    its.it_interval.tv_sec = (time_t)(pp_cfg.interval_ns / 1000000000u);
    its.it_interval.tv_nsec = (long)(pp_cfg.interval_ns % 1000000000u);
    its.it_value = its.it_interval;
    if (syscall(SYS_timer_settime, id, 0, &its, NULL)) { syscall(SYS_timer_delete, id); return; }
    t->timer_id = id;
    t->has_timer = 1;
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
    sigfillset(&sa.sa_mask);
    PP_REAL(sigaction);
    if (real_sigaction(pp_cfg.signo, NULL, &old)) return;
    if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) return;  /* already someone's */
    program_action = old;
    atomic_store(&sampling, 1);
    if (real_sigaction(pp_cfg.signo, &sa, NULL)) { atomic_store(&sampling, 0); return; }
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
    real_sigaction = pp_dlsym_next("sigaction");
    real_signal = pp_dlsym_next("signal");
}
