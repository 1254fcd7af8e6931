#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) and runs them: the trace reader
# (fuzz_reader, seeds in tests/fuzz/corpus), the model loader (fuzz_model, seeds in
# tests/fuzz/corpus_model), compressing in place (fuzz_compress: the records read back must not
# change; seeds in tests/fuzz/corpus) and, in long mode, what reads traces after the reader
# (fuzz_analyzer: info and every export format, seeds in tests/fuzz/corpus).
#   tests/fuzz/run.sh short   replay each seed corpus, then fuzz for 20 s + 10 s + 10 s  (part of `make test`)
#   tests/fuzz/run.sh long    fuzz each of the four targets for 10 minutes             (`make fuzz`)
# Per target NAME, in $B/fuzz: the binary NAME, NAME.build.log, NAME.replay.log, NAME.log, new
# inputs in NAME.corpus/ (never into the committed seeds) and findings as NAME-crash-*,
# NAME-leak-*, NAME-timeout-*.
# Exit status: 0 clean, 1 a finding, 2 a fuzzer could not be built.
set -u
mode=${1:-short}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
B=${B:-build}
out="$B/fuzz"
mkdir -p "$out"
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null; then echo "fuzz: $CLANG not found" >&2; exit 2; fi
case "$mode" in
    short) secs=20;  msecs=10 ;;
    long)  secs=600; msecs=600 ;;
    *) echo "usage: $0 short|long" >&2; exit 2 ;;
esac
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# target NAME SECONDS SEEDS "SOURCES" "LIBS" "GREP" [libFuzzer flags...]: build, replay the
# committed seeds alone (a regression on them is the clearest failure), then fuzz.  GREP picks
# the lines of the log a finding is shown with.
target() {
    local name=$1 secs=$2 seeds=$3 src=$4 libs=$5 grep=$6
    shift 6
    local bin="$out/$name"
    mkdir -p "$out/$name.corpus"
    # shellcheck disable=SC2086
    if ! "$CLANG" -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Ianalyzer \
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
            -o "$bin" $src $libs 2>"$out/$name.build.log"; then
        echo "fuzz: cannot build $name (libFuzzer missing?):" >&2
        tail -n 5 "$out/$name.build.log" >&2
        exit 2
    fi
    if ! "$bin" -runs=0 "$@" "$seeds" >"$out/$name.replay.log" 2>&1; then
        echo "fuzz: $name: replaying $seeds failed:" >&2
        tail -n 30 "$out/$name.replay.log" >&2
        exit 1
    fi
    if ! "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$@" \
            -artifact_prefix="$out/$name-" "$out/$name.corpus" "$seeds" >"$out/$name.log" 2>&1; then
        echo "fuzz: $name finding (inputs in $out/$name-*):" >&2
        grep -E "ERROR|SUMMARY|runtime error|Test unit written|$grep" "$out/$name.log" | head -n 20 >&2
        exit 1
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss" "$out/$name.log" | tr '\n' ' ' | sed "s/^/$name: /; s/\$/\\n/"
}

# the trace reader; the rejection and damage-report checks are in the target
target fuzz_reader "$secs" tests/fuzz/corpus \
    "tests/fuzz/fuzz_reader.c analyzer/reader.c analyzer/util.c analyzer/cmd_dump.c" "-lzstd" \
    "unclear" -timeout=10
# the model loader (analyzer/forest.c)
target fuzz_model "$msecs" tests/fuzz/corpus_model \
    "tests/fuzz/fuzz_model.c analyzer/forest.c analyzer/util.c" "-lcjson -lm" \
    "rejected|not stable|unnamed" -timeout=10
# compressing in place (analyzer/compress.c): the records read back must not change
target fuzz_compress "$msecs" tests/fuzz/corpus \
    "tests/fuzz/fuzz_compress.c analyzer/compress.c analyzer/reader.c analyzer/util.c" "-lzstd" \
    "differ|before|compress: rc" -timeout=20
[ "$mode" = long ] || exit 0
# info and the exports over the traces the reader accepts: every analyzer file but main and
# record, a minute or two to build, so long mode only
target fuzz_analyzer "$secs" tests/fuzz/corpus \
    "tests/fuzz/fuzz_analyzer.c $(ls analyzer/*.c | grep -v -e 'analyzer/main.c' -e 'analyzer/cmd_record.c' | tr '\n' ' ')" \
    "-lcjson -ldw -lelf -lzstd -lm" "unclear" -timeout=20 -close_fd_mask=2
exit 0
