#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) and runs them: the trace reader
# (fuzz_reader, seeds in tests/fuzz/corpus), the model loader (fuzz_model, seeds in
# tests/fuzz/corpus_model), compressing in place (fuzz_compress: the records read back must not
# change; seeds in tests/fuzz/corpus) and, in long mode, what reads traces after the reader
# (fuzz_analyzer: info and every export format, seeds in tests/fuzz/corpus).
#   tests/fuzz/run.sh short   replay each seed corpus, then fuzz for 20 s + 10 s + 10 s  (part of `make test`)
#   tests/fuzz/run.sh long    fuzz each of the four targets for 10 minutes             (`make fuzz`)
# New inputs go to $B/fuzz/corpus, corpus_model and corpus_compress (never into the committed seeds);
# crashes to $B/fuzz/ (reader), $B/fuzz/model- (model loader), $B/fuzz/compress- (compress) and
# $B/fuzz/analyzer- (analyzer).
# Exit status: 0 clean, 1 a finding, 2 the fuzzer could not be built.
set -u
mode=${1:-short}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
B=${B:-build}
out="$B/fuzz"
mkdir -p "$out/corpus"
CLANG=${CLANG:-clang}
bin="$out/fuzz_reader"
src="tests/fuzz/fuzz_reader.c analyzer/reader.c analyzer/util.c analyzer/cmd_dump.c"
if ! command -v "$CLANG" >/dev/null; then echo "fuzz: $CLANG not found" >&2; exit 2; fi
# shellcheck disable=SC2086
if ! "$CLANG" -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Ianalyzer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
        -o "$bin" $src -lzstd 2>"$out/build.log"; then
    echo "fuzz: cannot build the fuzz target (libFuzzer missing?):" >&2
    tail -n 5 "$out/build.log" >&2
    exit 2
fi
case "$mode" in
    short) secs=20;  msecs=10 ;;
    long)  secs=600; msecs=600 ;;
    *) echo "usage: $0 short|long" >&2; exit 2 ;;
esac
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# replay the committed seeds alone first: a regression on them is the clearest failure
if ! "$bin" -runs=0 tests/fuzz/corpus >"$out/replay.log" 2>&1; then
    echo "fuzz: replaying tests/fuzz/corpus failed:" >&2
    tail -n 30 "$out/replay.log" >&2
    exit 1
fi
if ! "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/" "$out/corpus" tests/fuzz/corpus >"$out/fuzz.log" 2>&1; then
    echo "fuzz: finding (inputs in $out/crash-* or $out/leak-*):" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$out/fuzz.log" | head -n 20 >&2
    exit 1
fi
grep -E "^stat::number_of_executed_units|^stat::peak_rss" "$out/fuzz.log" | tr '\n' ' ' | sed 's/$/\n/'

# ---- the model loader (analyzer/forest.c)
mbin="$out/fuzz_model"
msrc="tests/fuzz/fuzz_model.c analyzer/forest.c analyzer/util.c"
mkdir -p "$out/corpus_model"
# shellcheck disable=SC2086
if ! "$CLANG" -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Ianalyzer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
        -o "$mbin" $msrc -lcjson -lm 2>"$out/build_model.log"; then
    echo "fuzz: cannot build the model fuzz target:" >&2
    tail -n 5 "$out/build_model.log" >&2
    exit 2
fi
if ! "$mbin" -runs=0 tests/fuzz/corpus_model >"$out/replay_model.log" 2>&1; then
    echo "fuzz: replaying tests/fuzz/corpus_model failed:" >&2
    tail -n 30 "$out/replay_model.log" >&2
    exit 1
fi
if ! "$mbin" -max_total_time="$msecs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/model-" "$out/corpus_model" tests/fuzz/corpus_model >"$out/fuzz_model.log" 2>&1; then
    echo "fuzz: model loader finding (inputs in $out/model-crash-* or $out/model-leak-*):" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written|rejected|not stable|unnamed" "$out/fuzz_model.log" | head -n 20 >&2
    exit 1
fi
grep -E "^stat::number_of_executed_units|^stat::peak_rss" "$out/fuzz_model.log" | tr '\n' ' ' | sed 's/^/model: /; s/$/\n/'

# ---- compressing in place (analyzer/compress.c): the records read back must not change
cbin="$out/fuzz_compress"
csrc="tests/fuzz/fuzz_compress.c analyzer/compress.c analyzer/reader.c analyzer/util.c"
mkdir -p "$out/corpus_compress"
# shellcheck disable=SC2086
if ! "$CLANG" -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Ianalyzer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
        -o "$cbin" $csrc -lzstd 2>"$out/build_compress.log"; then
    echo "fuzz: cannot build the compress fuzz target:" >&2
    tail -n 5 "$out/build_compress.log" >&2
    exit 2
fi
if ! "$cbin" -max_total_time="$msecs" -max_len=65536 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/compress-" "$out/corpus_compress" tests/fuzz/corpus >"$out/fuzz_compress.log" 2>&1; then
    echo "fuzz: compress finding (inputs in $out/compress-*):" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written|differ|before|compress: rc" "$out/fuzz_compress.log" | head -n 20 >&2
    exit 1
fi
grep -E "^stat::number_of_executed_units|^stat::peak_rss" "$out/fuzz_compress.log" | tr '\n' ' ' | sed 's/^/compress: /; s/$/\n/'
[ "$mode" = long ] || exit 0

# ---- info and the exports over the traces the reader accepts (every analyzer file but main and
# record: a minute or two to build, so long mode only)
abin="$out/fuzz_analyzer"
asrc="tests/fuzz/fuzz_analyzer.c $(ls analyzer/*.c | grep -v -e 'analyzer/main.c' -e 'analyzer/cmd_record.c' | tr '\n' ' ')"
mkdir -p "$out/corpus_analyzer"
# shellcheck disable=SC2086
if ! "$CLANG" -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Ianalyzer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
        -o "$abin" $asrc -lcjson -ldw -lelf -lzstd -lm 2>"$out/build_analyzer.log"; then
    echo "fuzz: cannot build the analyzer fuzz target:" >&2
    tail -n 5 "$out/build_analyzer.log" >&2
    exit 2
fi
if ! "$abin" -max_total_time="$secs" -max_len=65536 -timeout=20 -rss_limit_mb=2048 -close_fd_mask=2 \
        -print_final_stats=1 -artifact_prefix="$out/analyzer-" "$out/corpus_analyzer" tests/fuzz/corpus \
        >"$out/fuzz_analyzer.log" 2>&1; then
    echo "fuzz: analyzer finding (inputs in $out/analyzer-*):" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$out/fuzz_analyzer.log" | head -n 20 >&2
    exit 1
fi
grep -E "^stat::number_of_executed_units|^stat::peak_rss" "$out/fuzz_analyzer.log" | tr '\n' ' ' | sed 's/^/analyzer: /; s/$/\n/'
exit 0
