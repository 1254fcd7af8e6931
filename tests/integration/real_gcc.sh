#!/usr/bin/env bash
# Real program: gcc -O2 -c, a driver that vforks/spawns cc1 and as.  The source has a warning,
# so stderr has something to compare too.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib gcc
cd "$T" || exit 1

cat >"$T/unit.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; int key; char name[32]; };
static struct node *push(struct node *h, int k) {
    struct node *n = malloc(sizeof *n);
    if (!n) abort();
    n->next = h; n->key = k;
    snprintf(n->name, sizeof n->name, "node-%d", k);
    return n;
}
int sum_keys(int count) {
    struct node *h = NULL;
    int unused_variable;                      /* -Wall warns: stderr is compared too */
    for (int i = 0; i < count; i++) h = push(h, i);
    int s = 0;
    while (h) { struct node *n = h->next; s += h->key + (int)strlen(h->name); free(h); h = n; }
    return s;
}
CEOF
d="$T/gcc"
same_run gcc.same_output "$d" gcc -O2 -Wall -c "$T/unit.c" -o "$T/unit.o"
trace_check gcc.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --tree --unique \
    --root-exe '*gcc*' --exe cc1 --exe '*as' --pids 3
info_check gcc.info "$d" gcc cc1
# The object file is the same too.
cp "$T/unit.o" "$T/traced.o"
gcc -O2 -Wall -c "$T/unit.c" -o "$T/plain.o" 2>/dev/null
check gcc.same_object cmp -s "$T/plain.o" "$T/traced.o"
