#!/usr/bin/env bash
# Real programs under the preload, checked for I/O accounting that can be known from outside:
# output byte-identical as always, and then bytes per file or per pipe equal to what the files
# and pipes really carried.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib io_real
ST=(python3 "$ROOT/tests/io_stats.py")
cd "$T" || exit 1
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got $2, want $3"; fi; }
PY=/usr/bin/python3; [ -x "$PY" ] || PY=$(command -v python3)

# python: a 10^6-byte file written through io (write() underneath), read back.
d="$T/py"
same_run io_real.python.same_output "$d" "$PY" -c '
import sys
with open(sys.argv[1], "w") as f:
    for _ in range(1000):
        f.write("a" * 1000)
with open(sys.argv[1], "rb") as f:
    print(len(f.read()))' "$T/py.out"
expect io_real.python.write_bytes "$("${ST[@]}" file "$d" "$T/py.out" write_bytes)" 1000000
expect io_real.python.read_bytes "$("${ST[@]}" file "$d" "$T/py.out" read_bytes)" 1000000

# xz: reads its input and writes its output, exactly.
head -c 3000000 /dev/urandom >"$T/xz.in"
seq 1 300000 >>"$T/xz.in"
d="$T/xz"
same_run io_real.xz.same_output "$d" xz -T2 -3 -k -f "$T/xz.in"
expect io_real.xz.read_bytes "$("${ST[@]}" file "$d" "$T/xz.in" read_bytes)" "$(wc -c <"$T/xz.in")"
expect io_real.xz.write_bytes "$("${ST[@]}" file "$d" "$T/xz.in.xz" write_bytes)" "$(wc -c <"$T/xz.in.xz")"

# sqlite3: a file database with transactions: data written and synced.
{ echo "CREATE TABLE t(a INTEGER, b TEXT);"
  for i in $(seq 1 200); do echo "INSERT INTO t VALUES($i, 'row $i');"; done
  echo "SELECT count(*), sum(a) FROM t;"; } >"$T/sq.sql"
d="$T/sq"
rm -f "$T/sq.db"
same_run io_real.sqlite.same_output "$d" sh -c "rm -f '$T/sq.db'; sqlite3 '$T/sq.db' <'$T/sq.sql'"
syncs=$("${ST[@]}" file "$d" "$T/sq.db*" syncs)
if [ "$syncs" -ge 200 ]; then pass io_real.sqlite.syncs; else fail io_real.sqlite.syncs "$syncs syncs on the database and its journal, want >= 200"; fi
wb=$("${ST[@]}" file "$d" "$T/sq.db" write_bytes)
if [ "$wb" -ge "$(wc -c <"$T/sq.db")" ]; then pass io_real.sqlite.write_bytes; else fail io_real.sqlite.write_bytes "$wb bytes written to a $(wc -c <"$T/sq.db")-byte database"; fi

# A pipeline: what each stage writes into a pipe, the next reads out of it.
d="$T/pipe"
same_run io_real.pipeline.same_output "$d" bash -c 'seq 1 200000 | sort -r | uniq -c | wc -c'
seq_w=$("${ST[@]}" cell "$d" pipe write bytes)
seq_r=$("${ST[@]}" cell "$d" pipe read bytes)
expect io_real.pipeline.pipe_bytes_balance "$seq_r" "$seq_w"
want=$(( $(seq 1 200000 | wc -c) * 2 + $(seq 1 200000 | sort -r | uniq -c | wc -c) ))
expect io_real.pipeline.pipe_bytes "$seq_w" "$want"

# gcc -c: as writes the object with fwrite and fseek (leaving holes it never writes), so the
# file's size is the highest offset written, not the bytes written.
cat >"$T/unit.c" <<'CEOF'
#include <stdio.h>
static int sq(int x) { return x * x; }
int main(void) { int s = 0; for (int i = 0; i < 100; i++) s += sq(i); printf("%d\n", s); return 0; }
CEOF
d="$T/gcc"
same_run io_real.gcc.same_output "$d" gcc -O2 -c "$T/unit.c" -o "$T/unit.o"
expect io_real.gcc.object_extent "$("${ST[@]}" file "$d" "$T/unit.o" max_offset)" "$(wc -c <"$T/unit.o")"
wb=$("${ST[@]}" file "$d" "$T/unit.o" write_bytes)
if [ "$wb" -gt 0 ] && [ "$wb" -le "$(wc -c <"$T/unit.o")" ]; then pass io_real.gcc.object_bytes; else fail io_real.gcc.object_bytes "$wb bytes written"; fi
trace_check io_real.gcc.traces "$d" --complete --exe cc1 --exe '*as'
