#!/usr/bin/env bash
# Library constructors run before ours (the preload is initialized last): one that allocates
# hundreds of times reaches the allocation hooks before the real functions are resolved and
# before any thread state exists.  The program must run as without the preload (cp's libselinux
# does this; it crashed once when an unattached thread's count-downs were quieted too early), and
# the calls made once tracing is on must be counted.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib ctor
cd "$T" || exit 1

cat >"$T/libctor.c" <<'CEOF'
#include <stdlib.h>
#include <string.h>
static void *volatile keep;
long ctor_sum;
__attribute__((constructor)) static void early(void)
{
    for (int i = 0; i < 1000; i++) {            /* far more than one tick (64 calls) */
        char *p = malloc((size_t)(32 + i % 200));
        char *q = calloc(4, 16);
        p = realloc(p, 512);
        if (!p || !q) abort();
        memset(p, i & 0xff, 512);
        ctor_sum += p[i % 512] + q[3];
        keep = p;
        free(q);
        free(p);
    }
}
CEOF
cat >"$T/main.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
extern long ctor_sum;
int main(void)
{
    static void *volatile keep;
    for (int i = 0; i < 100000; i++) { keep = malloc(24); free(keep); }
    printf("ctor_sum=%ld\n", ctor_sum);
    return 3;
}
CEOF
if ! cc -shared -fPIC -O2 -o "$T/libctor.so" "$T/libctor.c" ||
   ! cc -O2 -o "$T/ctor_main" "$T/main.c" -L"$T" -lctor -Wl,-rpath,"$T"; then
    fail ctor.build "cc failed"; exit 1
fi
d="$T/ctor"
same_run ctor.same_output "$d" "$T/ctor_main"
trace_check ctor.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 \
    --sum 'SAMPLE.alloc_calls>=100000' --sum 'SAMPLE.free_calls>=100000'
