/* Processes: fork, the exec family, posix_spawn, and the exit paths.
 *
 * fork: the child starts a trace of its own (new file, parent's pid in its header) and the parent
 *   records the link.  Done in the wrapper itself, not in atfork handlers, so it also holds for
 *   programs that register none.
 * exec: a program may exec with a cleaned environment (pitfall 10), so every exec and spawn gets
 *   our variables put back (LD_PRELOAD with our library, PHASEPROF_*), built on the stack.  Before
 *   the image is replaced, the EXEC record and every thread's chunk are written; if exec fails,
 *   tracing simply goes on.
 * vfork: not wrapped; a vfork child shares our memory, so it must not write a footer or
 *   flush on its own: the exit paths compare the pid (pitfall 9).
 * _exit/_Exit skip destructors, so they write the footer themselves (pitfall 11). */
#include "pp.h"
#include "internal.h"
#include <dlfcn.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

PP_DECLARE_REAL(pid_t, fork, (void));
PP_DECLARE_REAL(int, execve, (const char *, char *const[], char *const[]));
PP_DECLARE_REAL(int, execvpe, (const char *, char *const[], char *const[]));
PP_DECLARE_REAL(int, fexecve, (int, char *const[], char *const[]));
PP_DECLARE_REAL(int, execveat, (int, const char *, char *const[], char *const[], int));
PP_DECLARE_REAL(int, posix_spawn, (pid_t *, const char *, const posix_spawn_file_actions_t *,
                                   const posix_spawnattr_t *, char *const[], char *const[]));
PP_DECLARE_REAL(int, posix_spawnp, (pid_t *, const char *, const posix_spawn_file_actions_t *,
                                    const posix_spawnattr_t *, char *const[], char *const[]));
PP_DECLARE_REAL(void, _exit, (int));
PP_DECLARE_REAL(void, _Exit, (int));
PP_DECLARE_REAL(void, exit, (int));
PP_DECLARE_REAL(void, abort, (void));

extern char **environ;

void pp_resolve_process(void)
{
    PP_REAL(fork); PP_REAL(execve); PP_REAL(execvpe); PP_REAL(fexecve); PP_REAL(execveat);
    PP_REAL(posix_spawn); PP_REAL(posix_spawnp); PP_REAL(_exit); PP_REAL(_Exit); PP_REAL(exit);
    PP_REAL(abort);
}

/* ---- the environment our children need ---- */
#define CARRY_MAX 24
static char carry_mem[8192];
static const char *carry[CARRY_MAX];     /* "NAME=value" */
static int ncarry;
static char our_lib[1024];

static const char *add_carry(const char *name, const char *value)
{
    static size_t used;
    size_t nl = strlen(name), vl = strlen(value);
    if (ncarry >= CARRY_MAX || used + nl + vl + 2 > sizeof carry_mem) return 0;
    char *d = carry_mem + used;
    memcpy(d, name, nl); d[nl] = '='; memcpy(d + nl + 1, value, vl); d[nl + 1 + vl] = 0;
    used += nl + vl + 2;
    return carry[ncarry++] = d;
}

void pp_env_carry(const char *name, const char *value) { add_carry(name, value); }

static int name_is(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(entry, name, n) && entry[n] == '=';
}

void pp_env_capture(char **envp)
{
    Dl_info info;
    if (dladdr((void *)pp_env_capture, &info) && info.dli_fname && strlen(info.dli_fname) < sizeof our_lib)
        strcpy(our_lib, info.dli_fname);
    int have_run = 0, have_out = 0;
    for (char **e = envp; e && *e; e++) {
        if (strncmp(*e, "PHASEPROF_", 10)) continue;
        const char *eq = strchr(*e, '=');
        if (!eq || eq - *e > 64) continue;
        char name[72];
        memcpy(name, *e, (size_t)(eq - *e)); name[eq - *e] = 0;
        if (!strcmp(name, "PHASEPROF_OUTPUT")) { have_out = 1; add_carry(name, pp_cfg.output[0] ? pp_cfg.output : eq + 1); continue; }
        if (!strcmp(name, "PHASEPROF_RUN_ID")) have_run = 1;
        add_carry(name, eq + 1);
    }
    if (!have_out && pp_cfg.output[0]) add_carry("PHASEPROF_OUTPUT", pp_cfg.output);
    if (!have_run && pp_cfg.run_id) {
        char hex[17]; uint64_t v = pp_cfg.run_id;
        for (int i = 15; i >= 0; i--, v >>= 4) hex[i] = "0123456789abcdef"[v & 15];
        hex[16] = 0;
        add_carry("PHASEPROF_RUN_ID", hex);
    }
}

/* Builds into out[] (room for n(envp) + CARRY_MAX + 2) the environment with our variables added.
 * ld holds a rewritten LD_PRELOAD when the program's lacks our library. */
static char *const *child_env(char *const envp[], char **out, char *ld, size_t ldcap)
{
    int k = 0, have_ld = 0;
    for (char *const *e = envp; e && *e; e++) {
        if (name_is(*e, "LD_PRELOAD")) {
            have_ld = 1;
            if (our_lib[0] && !strstr(*e, our_lib) && strlen(*e) + strlen(our_lib) + 2 < ldcap) {
                strcpy(ld, "LD_PRELOAD=");
                strcat(ld, our_lib);
                strcat(ld, ":");
                strcat(ld, *e + 11);
                out[k++] = ld;
                continue;
            }
        }
        out[k++] = *e;
    }
    if (!have_ld && our_lib[0] && strlen(our_lib) + 12 < ldcap) {
        strcpy(ld, "LD_PRELOAD=");
        strcat(ld, our_lib);
        out[k++] = ld;
    }
    for (int c = 0; c < ncarry; c++) {
        const char *eq = strchr(carry[c], '=');
        size_t nl = (size_t)(eq - carry[c]);
        int present = 0;
        for (char *const *e = envp; e && *e && !present; e++)
            present = !strncmp(*e, carry[c], nl + 1);
        if (!present) out[k++] = (char *)carry[c];
    }
    out[k] = 0;
    return out;
}

static int env_count(char *const envp[])
{
    int n = 0;
    while (envp && envp[n]) n++;
    return n;
}

#define WITH_CHILD_ENV(envp, name)                                             \
    char *name##_arr[env_count(envp) + CARRY_MAX + 2];                         \
    char name##_ld[4096];                                                      \
    char *const *name = child_env(envp, name##_arr, name##_ld, sizeof name##_ld)

/* The exec itself, with the sampling signal's disposition made what the program's is (a
 * vfork child's too: it has its own copy of the handlers); only returns if exec failed. */
#define EXEC_CALL(CALL) do {                                                   \
        pp_sampler_before_exec();                                              \
        int r_ = CALL, e_ = errno;                                             \
        pp_sampler_exec_failed();                                              \
        errno = e_;                                                            \
        return r_;                                                             \
    } while (0)

/* Before the image goes: EXEC record, then every thread's chunk written (not marked final: a
 * failed exec goes on tracing). */
static void before_exec(const char *path, char *const argv[])
{
    if (!atomic_load(&pp_active) || (pid_t)syscall(SYS_getpid) != pp_pid) return;
    int g = pp_guard; pp_guard = 1;
    int saved = errno;
    struct pp_thread *t = pp_self;
    if (t && !t->dead) {
        size_t need = 64 + strlen(path);
        int n = 0;
        for (; argv && argv[n] && n < 64; n++) { need += strlen(argv[n]) + 4; if (need > 6000) break; }
        uint8_t *p = pp_rec_begin(t, PP_K_EXEC, need);
        if (p) {
            p = pp_put_ts(t, p, pp_now());
            p = pp_put_u(p, (uint64_t)t->tid);
            p = pp_put_bytes(p, path, strlen(path));
            p = pp_put_u(p, (uint64_t)n);
            for (int i = 0; i < n; i++) p = pp_put_bytes(p, argv[i], strlen(argv[i]));
            pp_rec_end(t, p);
        }
        pp_fd_flush_all(t);
        pp_sample_emit(t, pp_now());
        pp_flush(t);
    }
    pp_threads_flush_live();
    pp_output_exec_footer();
    errno = saved;
    pp_guard = g;
}

PP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    PP_REAL(execve);
    before_exec(path, argv);
    WITH_CHILD_ENV(envp, env);
    EXEC_CALL(real_execve(path, argv, env));
}

PP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    PP_REAL(execvpe);
    before_exec(file, argv);
    WITH_CHILD_ENV(envp, env);
    EXEC_CALL(real_execvpe(file, argv, env));
}

PP_EXPORT int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }
PP_EXPORT int execvp(const char *file, char *const argv[]) { return execvpe(file, argv, environ); }

PP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    PP_REAL(fexecve);
    before_exec("(fexecve)", argv);
    WITH_CHILD_ENV(envp, env);
    EXEC_CALL(real_fexecve(fd, argv, env));
}

PP_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    PP_REAL(execveat);
    before_exec(path, argv);
    WITH_CHILD_ENV(envp, env);
    EXEC_CALL(real_execveat(dirfd, path, argv, env, flags));
}

/* execl* take their arguments inline: gather them on the stack. */
#define GATHER_ARGS(arg0, ap, argv, extra)                                   \
    va_list ap; int argc_ = 1;                                               \
    va_start(ap, arg0);                                                      \
    while (va_arg(ap, char *)) argc_++;                                      \
    va_end(ap);                                                              \
    char *argv[argc_ + 1];                                                   \
    argv[0] = (char *)arg0;                                                  \
    va_start(ap, arg0);                                                      \
    for (int i_ = 1; i_ <= argc_; i_++) argv[i_] = va_arg(ap, char *);      \
    extra;                                                                   \
    va_end(ap)

PP_EXPORT int execl(const char *path, const char *arg, ...)
{
    GATHER_ARGS(arg, ap, argv, (void)0);
    return execve(path, argv, environ);
}

PP_EXPORT int execlp(const char *file, const char *arg, ...)
{
    GATHER_ARGS(arg, ap, argv, (void)0);
    return execvpe(file, argv, environ);
}

PP_EXPORT int execle(const char *path, const char *arg, ...)
{
    char *const *envp;
    GATHER_ARGS(arg, ap, argv, envp = va_arg(ap, char *const *));
    return execve(path, argv, envp);
}

static void record_child(int kind, pid_t child)
{
    struct pp_thread *t = pp_enter();
    if (!t) return;
    int saved = errno;
    uint8_t *p = pp_rec_begin(t, PP_K_FORK, 40);
    if (p) {
        p = pp_put_ts(t, p, pp_now());
        p = pp_put_u(p, (uint64_t)t->tid);
        p = pp_put_s(p, child);
        p = pp_put_u(p, (uint64_t)kind);
        pp_rec_end(t, p);
    }
    errno = saved;
    pp_leave(t);
}

PP_EXPORT pid_t fork(void)
{
    PP_REAL(fork);
    if (!atomic_load(&pp_active) || pp_guard) return real_fork();
    pp_stack_fork_prepare();
    pid_t r = real_fork();
    pp_stack_fork_done();
    if (r == 0) {
        int saved = errno;
        int g = pp_guard; pp_guard = 1;
        pp_after_fork_child();
        pp_guard = g;
        errno = saved;
    } else if (r > 0) {
        record_child(PP_FORK_FORK, r);
    }
    return r;
}

PP_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    PP_REAL(posix_spawn);
    WITH_CHILD_ENV(envp, env);
    pid_t child = 0;
    int r = real_posix_spawn(&child, path, fa, attr, argv, env);
    if (pid) *pid = child;
    if (r == 0) record_child(PP_FORK_SPAWN, child);
    return r;
}

PP_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    PP_REAL(posix_spawnp);
    WITH_CHILD_ENV(envp, env);
    pid_t child = 0;
    int r = real_posix_spawnp(&child, file, fa, attr, argv, env);
    if (pid) *pid = child;
    if (r == 0) record_child(PP_FORK_SPAWN, child);
    return r;
}

PP_EXPORT void _exit(int status)
{
    PP_REAL(_exit);
    pp_process_exit(status & 0xff);
    real__exit(status);
    __builtin_unreachable();
}

PP_EXPORT void _Exit(int status)
{
    PP_REAL(_Exit);
    pp_process_exit(status & 0xff);
    real__Exit(status);
    __builtin_unreachable();
}

PP_EXPORT void exit(int status)
{
    PP_REAL(exit);
    pp_note_exit_status(status);    /* the footer is written by our destructor, after atexit */
    real_exit(status);
    __builtin_unreachable();
}

/* A program that returns from main exits through libc's internal exit, which no interposed
 * symbol sees: main is wrapped here so the footer gets its status instead of "unknown". */
typedef int (*pp_main_fn)(int, char **, char **);
static pp_main_fn program_main;

static int main_trampoline(int argc, char **argv, char **envp)
{
    int r = program_main(argc, argv, envp);
    pp_note_exit_status(r);
    return r;
}

PP_EXPORT int __libc_start_main(pp_main_fn main, int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    static int (*real)(pp_main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
    if (!real) real = pp_dlsym_next("__libc_start_main");
    program_main = main;
    return real(main_trampoline, argc, argv, init, fini, rtld_fini, stack_end);
}

PP_EXPORT void abort(void)
{
    PP_REAL(abort);
    if (!pp_guard) pp_process_exit(128 + SIGABRT);   /* not from inside our own code */
    real_abort();
    __builtin_unreachable();
}
