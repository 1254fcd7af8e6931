/* A program with its own allocator linked in: malloc, free, calloc, realloc, memalign,
 * posix_memalign, aligned_alloc, valloc, pvalloc and malloc_usable_size defined here (a bump
 * allocator over mmap'd arenas with a header per block and a spin lock).  The executable comes
 * before every preloaded library in symbol lookup, so libc, libunwind and everything else
 * allocate from here, and the preload's allocation hooks never run.  The preload must not hand
 * one allocator's memory to the other (its bootstrap arena, libunwind's buffers), so any mix-up
 * crashes or trips the header check below.
 *   fault_own_malloc [THREADS]   (default 4) */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAGIC 0x6f776e6d616c6c63ull   /* "ownmallc" */
struct hdr { uint64_t magic; size_t size; size_t pad; uint64_t magic2; };   /* 32 bytes */
static char *cur, *lim;
static volatile int lock;
static unsigned long own_allocs, own_frees;

static void die(const char *what)
{
    (void)!write(2, what, strlen(what));
    abort();
}

static void *bump(size_t size, size_t align)
{
    if (align < 16) align = 16;
    if (size > ((size_t)1 << 40)) { errno = ENOMEM; return NULL; }
    while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) {}
    uintptr_t p = ((uintptr_t)cur + sizeof(struct hdr) + align - 1) & ~(uintptr_t)(align - 1);
    if (!cur || p + size > (uintptr_t)lim) {
        size_t want = size + align + sizeof(struct hdr) > (64u << 20) ? size + align + 4096 + sizeof(struct hdr) : (64u << 20);
        void *m = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) { __atomic_store_n(&lock, 0, __ATOMIC_RELEASE); errno = ENOMEM; return NULL; }
        cur = m; lim = (char *)m + want;
        p = ((uintptr_t)cur + sizeof(struct hdr) + align - 1) & ~(uintptr_t)(align - 1);
    }
    struct hdr *h = (struct hdr *)p - 1;
    h->magic = MAGIC; h->size = size; h->pad = 0; h->magic2 = MAGIC ^ size;
    cur = (char *)(p + size);
    own_allocs++;
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    return (void *)p;
}

static struct hdr *check(void *p)
{
    struct hdr *h = (struct hdr *)p - 1;
    if (h->magic != MAGIC || h->magic2 != (MAGIC ^ h->size))
        die("fault_own_malloc: a pointer that this allocator never returned\n");
    return h;
}

void *malloc(size_t n) { return bump(n, 16); }
void free(void *p)
{
    if (!p) return;
    check(p);
    __atomic_add_fetch(&own_frees, 1, __ATOMIC_RELAXED);
}
void *calloc(size_t a, size_t b)
{
    size_t n;
    if (__builtin_mul_overflow(a, b, &n)) { errno = ENOMEM; return NULL; }
    return bump(n, 16);      /* fresh mmap memory is zero and never reused */
}
void *realloc(void *p, size_t n)
{
    if (!p) return malloc(n);
    if (!n) { free(p); return NULL; }
    struct hdr *h = check(p);
    void *q = malloc(n);
    if (q) { memcpy(q, p, h->size < n ? h->size : n); free(p); }
    return q;
}
void *memalign(size_t al, size_t n) { return bump(n, al); }
void *aligned_alloc(size_t al, size_t n) { return bump(n, al); }
int posix_memalign(void **out, size_t al, size_t n)
{
    if (al < sizeof(void *) || (al & (al - 1))) return EINVAL;
    void *p = bump(n, al);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
void *valloc(size_t n) { return bump(n, 4096); }
void *pvalloc(size_t n) { return bump((n + 4095) & ~(size_t)4095, 4096); }
size_t malloc_usable_size(void *p) { return p ? check(p)->size : 0; }

static void *work(void *arg)
{
    long id = (long)arg, sum = 0;
    for (int i = 0; i < 20000; i++) {
        char *s = malloc((size_t)(8 + (i * 7 + id) % 300));
        if (!s) return (void *)-1;
        snprintf(s, 8, "%d", i);
        sum += atoi(s);
        s = realloc(s, 600);
        free(s);
    }
    return (void *)sum;
}

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    if (nthreads < 1 || nthreads > 64) nthreads = 4;
    /* libc's own allocations: stdio buffers, strdup, qsort's scratch, getline */
    char *dup = strdup("own allocator");
    FILE *f = tmpfile();
    if (!f) return 3;
    for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
    rewind(f);
    char *line = NULL; size_t cap = 0; long lines = 0;
    while (getline(&line, &cap, f) > 0) lines++;
    free(line);
    fclose(f);
    int *v = malloc(100000 * sizeof *v);
    for (int i = 0; i < 100000; i++) v[i] = (i * 7919) % 100003;
    qsort(v, 100000, sizeof *v, cmp);
    pthread_t t[64];
    for (long i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, work, (void *)i)) return 4;
    long total = 0;
    for (int i = 0; i < nthreads; i++) { void *r; pthread_join(t[i], &r); total += (long)r; }
    printf("%s: lines %ld, sorted %s, threads %d, sum %ld\n", dup, lines,
           v[0] <= v[1] && v[99998] <= v[99999] ? "yes" : "no", nthreads, total);
    printf("own allocator used: %s\n", own_allocs > 40000UL * (unsigned long)nthreads ? "yes" : "no");
    free(v);
    free(dup);
    return 0;
}
