#!/usr/bin/env bash
# Compressed chunks (PHCZ, analyzer/compress.c): what `record` leaves and `phaseprof compress`
# writes reads back record for record as the uncompressed trace, through both readers; a trace
# still being written is left alone; damage inside a compressed chunk is reported with the file
# and offset and costs that chunk only; a file cut inside one reads up to the chunk before.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tests/trace_check.sh"
cd "$T" || exit 1

# An uncompressed trace (LD_PRELOAD alone), and a compressed copy of it.
LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/raw" PHASEPROF_EVENTS=all "$PROGS/alloc_pairs" 200000 >/dev/null
raw=$(ls "$T"/raw/*.pptrace)
cp "$raw" "$T/z.pptrace"
out=$("$PP" compress "$T/z.pptrace" 2>&1); rc=$?
rb=$(stat -c %s "$raw"); zb=$(stat -c %s "$T/z.pptrace")
if [ $rc = 0 ] && [ "$zb" -lt $((rb * 6 / 10)) ] && grep -q 'PHCZ' "$T/z.pptrace" && ! grep -q 'PHCZ' "$raw"; then
    pass compress.smaller
else fail compress.smaller "rc=$rc: $rb -> $zb bytes: $out"; fi
"$PP" dump "$raw" >"$T/raw.dump" 2>&1
"$PP" dump "$T/z.pptrace" >"$T/z.dump" 2>&1
if [ "$(grep -c CALL "$T/raw.dump")" -ge 400000 ] && cmp -s "$T/raw.dump" "$T/z.dump"; then pass compress.same_records
else fail compress.same_records "dump differs or too few CALL records: $(diff "$T/raw.dump" "$T/z.dump" | head -3)"; fi
sum_kinds() { "${PPTRACE[@]}" summary "$1" | sed -n 's/.*kinds=//p' | tr ',' '\n' | awk -F: '{s+=$2} END {print s+0}'; }
n_raw=$(sum_kinds "$raw"); n_z=$(sum_kinds "$T/z.pptrace")
if [ "$n_raw" -gt 400000 ] && [ "$n_raw" = "$n_z" ] && "${PPTRACE[@]}" summary "$T/z.pptrace" | grep -q 'bad=0 truncated=0'; then
    pass compress.independent_reader
else fail compress.independent_reader "pptrace.py: $n_raw records raw, $n_z compressed"; fi
# Again: nothing left to gain, the file stays byte for byte.
cp "$T/z.pptrace" "$T/z2.pptrace"
"$PP" compress "$T/z2.pptrace" 2>/dev/null
check compress.idempotent cmp -s "$T/z.pptrace" "$T/z2.pptrace"

# record compresses its own run's traces once the program is done, and says so.
"$PP" record -o "$T/rec" --events all -- "$PROGS/alloc_pairs" 100000 >/dev/null 2>"$T/rec.err"
if grep -q 'compressed from' "$T/rec.err" && grep -q 'PHCZ' "$T"/rec/*.pptrace &&
   "$PP" info "$T/rec" 2>&1 | grep -q 'totals: processes=1 .*complete=1 .*bad_chunks=0'; then
    pass compress.record
else fail compress.record "$(tr '\n' ';' <"$T/rec.err")"; fi

# A process still writing its trace (no footer, pid alive): left as it is.
LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/busy" PHASEPROF_EVENTS=all PHASEPROF_FLUSH_MS=50 \
    "$PROGS/fault_rate" 0 0 >"$T/busy.out" 2>&1 </dev/null &
bpid=$!
for _ in $(seq 1 100); do grep -q started "$T/busy.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
out=$("$PP" compress "$T/busy" 2>&1)
bf=$(ls "$T"/busy/*.pptrace | head -1)
if ! grep -q 'PHCZ' "$bf" && printf '%s' "$out" | grep -q '1 trace, .*; 1 left as they are (still being written'; then
    pass compress.leaves_live_trace
else fail compress.leaves_live_trace "$out"; fi
kill -9 "$bpid" 2>/dev/null; wait "$bpid" 2>/dev/null
# Killed, it never writes its footer; with its pid gone the trace is done and is compressed.
out=$("$PP" compress "$T/busy" 2>&1)
if grep -q 'PHCZ' "$bf" && "$PP" info "$bf" 2>/dev/null | grep -q 'bad_chunks=0'; then pass compress.killed_trace
else fail compress.killed_trace "$out"; fi

# Two forged files, every CRC valid (a writer's bug, or a forgery):
# - forged: the third compressed chunk's zstd frame garbled. The reader names the file and
#   offset, skips that chunk alone, and reads the rest.
# - forged2: in the second compressed chunk, its first chunk's first record made to run past the
#   end. Reported at that compressed chunk's payload offset (a real offset in the file) and the
#   byte of its decompressed content; that group is skipped, the rest read.
# Prints the two payload offsets and forged2's size.
ZPY=/usr/bin/python3; [ -x "$ZPY" ] || ZPY=python3
forged=$("$ZPY" - "$T/z.pptrace" "$T/forged.pptrace" "$T/forged2.pptrace" "$ROOT/tests" <<'EOF' 2>&1
import struct, sys, zstandard
sys.path.insert(0, sys.argv[4])
from pptrace import crc32c
src = open(sys.argv[1], "rb").read()
def group(data, nth):                   # offset and payload length of the nth compressed chunk
    pos, n = 16, 0
    while pos < len(data):
        magic, plen = struct.unpack_from("<II", data, pos)
        if magic == 0x5A434850:
            n += 1
            if n == nth: return pos, plen
        pos += 32 + plen
def seal(hdr, payload):                 # a chunk header's length and CRC for its payload
    struct.pack_into("<I", hdr, 4, len(payload))
    struct.pack_into("<I", hdr, 8, crc32c(payload, crc32c(hdr[12:32])))
    return bytes(hdr) + payload
data = bytearray(src)
pos, plen = group(data, 3)
for i in range(pos + 32 + 12, pos + 32 + 40):
    data[i] ^= 0x5A
data[pos:pos + 32 + plen] = seal(bytearray(data[pos:pos + 32]), bytes(data[pos + 32:pos + 32 + plen]))
open(sys.argv[2], "wb").write(data)
out = [pos + 32]
data = bytearray(src)
pos, plen = group(data, 2)
raw_len = struct.unpack_from("<I", data, pos + 32)[0]
raw = bytearray(zstandard.ZstdDecompressor().decompress(bytes(data[pos + 36:pos + 32 + plen]), max_output_size=raw_len))
ilen = struct.unpack_from("<I", raw, 4)[0]
raw[32:36] = bytes([1, 0xff, 0xff, 0x7f])              # kind 1, a length far past the end
raw[0:32 + ilen] = seal(bytearray(raw[0:32]), bytes(raw[32:32 + ilen]))
z = struct.pack("<I", len(raw)) + zstandard.ZstdCompressor(level=3).compress(bytes(raw))
data[pos:pos + 32 + plen] = seal(bytearray(data[pos:pos + 32]), z)
open(sys.argv[3], "wb").write(data)
print(out[0], pos + 32, len(data))
EOF
)
[ -s "$T/forged.pptrace" ] || cp "$T/z.pptrace" "$T/forged.pptrace"
off=${forged%% *}
msg=$("$PP" info "$T/forged.pptrace" 2>&1 >/dev/null)
info=$("$PP" info "$T/forged.pptrace" 2>/dev/null)
if printf '%s' "$msg" | grep -q "forged.pptrace: offset $off: compressed chunk does not decompress" &&
   printf '%s' "$info" | grep -q 'bad_chunks=1 ' && printf '%s' "$info" | grep -q 'FOOTER=1'; then
    pass compress.damaged_chunk
else fail compress.damaged_chunk "offset $off: $(printf '%s' "$msg" | head -2 | tr '\n' ';') $(printf '%s' "$info" | grep -o 'bad_chunks=[0-9]*')"; fi

# (forged2, above)
inner=${forged#* }
ioff=${inner%% *}; isize=${inner##* }
msg=$("$PP" info "$T/forged2.pptrace" 2>&1 >/dev/null)
info=$("$PP" info "$T/forged2.pptrace" 2>/dev/null)
if printf '%s' "$msg" | grep -qF "forged2.pptrace: offset $ioff: record length past the chunk end; chunk skipped (in the compressed chunk there: byte 32 of its decompressed content)" &&
   [ "$ioff" -lt "$isize" ] && printf '%s' "$info" | grep -q 'FOOTER=1'; then
    pass compress.damage_inside_group
else fail compress.damage_inside_group "forged at $inner: $(printf '%s' "$msg" | head -2 | tr '\n' ';')"; fi

# Cut inside a compressed chunk: read up to the chunk before, reported as truncated.
head -c $((zb * 2 / 3)) "$T/z.pptrace" >"$T/cut.pptrace"
info=$("$PP" info "$T/cut.pptrace" 2>&1); rc=$?
n_cut=$("$PP" dump "$T/cut.pptrace" 2>/dev/null | grep -c CALL)
if [ $rc = 0 ] && printf '%s' "$info" | grep -q 'truncated=yes' && printf '%s' "$info" | grep -q 'bad_chunks=0' &&
   [ "$n_cut" -gt 100000 ]; then
    pass compress.cut_short
else fail compress.cut_short "rc=$rc, $n_cut CALL records: $(printf '%s' "$info" | grep -E 'trace:' | head -1)"; fi

# A trace cut before its preamble ended (a process killed at once) is read as empty: compressing
# it is nothing to do, not an error; a longer preamble (a later writer's) is kept as it is and
# the chunks after it compressed, every record read back the same.
: >"$T/empty.pptrace"; printf 'PHASE' >"$T/cut5.pptrace"
python3 - "$raw" "$T/longpre.pptrace" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
plen = struct.unpack_from("<I", d, 12)[0]
open(sys.argv[2], "wb").write(d[:12] + struct.pack("<I", plen + 8) + d[16:plen] + b"\0" * 8 + d[plen:])
EOF
"$PP" dump "$T/longpre.pptrace" >"$T/longpre.before" 2>&1
out=$("$PP" compress "$T/empty.pptrace" "$T/cut5.pptrace" "$T/longpre.pptrace" 2>&1); rc=$?
"$PP" dump "$T/longpre.pptrace" >"$T/longpre.after" 2>&1
if [ $rc = 0 ] && [ ! -s "$T/empty.pptrace" ] && [ "$(cat "$T/cut5.pptrace")" = PHASE ] &&
   printf '%s' "$out" | grep -q 'longpre.pptrace: 1 trace, [0-9]* -> [0-9]* bytes ([1-9][0-9]* of' &&
   [ "$(wc -c <"$T/longpre.pptrace")" -lt "$rb" ] &&
   [ "$(grep -c CALL "$T/longpre.before")" -ge 400000 ] && cmp -s "$T/longpre.before" "$T/longpre.after"
then pass compress.cut_preamble_and_long_preamble
else fail compress.cut_preamble_and_long_preamble "rc=$rc: $(printf '%s' "$out" | head -3 | tr '\n' ';')"; fi

# Not a trace: a clear error naming the file, non-zero exit, the file untouched.
printf 'not a trace at all, just text\n' >"$T/junk.pptrace"
out=$("$PP" compress "$T/junk.pptrace" 2>&1); rc=$?
if [ $rc != 0 ] && printf '%s' "$out" | grep -q 'junk.pptrace: offset 0: not a phaseprof trace' &&
   [ "$(cat "$T/junk.pptrace")" = 'not a trace at all, just text' ]; then pass compress.not_a_trace
else fail compress.not_a_trace "rc=$rc: $out"; fi

# A file size limit (ulimit -f, or a disk that fills) stops the compressed copy: a clear error,
# non-zero exit, the trace as it was, no temporary file left behind.
cp "$raw" "$T/lim.pptrace"
out=$(ulimit -f 64; "$PP" compress "$T/lim.pptrace" 2>&1); rc=$?
if [ $rc != 0 ] && printf '%s' "$out" | grep -q 'lim.pptrace: writing the compressed copy: File too large' &&
   cmp -s "$raw" "$T/lim.pptrace" && [ -z "$(ls "$T" | grep '\.tmp$')" ]; then
    pass compress.file_size_limit
else fail compress.file_size_limit "rc=$rc: $out; $(ls "$T" | grep tmp)"; fi

# A failed exec: the footer written before it says EXEC, then the process goes on writing the same
# file.  Compressing then would lose what it writes next: left alone while it runs.
LD_PRELOAD="$LIB" PHASEPROF_OUTPUT="$T/xf" PHASEPROF_EVENTS=all \
    bash -c 'shopt -s execfail; exec /nonexistent/prog 2>/dev/null; echo up >"$0"; sleep 3; true' "$T/xf.up" &
xpid=$!
for _ in $(seq 1 100); do [ -s "$T/xf.up" ] && break; sleep 0.1; done
sleep 0.3
xb=$(for f in "$T"/xf/*.pptrace; do "$PP" dump "$f" 2>/dev/null | grep -q "HEADER pid=$xpid " && echo "$f"; done | head -1)
out=$("$PP" compress "$T/xf" 2>&1)
if [ -n "$xb" ] && "$PP" dump "$xb" 2>/dev/null | grep -q 'FOOTER .*flags=0x8 ' && ! grep -q 'PHCZ' "$xb" &&
   printf '%s' "$out" | grep -q 'left as they are (still being written'; then
    pass compress.failed_exec_left_alone
else fail compress.failed_exec_left_alone "trace '$xb': $out"; fi
wait "$xpid"
# ... and once it has ended, everything it wrote after the failed exec is in the compressed trace.
n0=$("$PP" dump "$xb" 2>/dev/null | grep -c .)
"$PP" compress "$T/xf" >/dev/null 2>&1
n1=$("$PP" dump "$xb" 2>/dev/null | grep -c .)
if grep -q 'PHCZ' "$xb" && [ "$n0" -gt 0 ] && [ "$n0" = "$n1" ] && "$PP" dump "$xb" | tail -2 | grep -q 'FOOTER .*flags=0x0 '; then
    pass compress.failed_exec_after_end
else fail compress.failed_exec_after_end "$n0 -> $n1 lines"; fi
