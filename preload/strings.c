/* Interned strings (paths, thread names, module paths): each distinct string is written once per
 * process as a STRING record and referred to by id afterwards.
 *
 * Open-addressing tables of (64-bit hash, id) pairs, claimed with compare-and-swap: no lock, no
 * malloc.  Two levels, because every process starts with a few strings (its module paths) and
 * most never get many more: a first table of one page in .bss, then, once a string finds its
 * probe window there full, a large one mmap'ed on first need.  Spreading five strings over a
 * large table cost five page faults (ten: a read, then the write) per process.  Slots are only
 * ever filled, so every thread probes the same slots in the same order and two threads interning
 * the same new string at once meet in one slot: one wins it and writes the record, the other
 * waits a few spins for the id.  When the large table is full strings are still written, just
 * not deduplicated (and the footer says so). */
#include "pp.h"
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct slot { _Atomic uint64_t hash; _Atomic uint64_t id; };
#define SMALL 256u     /* one page */
#define SMALL_PROBES 32
#define SLOTS 8192u    /* 128 KiB of address space, pages touched only as used */
static struct slot small[SMALL] __attribute__((aligned(4096)));
static _Atomic(struct slot *) table;
static atomic_uint_fast64_t next_id = 1;

/* The first table's page, written first: a read would map the zero page and the first string's
 * write fault again. */
int pp_strings_init(void)
{
    atomic_store_explicit(&small[0].id, 0, memory_order_relaxed);
    return 0;
}

/* The large table, mapped by whichever thread needs it first (a raw mmap: also safe in a signal
 * handler); NULL if that fails. */
static struct slot *big_table(void)
{
    return PP_MAP_ONCE(table, SLOTS * sizeof(struct slot));
}

/* After fork the child's file holds none of the parent's STRING records: forget them all.  The
 * large table is dropped page by page (MADV_DONTNEED reads back as zeros): writing zeros over it
 * would fault in every page of it. */
void pp_strings_reset(void)
{
    memset(small, 0, sizeof small);
    struct slot *t = atomic_load(&table);
    if (t) syscall(SYS_madvise, t, SLOTS * sizeof(struct slot), MADV_DONTNEED);
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

/* Probes n slots of tab from k: the id (1), a slot claimed for a new string whose record is
 * written (1), or none free and no match (0).  -1: the slot's winner stalled. */
static int probe(struct slot *tab, unsigned mask, unsigned k, unsigned n, uint64_t h,
                 struct pp_thread *t, const char *s, size_t len, uint64_t *out)
{
    for (unsigned i = 0; i < n; i++, k = (k + 1) & mask) {
        uint64_t cur = atomic_load_explicit(&tab[k].hash, memory_order_acquire);
        if (cur == 0) {
            uint64_t zero = 0;
            if (atomic_compare_exchange_strong(&tab[k].hash, &zero, h)) {
                uint64_t id = atomic_fetch_add(&next_id, 1);
                emit(t, id, s, len);
                atomic_store_explicit(&tab[k].id, id, memory_order_release);
                *out = id;
                return 1;
            }
            cur = zero;
        }
        if (cur == h) {
            for (int spin = 0; spin < 100000; spin++) {
                uint64_t id = atomic_load_explicit(&tab[k].id, memory_order_acquire);
                if (id) { *out = id; return 1; }
            }
            return -1;   /* the winner stalled: the caller writes its own copy */
        }
    }
    return 0;
}

uint64_t pp_intern(struct pp_thread *t, const char *s, size_t n)
{
    if (!s) return 0;
    uint64_t h = hash64(s, n), id = 0;
    int r = probe(small, SMALL - 1, (unsigned)h & (SMALL - 1), SMALL_PROBES, h, t, s, n, &id);
    if (r == 0) {
        struct slot *big = big_table();
        if (big) r = probe(big, SLOTS - 1, (unsigned)(h >> 8) & (SLOTS - 1), 64, h, t, s, n, &id);
    }
    if (r == 1) return id;
    atomic_fetch_or(&pp_footer_flags, PP_FOOT_STRINGS_FULL);   /* full, or its winner stalled */
    return emit(t, atomic_fetch_add(&next_id, 1), s, n);
}
