#!/usr/bin/env bash
# Real program: sqlite3, 2,000 inserts into a file database, 50 per transaction (40 commits, so
# it syncs, without 2,000 fsyncs making the test's time depend on the disk).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
need_lib sqlite
cd "$T" || exit 1

{
    echo "DROP TABLE IF EXISTS t;"
    echo "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);"
    for i in $(seq 1 2000); do
        [ $((i % 50)) -eq 1 ] && echo "BEGIN;"
        echo "INSERT INTO t(name, v) VALUES('row-$i', $i * 0.5);"
        [ $((i % 50)) -eq 0 ] && echo "COMMIT;"
    done
    echo "SELECT count(*), sum(v), max(name) FROM t;"
    echo "SELECT name FROM t WHERE id % 500 = 0;"
} >"$T/script.sql"
d="$T/sq"
same_run sqlite.same_output "$d" sqlite3 -batch -init "$T/script.sql" "$T/test.db" .quit
trace_check sqlite.traces "$d" --run-id "$PHASEPROF_RUN_ID" --complete --traces 1 \
    --root-exe sqlite3 --min-kind FILE_STATS=2
info_check sqlite.info "$d" sqlite3
