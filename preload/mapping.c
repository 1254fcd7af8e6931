/* Tables of our own (string and stack interning, live allocation samples) come from anonymous
 * mappings, never from the program's allocator, and are made when first needed: a process that
 * never needs one never touches its pages. */
#include "pp.h"
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

void *pp_map_once(_Atomic(void *) *slot, size_t bytes)
{
    void *t = atomic_load_explicit(slot, memory_order_acquire);
    if (pp_likely(t != 0)) return t;
    void *m = (void *)syscall(SYS_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 0;
    if (!atomic_compare_exchange_strong(slot, &t, m)) {
        syscall(SYS_munmap, m, bytes);          /* another thread's won */
        return t;
    }
    return m;
}
