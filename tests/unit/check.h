/* Shared by the unit tests: one PASS/FAIL line per check (what tests/run.sh counts), and a
 * seeded generator (splitmix64) for synthetic data, so every run sees the same numbers. */
#ifndef PP_TEST_CHECK_H
#define PP_TEST_CHECK_H
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

static int failures;
static void result(const char *name, int ok, const char *fmt, ...)
{
    if (ok) { printf("PASS %s\n", name); return; }
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures++;
}

static uint64_t rs;
__attribute__((unused)) static double unif(void)
{
    uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
__attribute__((unused)) static double gauss(void) { return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif()); }

#endif
