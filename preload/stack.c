/* Call stacks with libunwind, interned: each distinct stack is written once (STACK record) and
 * referred to by id.
 *
 * libunwind is dlopen'ed RTLD_LOCAL, never linked: libunwind.so.8 exports _Unwind_* and, in the
 * global scope, would replace libgcc's C++ exception unwinder in the programs we trace (pitfall
 * 27).  It is loaded lazily, from an ordinary intercepted call once the process has run for
 * 20 ms, so the hundreds of short processes of a build pay nothing (~0.25 ms and a few hundred KB
 * otherwise).  A program that makes no intercepted call after that (a compute loop) would never
 * load it: there the sampling handler loads it itself, once, when that is safe (handler_may_load).
 * Before that (and if loading fails) CPU samples carry the interrupted PC alone, read from the
 * signal context: a flat profile rather than none; other records carry stack 0 ("none").
 *
 * In the sampling handler we unwind from the signal's context.  The handler never unwinds when
 * the interrupted code is our own, the allocator called through us, or the dynamic loader
 * (dlopen/dlclose/dl_iterate_phdr, whose lock libunwind takes): those samples are skipped and
 * counted (pitfall 28). */
#include "pp.h"
#include "internal.h"
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <signal.h>
#include <ucontext.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

static int (*u_getcontext)(unw_context_t *);
static int (*u_init_local2)(unw_cursor_t *, unw_context_t *, int);
static int (*u_step)(unw_cursor_t *);
static int (*u_get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
static int (*u_backtrace)(void **, int);
static atomic_int loaded;       /* 0 not yet, 1 ready, -1 failed or off */
static uintptr_t self_lo, self_hi;
static uintptr_t exe_lo, exe_hi;   /* the main program's code (0: unknown: never load in a handler) */
#define LOAD_AFTER_NS 20000000u    /* a process younger than this never loads libunwind */
PP_TLS int pp_in_loader;        /* >0 inside dlopen/dlclose/dl_iterate_phdr */
/* >0 inside a lock hook: the program (or its allocator: jemalloc locks through
 * pthread_mutex_lock) may hold a lock that malloc needs, and libunwind — or loading it — can
 * malloc.  No unwinding there. */
PP_TLS int pp_no_unwind;

/* fork while another thread is inside libunwind would leave libunwind's locks held for good in
 * the child (pitfall 8): the fork wrapper waits until no thread unwinds, and no new unwind starts
 * until the fork is done. */
static atomic_int unwinders, fork_pending;

static int unwind_enter(void)
{
    if (atomic_load(&fork_pending)) return 0;
    atomic_fetch_add(&unwinders, 1);
    if (atomic_load(&fork_pending)) { atomic_fetch_sub(&unwinders, 1); return 0; }
    return 1;
}
static void unwind_leave(void) { atomic_fetch_sub(&unwinders, 1); }

void pp_stack_disable(void) { atomic_store(&loaded, -1); }

void pp_stack_fork_prepare(void)
{
    atomic_store(&fork_pending, 1);
    while (atomic_load(&unwinders)) sched_yield();
}

void pp_stack_fork_done(void)
{
    atomic_store(&unwinders, 0);     /* in the child: the other threads are gone */
    atomic_store(&fork_pending, 0);
}

#define STACK_SLOTS (1u << 14)   /* 256 KiB, touched page by page as stacks arrive */
struct sslot { _Atomic uint64_t hash; _Atomic uint64_t id; };
static _Atomic(struct sslot *) stacks;
static atomic_uint_fast64_t next_stack = 1;

/* The intern table: address space only, mapped by the first stack to arrive (a process that
 * never lives to its first sample never pays for the mapping) and its pages touched as stacks
 * arrive.  A raw mmap: safe in the sampling handler.  NULL if stacks are off or mmap failed. */
static struct sslot *stack_table(void)
{
    struct sslot *t = atomic_load_explicit(&stacks, memory_order_acquire);
    if (pp_likely(t != 0) || !pp_cfg.stacks) return t;
    return PP_MAP_ONCE(stacks, STACK_SLOTS * sizeof(struct sslot));
}

/* The addresses an object's loaded segments span, of those with all of `flags` (PF_X: code). */
static int load_span(const struct dl_phdr_info *info, unsigned flags, uintptr_t *lo, uintptr_t *hi)
{
    *lo = UINTPTR_MAX, *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & flags) != flags) continue;
        if (info->dlpi_addr + ph->p_vaddr < *lo) *lo = info->dlpi_addr + ph->p_vaddr;
        if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > *hi) *hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
    }
    return *hi > *lo;
}

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t me = (uintptr_t)data, lo, hi;
    if (!load_span(info, 0, &lo, &hi) || me < lo || me >= hi) return 0;
    self_lo = lo;
    self_hi = hi;
    return 1;
}

static void load_now(void);
static void thread_ready(struct pp_thread *t);

/* dlopen and libunwind's first use in a thread allocate, inside whatever call the program made:
 * open, read or write may be async-signal-safe to the program, and its own handler that
 * allocates, landing while we hold the allocator's lock, would deadlock (fault_signal_alloc.sh's
 * storm).  So the program's signals wait until we are done; faults stay deliverable. */
static void signals_hold(uint64_t *old)
{
    uint64_t all = ~(uint64_t)0 & ~((1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) |
                                    (1ull << (SIGILL - 1)) | (1ull << (SIGFPE - 1)) | (1ull << (SIGTRAP - 1)));
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, sizeof all)) *old = 0;
}

static void signals_release(const uint64_t *old)
{
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, sizeof *old);
}

/* Called from intercepted calls (never from the handler): loads libunwind once the process has
 * lived long enough to be worth it. */
void pp_stack_maybe_load(struct pp_thread *t, uint64_t now)
{
    if (pp_no_unwind) return;
    if (pp_likely(atomic_load_explicit(&loaded, memory_order_relaxed))) {
        if (pp_unlikely(!t->unwind_ready)) thread_ready(t);
        return;
    }
    if (now - pp_start_mono() < LOAD_AFTER_NS) return;
    uint64_t c0 = pp_thread_cpu_ns();
    load_now();
    t->self_ns += pp_thread_cpu_ns() - c0;   /* once per process: dlopen of libunwind */
}

static void load_now(void)
{
    if (!pp_cfg.stacks) { atomic_store(&loaded, -1); return; }
    if (pp_in_loader || !stack_table()) return;
    /* as an unwinder: a fork waits until the loader's lock is released (the child would
     * inherit it held, by a thread it does not have) */
    if (!unwind_enter()) return;
    int expect = 0;
    static atomic_int claimed;
    if (!atomic_compare_exchange_strong(&claimed, &expect, 1)) { unwind_leave(); return; }
    int saved = errno;
    uint64_t mask;
    signals_hold(&mask);
    void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        u_getcontext = dlsym(h, "_Ux86_64_getcontext");
        u_init_local2 = dlsym(h, "_ULx86_64_init_local2");
        u_step = dlsym(h, "_ULx86_64_step");
        u_get_reg = dlsym(h, "_ULx86_64_get_reg");
        u_backtrace = dlsym(h, "unw_backtrace");
    }
    dl_iterate_phdr(find_self, (void *)(uintptr_t)pp_stack_maybe_load);
    if (h && u_getcontext && u_init_local2 && u_step && u_get_reg && u_backtrace && self_hi) {
        atomic_store(&loaded, 1);
    } else {
        atomic_store(&loaded, -1);
    }
    signals_release(&mask);
    unwind_leave();
    errno = saved;
}

/* libunwind is dlopen'ed, so its thread-local data is allocated (malloc, via __tls_get_addr)
 * on a thread's first use.  That first use must happen here, from an ordinary call, never in
 * the sampling handler, which may have interrupted the allocator itself. */
static void thread_ready(struct pp_thread *t)
{
    if (atomic_load(&loaded) != 1 || pp_in_loader || pp_no_unwind || !unwind_enter()) return;
    int saved = errno;
    uint64_t mask;
    signals_hold(&mask);
    void *raw[4];
    u_backtrace(raw, 4);
    unw_context_t uc;
    unw_cursor_t c;
    if (u_getcontext(&uc) == 0 && u_init_local2(&c, &uc, 0) >= 0) u_step(&c);
    signals_release(&mask);
    errno = saved;
    unwind_leave();
    t->unwind_ready = 1;
}

uint64_t pp_stack_intern(struct pp_thread *t, const uint64_t *f, int n)
{
    struct sslot *stacks = n > 0 ? stack_table() : 0;
    if (!stacks) return 0;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++) { h ^= f[i]; h *= 0xff51afd7ed558ccdull; h ^= h >> 32; }
    h |= 1;
    for (unsigned i = 0, k = (unsigned)h & (STACK_SLOTS - 1); i < 64; i++, k = (k + 1) & (STACK_SLOTS - 1)) {
        uint64_t cur = atomic_load_explicit(&stacks[k].hash, memory_order_acquire);
        if (cur == h) {
            uint64_t id = atomic_load_explicit(&stacks[k].id, memory_order_acquire);
            return id;   /* 0 while its writer is mid-record: the sample goes without a stack */
        }
        if (cur == 0) {
            uint64_t zero = 0;
            if (!atomic_compare_exchange_strong(&stacks[k].hash, &zero, h)) { i--; continue; }
            uint64_t id = atomic_fetch_add(&next_stack, 1);
            uint8_t *p = pp_rec_begin(t, PP_K_STACK, 16 + 10 * (size_t)n);
            if (!p) { atomic_store(&stacks[k].hash, 0); return 0; }
            p = pp_put_u(p, id);
            p = pp_put_u(p, (uint64_t)n);
            for (int j = 0; j < n; j++) p = pp_put_u(p, f[j]);
            pp_rec_end(t, p);
            atomic_store_explicit(&stacks[k].id, id, memory_order_release);
            return id;
        }
    }
    return 0;   /* table crowded: stack dropped, the sample still counts */
}

/* From an intercepted call: frames above our own library.  The first record that wants a stack
 * (an allocation sample, a slow I/O call or wait) loads libunwind if the timer has not yet. */
uint64_t pp_stack_capture(struct pp_thread *t, int skip)
{
    (void)skip;
    if (pp_no_unwind || pp_in_loader) return 0;
    if (pp_unlikely(!atomic_load_explicit(&loaded, memory_order_relaxed))) {
        uint64_t c0 = pp_thread_cpu_ns();
        load_now();
        t->self_ns += pp_thread_cpu_ns() - c0;   /* once per process: dlopen of libunwind */
    }
    if (atomic_load_explicit(&loaded, memory_order_relaxed) != 1) return 0;
    if (pp_unlikely(!t->unwind_ready)) { thread_ready(t); if (!t->unwind_ready) return 0; }
    void *raw[130];
    int depth = (int)pp_cfg.stack_depth + 8;
    if (!unwind_enter()) return 0;
    uint64_t t0 = pp_now();
    int n = u_backtrace(raw, depth > 130 ? 130 : depth);
    unwind_leave();
    pp_self_add(t, t->self_ns, t0, 50000);   /* the recorder's own cost (selfcost.c) */
    uint64_t f[128];
    int k = 0, i = 0;
    while (i < n && (uintptr_t)raw[i] >= self_lo && (uintptr_t)raw[i] < self_hi) i++;  /* our frames */
    for (; i < n && k < (int)pp_cfg.stack_depth; i++) if (raw[i]) f[k++] = (uint64_t)(uintptr_t)raw[i];
    return pp_stack_intern(t, f, k);
}

/* The main program's code: dl_iterate_phdr lists it first (also when it was started through
 * ld.so by name, where the auxiliary vector would describe the loader instead). */
static int find_exe(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size; (void)data;
    uintptr_t lo, hi;
    if (load_span(info, PF_X, &lo, &hi)) { exe_lo = lo; exe_hi = hi; }
    return 1;
}

/* At start (normal context): where the main program's code lies, unless the program defines
 * malloc itself: a handler interrupting it might hold its allocator's lock, which dlopen would
 * take again. */
void pp_stack_init(void)
{
    dl_iterate_phdr(find_exe, NULL);
    uintptr_t m = (uintptr_t)dlsym(RTLD_DEFAULT, "malloc");
    if (m >= exe_lo && m < exe_hi) exe_lo = exe_hi = 0;
}

/* Whether the sampling handler may load libunwind itself (dlopen: on the main thread or one
 * created with a stack of 1 MiB or more) or start using it on this thread (its thread-local
 * data is malloc'ed): a program computing without any intercepted call would otherwise never
 * get stacks.  Both take the
 * loader's locks and malloc: that would deadlock or corrupt state if this thread held one of
 * those locks when the signal came.  So only when the interrupted code is the main program's own
 * (not libc, the loader, our library or a library it called into), with no signal blocked (not
 * inside one of the program's signal handlers, which may have interrupted malloc), not inside
 * dlopen or dl_iterate_phdr, and with glibc's malloc. */
static int handler_may_load(const ucontext_t *uc)
{
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uint64_t blocked;
    memcpy(&blocked, &uc->uc_sigmask, sizeof blocked);
    return exe_hi && pc >= exe_lo && pc < exe_hi && !blocked && !pp_in_loader && !pp_no_unwind &&
           pp_now() - pp_start_mono() >= LOAD_AFTER_NS && atomic_load_explicit(&pp_active, memory_order_relaxed);
}

/* From the sampling handler, with the interrupted context: frame 0 is the interrupted PC itself,
 * the rest are return addresses. */
uint64_t pp_stack_capture_signal(struct pp_thread *t, void *ucontext)
{
    if (!ucontext || !pp_cfg.stacks) return 0;
    if (pp_unlikely(!t->unwind_ready) && atomic_load_explicit(&loaded, memory_order_relaxed) >= 0 &&
        handler_may_load(ucontext)) {
        uint64_t c0 = pp_thread_cpu_ns();
        if (!atomic_load_explicit(&loaded, memory_order_relaxed) && (t->tid == pp_pid || t->big_stack)) load_now();
        thread_ready(t);
        t->self_ns += pp_thread_cpu_ns() - c0;   /* once per process and thread */
    }
    if (pp_in_loader) t->skipped_samples++;      /* unwinding there could deadlock: counted */
    if (atomic_load_explicit(&loaded, memory_order_relaxed) != 1 || pp_in_loader || pp_no_unwind ||
        !t->unwind_ready) {
        /* No unwinder here (not loaded yet, not yet used on this thread outside a handler, or
         * inside the loader or a lock hook): the PC alone is still safe. */
        uint64_t pc = (uint64_t)((ucontext_t *)ucontext)->uc_mcontext.gregs[REG_RIP];
        return pp_stack_intern(t, &pc, 1);
    }
    if (!unwind_enter()) { t->skipped_samples++; return 0; }
    unw_cursor_t c;
    uint64_t f[128];
    int k = 0;
    if (u_init_local2(&c, (unw_context_t *)ucontext, UNW_INIT_SIGNAL_FRAME) >= 0) {
        do {
            unw_word_t ip;
            if (u_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip) break;
            f[k++] = ip;
        } while (k < (int)pp_cfg.stack_depth && u_step(&c) > 0);
    }
    unwind_leave();
    return pp_stack_intern(t, f, k);
}

void pp_stack_reset_after_fork(void)
{
    /* MADV_DONTNEED reads back as zeros; a memset would fault in every page of the table */
    struct sslot *t = atomic_load(&stacks);
    if (t) syscall(SYS_madvise, t, STACK_SLOTS * sizeof(struct sslot), MADV_DONTNEED);
    atomic_store(&next_stack, 1);
}
