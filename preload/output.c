/* The trace file: naming, creation, the HEADER, whole-chunk writes, protecting our descriptor
 * from the program, the FOOTER, and a fresh file for a forked child.
 *
 * Our descriptor is O_CLOEXEC and moved high so it is never one the program expects.  A program
 * that closes it gets EBADF, as it would without us; one that dup2s onto it first has ours moved
 * away.  Every chunk write checks the descriptor still is our file (same inode); if not, the file
 * is reopened.  A failed write (ENOSPC, or a write that RLIMIT_FSIZE would refuse — we check the
 * limit first so the kernel never sends the program SIGXFSZ) turns tracing off for good with one
 * line on stderr.  All system calls are raw: our own hooks never see them. */
#include "pp.h"
#include "internal.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sched.h>
#include <stdlib.h>

atomic_uint pp_footer_flags;
static atomic_int out_fd = -1;
static char out_path[1200];
static dev_t out_dev;
static ino_t out_ino;
static atomic_uint_fast64_t out_bytes, out_chunks;
static atomic_int finished;
static atomic_int out_dead;          /* a write failed: never write again in this process */
static int saved_argc;
static char **saved_argv;
static uint64_t start_mono, start_real;
static char host[65];            /* uname's nodename and /proc/self/exe: read once per file, */
static char exe[1024];           /* for its name, the HEADER and the module map alike */
static struct pp_preamble preamble;
#define GATHER_MAX 16
static int preamble_pending;     /* the file is new: the preamble goes out with the first chunk */

static int sys_open(const char *p, int flags, int mode) { return (int)syscall(SYS_openat, AT_FDCWD, p, flags, mode); }
static int sys_close(int fd) { return (int)syscall(SYS_close, fd); }

/* Moves fd to a high number (O_CLOEXEC), closing the original.  Where the hard limit allows,
 * above the soft limit: there the program can never want the number, and a program that opens
 * files until EMFILE gets as many as it would untraced.  F_DUPFD cannot go past the soft limit,
 * so it is raised for that one call and restored at once (a descriptor above it stays valid;
 * getrlimit shows the program its own value). */
static int move_high(int fd)
{
    struct rlimit rl;
    int have = syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl) == 0;
    if (have && rl.rlim_cur < rl.rlim_max && rl.rlim_cur <= 65536) {
        struct rlimit up = { rl.rlim_cur + 64 < rl.rlim_max ? rl.rlim_cur + 64 : rl.rlim_max, rl.rlim_max };
        if (syscall(SYS_setrlimit, RLIMIT_NOFILE, &up) == 0) {
            int nfd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (long)rl.rlim_cur);
            syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl);
            if (nfd >= 0) { sys_close(fd); return nfd; }
        }
    }
    long lim = have ? (long)rl.rlim_cur : 1024;
    if (lim > 1024) lim = 1024;
    long want = lim - 8;
    if (want < 10) want = 10;
    for (long target = want; target >= 10; target -= 64) {
        int nfd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, target);
        if (nfd >= 0) { sys_close(fd); return nfd; }
    }
    return fd;   /* RLIMIT_NOFILE very low: keep what we have (still O_CLOEXEC) */
}

int pp_output_fd(void) { return atomic_load_explicit(&out_fd, memory_order_relaxed); }

/* Descriptors libunwind opens for itself (its memory-validation pipe) while we unwind: moved
 * high and guarded like the trace file, since libunwind keeps their numbers and would otherwise
 * write into whatever file the program opens on them later. */
static atomic_int private_fd[2] = { -1, -1 };

int pp_is_our_fd(int fd)
{
    return fd >= 0 && (fd == atomic_load_explicit(&out_fd, memory_order_relaxed) ||
                       fd == atomic_load_explicit(&private_fd[0], memory_order_relaxed) ||
                       fd == atomic_load_explicit(&private_fd[1], memory_order_relaxed));
}

/* Our descriptors, ascending, for close_range/closefrom to step around; returns how many. */
int pp_our_fds(int out[3])
{
    int n = 0;
    int c[3] = { atomic_load(&out_fd), atomic_load(&private_fd[0]), atomic_load(&private_fd[1]) };
    for (int i = 0; i < 3; i++) if (c[i] >= 0) out[n++] = c[i];
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) { int x = out[j]; out[j] = out[j - 1]; out[j - 1] = x; }
    return n;
}

int pp_private_pipe2(int fds[2], int flags, int (*real)(int[2], int))
{
    int r = real(fds, flags);
    if (r != 0 || atomic_load(&private_fd[0]) >= 0) return r;
    int saved = errno;
    for (int i = 0; i < 2; i++) {
        fds[i] = move_high(fds[i]);
        atomic_store(&private_fd[i], fds[i]);
    }
    errno = saved;
    return r;
}

int pp_output_protect(int fd)
{
    if (!pp_is_our_fd(fd)) return 0;
    if (fd == atomic_load(&private_fd[0]) || fd == atomic_load(&private_fd[1])) {
        /* libunwind's pipe cannot be renumbered behind its back: give the number to the
         * program and never unwind again. */
        atomic_store(&private_fd[0], -1);
        atomic_store(&private_fd[1], -1);
        pp_stack_disable();
        return 1;
    }
    int saved = errno;
    int nfd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd + 1);
    if (nfd >= 0) {
        atomic_store(&out_fd, nfd);
        sys_close(fd);
    } else {
        atomic_store(&out_fd, -1);           /* nowhere to go: stop writing, keep what exists */
        atomic_store(&pp_active, 0);
        atomic_fetch_or(&pp_footer_flags, PP_FOOT_FD_LOST);
    }
    errno = saved;
    return 1;
}

static void turn_off(const char *why)
{
    atomic_store(&out_dead, 1);
    if (atomic_exchange(&pp_active, 0)) pp_log("trace write failed (%s); tracing off, the program goes on", why, 0);
    atomic_fetch_or(&pp_footer_flags, PP_FOOT_DISK_FULL);
}

static int reopen(void)
{
    int fd = sys_open(out_path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
    if (fd < 0) return -1;
    fd = move_high(fd);
    struct stat st;
    if (syscall(SYS_fstat, fd, &st) || st.st_ino != out_ino || st.st_dev != out_dev) { sys_close(fd); return -1; }
    atomic_store(&out_fd, fd);
    atomic_fetch_or(&pp_footer_flags, PP_FOOT_FD_LOST);
    return fd;
}

/* Writes the chunks (len bytes in all), after the preamble if the file has none yet. */
static int write_chunks(struct iovec *chunks, int nchunks, size_t len)
{
    if (atomic_load(&out_dead)) return -1;
    int fd = atomic_load(&out_fd);
    if (fd < 0) return -1;
    struct stat st;
    /* The file's first write comes from the constructor (or the fork child) that created it,
     * before any code of the program's ran: it is ours and empty, no fstat needed. */
    struct iovec iov[GATHER_MAX + 1];
    int first = preamble_pending, niov = 0;
    if (first) iov[niov++] = (struct iovec){ &preamble, sizeof preamble };
    for (int i = 0; i < nchunks; i++) iov[niov++] = chunks[i];
    if (first) {
        st.st_size = 0;
    } else if (syscall(SYS_fstat, fd, &st) || st.st_ino != out_ino || st.st_dev != out_dev) {
        fd = reopen();                         /* the program closed or replaced ours */
        if (fd < 0) { turn_off("descriptor lost"); return -1; }
    }
    struct rlimit rl;
    if (syscall(SYS_getrlimit, RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)st.st_size + (first ? sizeof preamble : 0) + len > (uint64_t)rl.rlim_cur) {
        turn_off("file size limit");
        return -1;
    }
    struct iovec *v = iov;
    while (niov) {
        ssize_t n = syscall(SYS_writev, fd, v, niov);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { turn_off(n == 0 ? "short write" : errno == ENOSPC ? "no space left on device" :
                               errno == EDQUOT ? "disk quota exceeded" : errno == EFBIG ? "file too large" :
                               "I/O error"); return -1; }
        size_t k = (size_t)n;
        while (niov && k >= v->iov_len) { k -= v->iov_len; v++; niov--; }
        if (niov) { v->iov_base = (uint8_t *)v->iov_base + k; v->iov_len -= k; }
    }
    preamble_pending = 0;
    return 0;
}

/* The exit path's last chunks (every thread's final one, then the FOOTER) are gathered and
 * leave in one writev: one fstat, getrlimit and write instead of one each per chunk.  Only on
 * the exiting thread, and only chunks whose buffer is never appended to again (pp_final_chunk:
 * the write is the buffer's last), so the iovecs can point into the buffers themselves.  Any
 * other write sends what is gathered first, keeping the order. */
static PP_TLS int gathering;
int pp_final_chunk;
static struct iovec gather[GATHER_MAX];
static int ngather;
static size_t gather_len;

static void gather_send(void)
{
    if (ngather) write_chunks(gather, ngather, gather_len);
    ngather = 0;
    gather_len = 0;
}

int pp_output_write(const void *data, size_t len)
{
    if (gathering && pp_final_chunk) {
        if (atomic_load(&out_dead) || atomic_load(&out_fd) < 0) return -1;
        if (ngather == GATHER_MAX) gather_send();
        gather[ngather++] = (struct iovec){ (void *)data, len };
        gather_len += len;
    } else {
        if (gathering) gather_send();
        if (write_chunks(&(struct iovec){ (void *)data, len }, 1, len)) return -1;
    }
    atomic_fetch_add(&out_bytes, len);
    atomic_fetch_add(&out_chunks, 1);
    return 0;
}

static size_t cap(const char *s, size_t max) { size_t n = strlen(s); return n > max ? max : n; }

/* Host names can hold anything a sysadmin typed: keep file names to a safe alphabet. */
static void safe_copy(char *dst, size_t dstcap, const char *src)
{
    size_t k = 0;
    for (; *src && k + 1 < dstcap; src++) {
        char c = *src;
        dst[k++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_') ? c : '_';
    }
    dst[k] = 0;
}

static void put_dec(char **p, uint64_t v)
{
    char tmp[24]; int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *(*p)++ = tmp[--n];
}

static int mkdir_p(const char *dir)
{
    char tmp[1200];
    size_t n = strlen(dir);
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == 0) {
            char c = tmp[i]; tmp[i] = 0;
            if (syscall(SYS_mkdirat, AT_FDCWD, tmp, 0777) && errno != EEXIST) return -1;
            tmp[i] = c;
        }
    }
    return 0;
}

static void write_header(int forked)
{
    struct pp_thread *p0 = pp_proc_lock();
    char cwd[1024] = "";
    if (!exe[0]) {        /* a fork child runs the same program: its parent's answer stands */
        ssize_t n = syscall(SYS_readlink, "/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = 0;
    }
    if (syscall(SYS_getcwd, cwd, sizeof cwd) < 0) cwd[0] = 0;
    const char *events[16];
    const char *note = "";
    int ne = pp_counters_describe(events, 16, &note);
    size_t argbytes = 0;
    int argc = 0;
    for (; argc < saved_argc && saved_argv && saved_argv[argc]; argc++) {
        argbytes += cap(saved_argv[argc], 1024) + 3;
        if (argbytes > 6000) break;
    }
    uint8_t *p = pp_rec_begin(p0, PP_K_HEADER, 2400 + argbytes + 64 * 16 + 100 * 16);
    if (p) {
        const char *rank = pp_getenv("PMI_RANK");
        if (!rank) rank = pp_getenv("OMPI_COMM_WORLD_RANK");
        if (!rank) rank = pp_getenv("SLURM_PROCID");
        p = pp_put_u(p, (uint64_t)pp_pid);
        uint64_t ppid = (uint64_t)syscall(SYS_getppid);
        p = pp_put_u(p, ppid);
        p = pp_put_u(p, pp_cfg.run_id);
        p = pp_put_u(p, start_mono);
        p = pp_put_u(p, start_real);
        p = pp_put_bytes(p, host, strlen(host));
        p = pp_put_bytes(p, exe, strlen(exe));
        p = pp_put_bytes(p, cwd, strlen(cwd));
        p = pp_put_u(p, (uint64_t)argc);
        for (int i = 0; i < argc; i++) p = pp_put_bytes(p, saved_argv[i], cap(saved_argv[i], 1024));
        const char *backend = pp_counters_backend();
        p = pp_put_bytes(p, backend, strlen(backend));
        p = pp_put_u(p, (uint64_t)ne);
        for (int i = 0; i < ne; i++) p = pp_put_bytes(p, events[i], cap(events[i], 64));
        p = pp_put_u(p, pp_cfg.interval_ns);
        uint64_t flags = (pp_cfg.events_all ? PP_HDR_EVENTS_ALL : 0) | (forked ? PP_HDR_FORKED : 0) |
                         (*note ? PP_HDR_COUNTER_FALLBACK : 0) | (pp_cfg.signo ? 0 : PP_HDR_SAMPLER_OFF);
        p = pp_put_u(p, flags);
        p = pp_put_u(p, (uint64_t)pp_cfg.nsettings);
        for (int i = 0; i < pp_cfg.nsettings; i++) p = pp_put_bytes(p, pp_cfg.settings[i], strlen(pp_cfg.settings[i]));
        long r = -1;
        if (rank && (pp_parse_long(rank, &r) || r < 0)) r = -1;
        p = pp_put_s(p, r);
        p = pp_put_u(p, 0);
        p = pp_put_u(p, forked ? ppid : 0);
        p = pp_put_bytes(p, note, cap(note, 400));
        pp_rec_end(p0, p);
    }
    /* Not flushed here: the module map joins it, and the preamble both, in one write (the first
     * chunk is still the header's, and nothing else can write before: no other thread runs). */
    pp_proc_unlock(p0);
}

static int create_file(int forked)
{
    struct utsname u;
    char name_host[65] = "host";
    if (!uname(&u)) {
        memcpy(host, u.nodename, sizeof host - 1);
        host[sizeof host - 1] = 0;
        safe_copy(name_host, sizeof name_host, u.nodename);
    } else {
        memcpy(host, "unknown", 8);
    }
    start_mono = pp_now();
    start_real = pp_realtime_ns();
    char *p = out_path;
    size_t dl = strlen(pp_cfg.output);
    memcpy(p, pp_cfg.output, dl); p += dl;
    *p++ = '/';
    size_t hl = strlen(name_host); memcpy(p, name_host, hl); p += hl;
    *p++ = '-';
    put_dec(&p, (uint64_t)pp_pid);
    *p++ = '-';
    put_dec(&p, start_real);
    memcpy(p, ".pptrace", 9);
    int fd = sys_open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0 && errno == ENOENT) {       /* the directory comes first, made only when missing */
        if (mkdir_p(pp_cfg.output)) { pp_log("cannot create %s; tracing off", pp_cfg.output, 0); return -1; }
        fd = sys_open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
    }
    if (fd < 0) { pp_log("cannot create trace file in %s; tracing off", pp_cfg.output, 0); return -1; }
    fd = move_high(fd);
    struct stat st;
    if (syscall(SYS_fstat, fd, &st)) { sys_close(fd); return -1; }
    out_dev = st.st_dev; out_ino = st.st_ino;
    atomic_store(&out_fd, fd);
    memcpy(preamble.magic, PP_MAGIC, 8);
    preamble.version = PP_VERSION;
    preamble.preamble_len = sizeof preamble;
    preamble_pending = 1;
    write_header(forked);
    return 0;
}

int pp_output_init(int argc, char **argv)
{
    saved_argc = argc;
    saved_argv = argv;
    return create_file(0);
}

void pp_output_after_fork_child(void)
{
    int fd = atomic_exchange(&out_fd, -1);
    if (fd >= 0) sys_close(fd);     /* the parent's file: the child never writes to it */
    atomic_store(&out_bytes, 0);
    atomic_store(&out_chunks, 0);
    atomic_store(&finished, 0);
    atomic_store(&out_dead, 0);
    atomic_store(&pp_footer_flags, 0);
    pp_buffer_reset_seq();
    if (create_file(1)) atomic_store(&pp_active, 0);
    else pp_maps_snapshot();
}

static void write_footer(int exit_status, uint64_t now, unsigned threads, unsigned lost, unsigned extra)
{
    pp_maps_refresh();
    uint64_t self_ns = 0, hooked = 0;
    pp_selfcost_totals(&self_ns, &hooked);     /* first: it calibrates (selfcost.c) */
    struct pp_thread *p0 = pp_proc_lock();
    uint8_t *p = pp_rec_begin(p0, PP_K_FOOTER, 160);
    if (p) {
        struct rusage ru;
        long maxrss = syscall(SYS_getrusage, RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
        uint64_t dropped = 0, records = 0;
        pp_threads_totals(&records, &dropped);
        uint64_t flags = atomic_load(&pp_footer_flags) | extra | (dropped ? PP_FOOT_DROPPED : 0);
        p = pp_put_ts(p0, p, now);
        p = pp_put_u(p, records);
        p = pp_put_u(p, atomic_load(&out_chunks) + 1);
        p = pp_put_u(p, atomic_load(&out_bytes));
        p = pp_put_u(p, dropped);
        p = pp_put_u(p, 0);
        p = pp_put_u(p, flags);
        p = pp_put_u(p, 0);
        p = pp_put_s(p, exit_status);
        p = pp_put_u(p, threads);
        p = pp_put_u(p, pp_cpu_total_ns());
        p = pp_put_u(p, (uint64_t)maxrss);
        p = pp_put_u(p, lost);
        p = pp_put_u(p, self_ns);
        p = pp_put_u(p, hooked);
        pp_rec_end(p0, p);
    }
    pp_final_chunk = 1;    /* nothing is appended to the process buffer after the FOOTER */
    pp_flush(p0);
    pp_final_chunk = 0;
    pp_proc_unlock(p0);
}

void pp_output_finish(int exit_status)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&finished, &expect, 1)) return;
    uint64_t now = pp_now();
    struct pp_thread *me = pp_self;
    gathering = 1;
    if (me && !me->dead) pp_fd_flush_all(me);
    unsigned lost = 0, threads = pp_threads_flush_all(now, &lost);
    write_footer(exit_status, now, threads, lost, 0);
    gather_send();
    gathering = 0;
    atomic_store(&finished, 2);
    atomic_store(&pp_active, 0);
}

/* Before exec replaces the image: a footer flagged EXEC.  If exec fails, tracing goes on and a
 * later footer supersedes this one (readers take the last). */
void pp_output_exec_footer(void)
{
    if (atomic_load(&finished)) return;
    write_footer(-1, pp_now(), 0, 0, PP_FOOT_EXEC);
}

uint64_t pp_start_mono(void) { return start_mono; }
const char *pp_output_exe(void) { return exe; }

/* Process-level records (header, modules, footer) share one buffer under a spinlock: they are
 * rare and never on a per-call path. */
static uint8_t proc_mem[sizeof(struct pp_thread) + 64 * 1024] __attribute__((aligned(64)));
static atomic_flag proc_lock = ATOMIC_FLAG_INIT;
struct pp_thread *pp_proc = (struct pp_thread *)proc_mem;

struct pp_thread *pp_proc_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&proc_lock, memory_order_acquire)) sched_yield();
    if (!pp_proc->buf) {
        pp_proc->buf = proc_mem + sizeof(struct pp_thread);
        pp_proc->cap = 64 * 1024;
        pp_buffer_init(pp_proc);
    }
    return pp_proc;
}

void pp_proc_unlock(struct pp_thread *p)
{
    (void)p;
    atomic_flag_clear_explicit(&proc_lock, memory_order_release);
}

/* fork child: the lock may have been held by a parent thread that does not exist here. */
void pp_proc_after_fork_child(void)
{
    atomic_flag_clear(&proc_lock);
    pp_proc->len = 0;
    atomic_store(&pp_proc->busy, 0);
    pp_proc->dead = 0;
    if (pp_proc->buf) pp_buffer_init(pp_proc);
}
