/* mmap family.  Anonymous maps count as allocation (bytes per interval); file-backed maps move
 * file bytes that never pass through read/write (pitfall 19), so each gets an MMAP record with
 * the file's path.  The loader's and malloc's own mmaps are internal to libc and never reach us. */
#include "pp.h"
#include "internal.h"
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

PP_DECLARE_REAL(void *, mmap, (void *, size_t, int, int, int, off_t));
PP_DECLARE_REAL(int, munmap, (void *, size_t));
PP_DECLARE_REAL(void *, mremap, (void *, size_t, size_t, int, ...));

void pp_resolve_mmap(void) { PP_REAL(mmap); PP_REAL(munmap); PP_REAL(mremap); }

static void file_map(struct pp_thread *t, int fd, size_t len, int prot, int flags, off_t off, uint64_t ts)
{
    char link[40] = "/proc/self/fd/", path[1024];
    char *q = link + 14, tmp[12]; int n = 0;
    unsigned v = (unsigned)fd;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *q++ = tmp[--n];
    *q = 0;
    ssize_t k = syscall(SYS_readlink, link, path, sizeof path - 1);
    uint64_t id = k > 0 ? pp_intern(t, path, (size_t)k) : 0;
    uint8_t *p = pp_rec_begin(t, PP_K_MMAP, 64);
    if (!p) return;
    p = pp_put_ts(t, p, ts);
    p = pp_put_u(p, (uint64_t)t->tid);
    p = pp_put_u(p, id);
    p = pp_put_u(p, len);
    p = pp_put_u(p, (uint64_t)prot);
    p = pp_put_u(p, (uint64_t)flags);
    p = pp_put_u(p, (uint64_t)off);
    pp_rec_end(t, p);
}

PP_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    PP_REAL(mmap);
    struct pp_thread *t = pp_enter();
    if (!t) return real_mmap(addr, len, prot, flags, fd, off);
    uint64_t t0 = pp_now();
    void *r = real_mmap(addr, len, prot, flags, fd, off);
    int e = errno;
    uint64_t t1 = pp_now();
    if (r != MAP_FAILED) {
        t->mmap_calls++;
        t->mmap_bytes += len;
        if (!(flags & MAP_ANONYMOUS) && fd >= 0) file_map(t, fd, len, prot, flags, off, t0);
        if (pp_cfg.events_all) pp_call_event(t, PP_FN_mmap, (uint64_t)(uintptr_t)r, (int64_t)len, t0, t1 - t0);
    }
    pp_no_unwind++;        /* an allocator (jemalloc) maps memory holding its lock: no libunwind here */
    pp_tick(t, t1);
    pp_no_unwind--;
    pp_leave(t);
    errno = e;
    return r;
}

PP_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

PP_EXPORT int munmap(void *addr, size_t len)
{
    PP_REAL(munmap);
    struct pp_thread *t = pp_enter();
    if (!t) return real_munmap(addr, len);
    int r = real_munmap(addr, len);
    int e = errno;
    if (r == 0) {
        t->munmap_calls++;
        t->munmap_bytes += len;
        if (pp_cfg.events_all) pp_call_event(t, PP_FN_munmap, (uint64_t)(uintptr_t)addr, (int64_t)len, pp_now(), 0);
    }
    pp_leave(t);
    errno = e;
    return r;
}

PP_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    PP_REAL(mremap);
    void *new_addr = 0;
    if (flags & MREMAP_FIXED) {   /* the fifth argument exists only with MREMAP_FIXED */
        va_list ap;
        va_start(ap, flags);
        new_addr = va_arg(ap, void *);
        va_end(ap);
    }
    struct pp_thread *t = pp_enter();
    void *r = (flags & MREMAP_FIXED) ? real_mremap(old, old_len, new_len, flags, new_addr)
                                     : real_mremap(old, old_len, new_len, flags);
    if (!t) return r;
    int e = errno;
    if (r != MAP_FAILED) {
        t->munmap_calls++; t->munmap_bytes += old_len;
        t->mmap_calls++;   t->mmap_bytes += new_len;
        if (pp_cfg.events_all) pp_call_event(t, PP_FN_mremap, (uint64_t)(uintptr_t)r, (int64_t)new_len, pp_now(), 0);
    }
    pp_leave(t);
    errno = e;
    return r;
}
