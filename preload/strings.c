/* Interned strings (paths, thread names, module paths): each distinct string is written once per
 * process as a STRING record and referred to by id afterwards.
 *
 * A fixed open-addressing table of (64-bit hash, id) pairs, claimed with compare-and-swap: no
 * lock, no malloc.  Two threads interning the same new string at once: one wins the slot and
 * writes the record, the other waits a few spins for the id.  When the table is full strings are
 * still written, just not deduplicated (and the footer says so). */
#include "pp.h"
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SLOTS 8192u    /* 128 KiB of address space, pages touched only as used */
struct slot { _Atomic uint64_t hash; _Atomic uint64_t id; };
static struct slot *table;
static atomic_uint_fast64_t next_id = 1;

int pp_strings_init(void)
{
    if (table) return 0;
    void *m = (void *)syscall(SYS_mmap, 0, SLOTS * sizeof(struct slot), PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return -1;
    table = m;
    return 0;
}

/* After fork the child's file holds none of the parent's STRING records: forget them all. */
void pp_strings_reset(void)
{
    if (!table) return;
    for (unsigned i = 0; i < SLOTS; i++) { table[i].hash = 0; table[i].id = 0; }
    atomic_store(&next_id, 1);
}

static uint64_t hash64(const char *s, size_t n)
{
    /* 8 bytes a step (every open of a file interns its path), then a final mix */
    uint64_t h = 0xcbf29ce484222325ull ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __builtin_memcpy(&w, s + i, 8);
        h = ((h << 23 | h >> 41) ^ w) * 0x9e3779b97f4a7c15ull;
    }
    for (w = 0; i < n; i++) w = w << 8 | (uint8_t)s[i];
    h = ((h << 23 | h >> 41) ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 33; h *= 0xff51afd7ed558ccdull; h ^= h >> 33;
    return h | 1;                                 /* 0 marks an empty slot */
}

static uint64_t emit(struct pp_thread *t, uint64_t id, const char *s, size_t n)
{
    if (n > 4096) n = 4096;                       /* a path longer than PATH_MAX is cut */
    uint8_t *p = pp_rec_begin(t, PP_K_STRING, n + 16);
    if (p) {
        p = pp_put_u(p, id);
        p = pp_put_bytes(p, s, n);
        pp_rec_end(t, p);
    }
    return id;
}

uint64_t pp_intern(struct pp_thread *t, const char *s, size_t n)
{
    if (!s) return 0;
    uint64_t h = hash64(s, n);
    if (table) {
        for (unsigned i = 0, k = (unsigned)h & (SLOTS - 1); i < 64; i++, k = (k + 1) & (SLOTS - 1)) {
            uint64_t cur = atomic_load_explicit(&table[k].hash, memory_order_acquire);
            if (cur == 0) {
                uint64_t zero = 0;
                if (atomic_compare_exchange_strong(&table[k].hash, &zero, h)) {
                    uint64_t id = atomic_fetch_add(&next_id, 1);
                    emit(t, id, s, n);
                    atomic_store_explicit(&table[k].id, id, memory_order_release);
                    return id;
                }
                cur = zero;
            }
            if (cur == h) {
                for (int spin = 0; spin < 100000; spin++) {
                    uint64_t id = atomic_load_explicit(&table[k].id, memory_order_acquire);
                    if (id) return id;
                }
                break;   /* the winner stalled: fall through and write our own copy */
            }
        }
        atomic_fetch_or(&pp_footer_flags, PP_FOOT_STRINGS_FULL);
    }
    return emit(t, atomic_fetch_add(&next_id, 1), s, n);
}
