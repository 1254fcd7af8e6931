#!/usr/bin/env bash
# The reader's fuzz target, short mode: builds it with clang -fsanitize=fuzzer,address,undefined,
# replays the seed corpus and fuzzes for 20 seconds (tests/fuzz/run.sh).
source "$(dirname "$0")/../lib.sh"
log="$T/fuzz.out"
bash "$ROOT/tests/fuzz/run.sh" short >"$log" 2>&1
rc=$?
case $rc in
    0) pass "fuzz_reader_short" ;;
    2) fail "fuzz_reader_short" "fuzz target not built: $(tail -n 3 "$log" | tr '\n' ' ')" ;;
    *) fail "fuzz_reader_short" "$(tail -n 12 "$log" | tr '\n' ' ')" ;;
esac
