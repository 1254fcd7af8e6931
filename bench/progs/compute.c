/* compute: compute-bound, no library calls in the loop (a chain of integer mixes and a small
 * floating-point recurrence).  Only the CPU-time sampling timer touches it, so the traced/plain
 * ratio is the cost of sampling.  ITERS is chosen so a run takes about 1-2 s.
 *
 * usage: compute [ITERS (default 400000000)] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 400000000u;
    uint64_t x = 88172645463325252ull;
    double y = 0.5;
    for (uint64_t i = 0; i < iters; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        y = y * 0.999999 + (double)(x & 1023) * 1e-6;
    }
    printf("compute iters=%llu x=%llu y=%.6f\n", (unsigned long long)iters, (unsigned long long)x, y);
    return 0;
}
