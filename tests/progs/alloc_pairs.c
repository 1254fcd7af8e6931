/* alloc_pairs PAIRS: PAIRS malloc/free pairs of mixed small sizes (16..527 bytes) through a ring
 * of 64 live blocks, each block touched, and nothing else: the allocation hooks' per-call cost is
 * nearly all that a traced run adds (tests/integration/preload_selfcost.sh). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    unsigned long pairs = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000ul;
    unsigned char *ring[64] = { 0 };
    unsigned long long x = 88172645463325252ull, sum = 0;
    for (unsigned long i = 0; i < pairs; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t n = 16 + (size_t)(x % 512);
        unsigned k = (unsigned)(i & 63);
        if (ring[k]) { sum += ring[k][0]; free(ring[k]); }
        ring[k] = malloc(n);
        if (!ring[k]) return 1;
        ring[k][0] = (unsigned char)x;
        ring[k][n - 1] = (unsigned char)i;
    }
    for (unsigned k = 0; k < 64; k++) free(ring[k]);
    printf("pairs=%lu check=%llu\n", pairs, sum);
    return 0;
}
