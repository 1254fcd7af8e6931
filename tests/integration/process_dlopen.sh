#!/usr/bin/env bash
# Pitfalls 6, 13: dlopen with RTLD_DEEPBIND must not bypass the allocation hooks, and the module
# map gains the opened library.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib dlopen
cd "$T" || exit 1

cat >"$T/liballocmany.c" <<'CEOF'
#include <stdlib.h>
static void *volatile keep;          /* stops the compiler from removing malloc/free pairs */
long lib_alloc_many(int n)
{
    long s = 0;
    for (int i = 0; i < n; i++) {
        char *p = malloc((size_t)(64 + i % 64));
        if (!p) return -1;
        p[0] = 1;
        keep = p;
        s += p[0];
        free(p);
    }
    return s;
}
CEOF
if ! cc -shared -fPIC -O2 -o "$T/liballocmany.so" "$T/liballocmany.c"; then
    fail dlopen.build "cc -shared failed"; exit 1
fi
d="$T/dl"
same_run dlopen.same_output "$d" "$PROGS/dlopen_deepbind" "$T/liballocmany.so" 200000
trace_check dlopen.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 \
    --module '*/liballocmany.so' --sum 'SAMPLE.alloc_calls>=200000' --sum 'SAMPLE.free_calls>=200000'
