/* Two allocation call sites that allocate 3:1 in bytes, with mixed sizes, 1.2 GiB in all.
 * Prints the exact byte count of each site so the test can compare the sampled estimate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long a_bytes, b_bytes;

__attribute__((noinline)) static void *site_a(size_t n) { a_bytes += n; return malloc(n); }
__attribute__((noinline)) static void *site_b(size_t n) { b_bytes += n; return malloc(n); }

int main(void)
{
    unsigned x = 12345;
    const unsigned long long total = 1200ull << 20;
    while (a_bytes + b_bytes < total) {
        x = x * 1103515245u + 12345u;
        size_t n = 16 + (x >> 8) % 8192;           /* 16 B .. 8 KiB */
        void *p = site_a(3 * n);
        void *q = site_b(n);
        memset(p, 1, 3 * n);                        /* use it, as a program would */
        memset(q, 2, n);
        __asm__ volatile("" : : "r"(p), "r"(q) : "memory");   /* keep the stores */
        free(p); free(q);
    }
    printf("site_a=%llu site_b=%llu\n", a_bytes, b_bytes);
    return 0;
}
