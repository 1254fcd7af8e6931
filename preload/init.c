/* Load and unload of libphaseprof.so: the constructor resolves every real symbol eagerly, reads
 * the settings, opens the trace and attaches the main thread; the destructor (and the exit
 * wrappers) write the footer.  Nothing else lives here. */
#include "pp.h"
#include "internal.h"
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>

atomic_int pp_active;
pid_t pp_pid;
PP_TLS struct pp_tls pp_tls = { .alloc_tick = 1, .free_tick = 1 };   /* a new thread: first calls due */
static int exit_status = -1;    /* -1: the program returned from main or we do not know */

void pp_note_exit_status(int status) { exit_status = status & 0xff; }

__attribute__((constructor(101))) static void pp_init(int argc, char **argv, char **envp)
{
    pp_guard++;
    uint64_t c0 = pp_thread_cpu_ns();   /* start-up is part of the recorder's own cost */
    /* Resolve before anything can need them (pitfalls 2, 3): even when tracing is off, the hooks
     * must be able to pass through. */
    pp_symtab_open();             /* one pass over the symbol tables instead of ~200 dlsym */
    pp_resolve_alloc(); pp_resolve_mmap(); pp_resolve_posix_io(); pp_resolve_stdio();
    pp_resolve_socket(); pp_resolve_meta(); pp_resolve_process(); pp_resolve_thread();
    pp_resolve_dl(); pp_resolve_sampler(); pp_resolve_wait();
    pp_symtab_close();
    if (pp_config_load() == 0 && pp_strings_init() == 0 && pp_threads_init() == 0) {
        pp_pid = (pid_t)syscall(SYS_getpid);
        pp_env_capture(envp);
        pp_clock_calibrate();
        pp_counters_init();
        if (pp_output_init(argc, argv) == 0) {
            pp_maps_snapshot();
            atomic_store(&pp_active, 1);
            pp_thread_attach();
            if (pp_cfg.stacks) pp_stack_init();
            pp_sampler_start();
        }
    } else {
        pp_env_capture(envp);     /* off here, but exec'd children may still be traced */
    }
    pp_proc->self_ns += pp_thread_cpu_ns() - c0;
    pp_guard--;
}

void pp_process_exit(int status)
{
    if (!atomic_load(&pp_active) || (pid_t)syscall(SYS_getpid) != pp_pid) return; /* vfork child */
    int g = pp_guard;
    pp_guard = 1;
    int saved = errno;
    pp_sampler_stop();
    pp_output_finish(status);
    errno = saved;
    pp_guard = g;
}

__attribute__((destructor(101))) static void pp_fini(void)
{
    pp_process_exit(exit_status);
}

/* fork child: our process-wide state describes the parent; start over with a new file. */
void pp_after_fork_child(void)
{
    pp_pid = (pid_t)syscall(SYS_getpid);
    pp_strings_reset();
    pp_alloc_sample_reset_after_fork();
    pp_stack_reset_after_fork();
    pp_fd_reset_after_fork();
    pp_counters_after_fork_child();
    pp_proc_after_fork_child();
    pp_output_after_fork_child();
    pp_threads_after_fork_child();
    pp_sampler_after_fork_child();
}
