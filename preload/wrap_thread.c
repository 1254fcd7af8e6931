/* Threads: a trampoline around the start routine attaches the new thread at once (so its
 * THREAD_START carries the creating thread and its CPU-time timer starts), and thread names are
 * recorded.  Thread exit is seen through a pthread key destructor (thread.c), which also covers
 * pthread_exit. */
#include "pp.h"
#include "internal.h"
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

PP_DECLARE_REAL(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *));
PP_DECLARE_REAL(int, pthread_setname_np, (pthread_t, const char *));
PP_DECLARE_REAL(int, prctl, (int, unsigned long, unsigned long, unsigned long, unsigned long));

void pp_resolve_thread(void) { PP_REAL(pthread_create); PP_REAL(pthread_setname_np); PP_REAL(prctl); }

struct start { void *(*fn)(void *); void *arg; uint64_t parent_tid; int big_stack, vblocked; };

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;
    pp_real_free(p);
    pp_parent_tid = s.parent_tid;
    pp_born_vblocked = s.vblocked;
    if (atomic_load(&pp_active)) {
        pp_guard++;
        if (!pp_self) pp_thread_attach();
        if (pp_self) pp_self->big_stack = s.big_stack;
        pp_guard--;
    }
    return s.fn(s.arg);
}

PP_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    PP_REAL(pthread_create);
    if (!atomic_load(&pp_active) || pp_guard) return real_pthread_create(th, attr, fn, arg);
    /* The program's allocator, not counted: this is our bookkeeping. */
    pp_guard++;
    struct start *s = pp_real_malloc(sizeof *s);
    pp_guard--;
    if (!s) return real_pthread_create(th, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    s->parent_tid = pp_self ? (uint64_t)pp_self->tid : (uint64_t)syscall(SYS_gettid);
    /* glibc's default is RLIMIT_STACK's size (8 MiB here); the program may ask for less */
    size_t stack = 0;
    s->big_stack = !attr || (pthread_attr_getstacksize(attr, &stack) == 0 && stack >= (1u << 20));
    /* a new thread inherits its creator's mask, unless the attributes give it one */
    sigset_t own;
    s->vblocked = pp_self && pp_self->vblocked &&
                  !(attr && pthread_attr_getsigmask_np(attr, &own) == 0);
    int r = real_pthread_create(th, attr, trampoline, s);
    if (r) { int e = errno; pp_real_free(s); errno = e; }
    return r;
}

static void record_name(const char *name)
{
    struct pp_thread *t = pp_enter();
    if (!t) return;
    int saved = errno;
    uint64_t id = pp_intern(t, name, strnlen(name, 16));
    uint8_t *p = pp_rec_begin(t, PP_K_THREAD_NAME, 32);
    if (p) {
        p = pp_put_ts(t, p, pp_now());
        p = pp_put_u(p, (uint64_t)t->tid);
        p = pp_put_u(p, id);
        pp_rec_end(t, p);
    }
    errno = saved;
    pp_leave(t);
}

PP_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
    PP_REAL(pthread_setname_np);
    int r = real_pthread_setname_np(th, name);
    /* Another thread's kernel tid is not portable to get; its name is recorded when it names itself. */
    if (r == 0 && pthread_equal(th, pthread_self())) record_name(name);
    return r;
}

PP_EXPORT int prctl(int option, ...)
{
    PP_REAL(prctl);
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
    unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    int r = real_prctl(option, a2, a3, a4, a5);
    if (r == 0 && option == PR_SET_NAME && a2) {
        int e = errno;
        record_name((const char *)a2);
        errno = e;
    }
    return r;
}
