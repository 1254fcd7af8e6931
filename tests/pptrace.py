#!/usr/bin/env python3
"""A second, independent reader of phaseprof trace v1, for the integration tests.

It reads include/phaseprof/events.def and trace.h for record kinds, field types and flag values,
so it follows the format without copying it, and it cross-checks the C reader: if the two
disagree about a file, one of them is wrong.  It is deliberately small and strict: every chunk's
magic and CRC32C are checked, a truncated tail is reported, every record is decoded by its
field types.

  pptrace.py summary PATH...          one line per trace file (for people and for debugging)
  pptrace.py check PATH... [asserts]  exit 0 if every assertion holds, else 1 with one line per
                                      failed assertion on stdout

PATH is a trace file or a directory of *.pptrace files.  Assertions (repeatable ones marked +):
  --traces N          exactly N trace files           --min-traces N   at least N
  --pids N            exactly N distinct pids
  --run-id HEX        every header carries this run id
  --exe GLOB +        some trace's exe basename matches GLOB
  --only-exe GLOB +   every trace's exe basename matches one of these GLOBs
  --root-exe GLOB     the root trace (whose ppid is no other trace's pid) matches GLOB
  --tree              exactly one root, and every other trace's parent pid has a trace
  --unique            no two traces share pid, exe and argv (one trace per process image)
  --complete          every trace ends with a FOOTER and has no bad or truncated chunk
  --readable          every trace has a HEADER and no bad chunk (a truncated tail is allowed)
  --argv-has STR +    some trace's argv contains STR as one argument
  --min-kind K=N +    records of kind K (events.def name) across all traces >= N
  --kind K=N +        ... == N
  --root-exit N       the root trace's FOOTER.exit_status == N
  --foot-flag F +     some trace's FOOTER.flags has PP_FOOT_F
  --no-foot-flag F +  no trace's FOOTER.flags has PP_FOOT_F
  --sum K.FIELD>=N +  sum of FIELD over records of kind K >= N (also <= and ==)
  --setting N=V +     every header's settings list holds "N=V"
  --header-flag F +   every header's flags has PP_HDR_F
  --module GLOB +     some trace has a MODULE record whose path matches GLOB
  --mmap-path GLOB +  some trace has an MMAP record whose path matches GLOB
"""
import fnmatch
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INC = os.path.join(HERE, "..", "include", "phaseprof")


def load_format():
    text = open(os.path.join(INC, "events.def")).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    kinds = {}
    for m in re.finditer(r"PP_REC\(\s*(\w+)\s*,\s*(\d+)\s*,(.*?)\)\s*(?=PP_REC|\Z)", text, re.S):
        name, kid, body = m.group(1), int(m.group(2)), m.group(3)
        fields = re.findall(r"F\(\s*(\w+)\s*,\s*(\w)\s*\)", body)
        kinds[kid] = (name, fields)
    flags = {}
    th = open(os.path.join(INC, "trace.h")).read()
    for m in re.finditer(r"#define\s+PP_FOOT_(\w+)\s+(0x[0-9a-fA-F]+|\d+)u?", th):
        flags[m.group(1)] = int(m.group(2), 0)
    hflags = {}
    for m in re.finditer(r"#define\s+PP_HDR_(\w+)\s+(0x[0-9a-fA-F]+|\d+)u?", th):
        hflags[m.group(1)] = int(m.group(2), 0)
    return kinds, flags, hflags


KINDS, FOOT_FLAGS, HDR_FLAGS = load_format()
KIND_ID = {v[0]: k for k, v in KINDS.items()}

_CRC = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    _CRC.append(c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    t = _CRC
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Bad(Exception):
    pass


def varint(buf, pos, end):
    v = 0
    shift = 0
    while True:
        if pos >= end or shift > 63:
            raise Bad("varint past end")
        b = buf[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, pos
        shift += 7


def unzig(v):
    return (v >> 1) ^ -(v & 1)


def decode(buf, pos, end, fields, state):
    """Decodes one record body; returns a dict.  Missing trailing fields are 0."""
    rec = {}
    for name, t in fields:
        if pos >= end:
            rec[name] = b"" if t in "SB" else ([] if t in "AL" else 0)
            continue
        if t in "uxi":
            rec[name], pos = varint(buf, pos, end)
        elif t == "s":
            v, pos = varint(buf, pos, end)
            rec[name] = unzig(v)
        elif t == "t":
            v, pos = varint(buf, pos, end)
            state["ts"] += unzig(v)
            rec[name] = state["ts"]
        elif t == "p":
            v, pos = varint(buf, pos, end)
            state["ptr"] = (state["ptr"] + unzig(v)) & (2**64 - 1)
            rec[name] = state["ptr"]
        elif t in "SB":
            n, pos = varint(buf, pos, end)
            if pos + n > end:
                raise Bad("bytes past record end")
            rec[name] = bytes(buf[pos:pos + n])
            pos += n
        elif t == "A":
            n, pos = varint(buf, pos, end)
            arr = []
            for _ in range(n):
                v, pos = varint(buf, pos, end)
                arr.append(v)
            rec[name] = arr
        elif t == "L":
            n, pos = varint(buf, pos, end)
            items = []
            for _ in range(n):
                k, pos = varint(buf, pos, end)
                if pos + k > end:
                    raise Bad("string past record end")
                items.append(bytes(buf[pos:pos + k]))
                pos += k
            rec[name] = items
        else:
            raise Bad("unknown field type " + t)
    return rec


CHUNK, ZCHUNK = 0x4B434850, 0x5A434850     # "PHCK", "PHCZ" (compressed: u32 raw_len + zstd frame)


def unzstd(z, raw_len):
    """Decompresses one zstd frame: Debian's python3-zstandard, else the zstd command."""
    try:
        import zstandard
        return zstandard.ZstdDecompressor().decompress(z, max_output_size=raw_len)
    except ImportError:
        import subprocess
        out = subprocess.run(["zstd", "-d", "-q", "-c"], input=z, stdout=subprocess.PIPE, check=True).stdout
        return out[:raw_len + 1]            # more than raw_len: a mismatch the caller reports


def records(payload, tid, seq, base, info):
    """Decodes one chunk's records into info."""
    state = {"ts": base, "ptr": 0}
    p, end = 0, len(payload)
    try:
        while p < end:
            kind, p = varint(payload, p, end)
            blen, p = varint(payload, p, end)
            if p + blen > end:
                raise Bad("record past chunk end")
            if kind in KINDS:
                name, fields = KINDS[kind]
                rec = decode(payload, p, p + blen, fields, state)
                rec["_kind"] = name
                rec["_tid"] = tid
                info["kinds"][name] = info["kinds"].get(name, 0) + 1
                if name == "HEADER" and info["header"] is None:
                    info["header"] = rec
                elif name == "FOOTER":
                    info["footer"] = rec
                info["records"].append(rec)
            p += blen
    except Bad as e:
        info["error"] = "chunk %d: %s" % (seq, e)


def chunks(data, pos, info, inner=False):
    """Reads the chunks of data from pos.  A compressed chunk (PHCZ) holds a group of whole
    chunks of one thread, read here the same way (inner=True: no resync, no nesting)."""
    while pos < len(data):
        if pos + 32 > len(data):
            if inner:                           # a group holds whole chunks only
                info["bad_chunks"] += 1
            else:
                info["truncated"] = True
            break
        magic, plen, crc, tid, seq, base = struct.unpack_from("<IIIIQQ", data, pos)
        if magic not in ((CHUNK,) if inner else (CHUNK, ZCHUNK)) or plen > (1 << 20):
            info["bad_chunks"] += 1
            if inner:
                break
            # resync on the next chunk magic, as a reader must
            found = [n for n in (data.find(b"PHCK", pos + 1), data.find(b"PHCZ", pos + 1)) if n >= 0]
            if not found:
                break
            pos = min(found)
            continue
        if pos + 32 + plen > len(data):
            if inner:
                info["bad_chunks"] += 1
            else:
                info["truncated"] = True
            break
        payload = data[pos + 32:pos + 32 + plen]
        if crc32c(payload, crc32c(data[pos + 12:pos + 32])) != crc:
            info["bad_chunks"] += 1
            if inner:
                break
            pos += 32 + plen
            continue
        if magic == ZCHUNK:
            try:
                raw_len = struct.unpack_from("<I", payload, 0)[0]
                if raw_len > (1 << 20):
                    raise ValueError("raw length %d over 1 MiB" % raw_len)
                group = unzstd(payload[4:], raw_len)
                if len(group) != raw_len:
                    raise ValueError("%d bytes, not %d" % (len(group), raw_len))
            except Exception as e:          # a damaged frame: that group is lost, as in phaseprof
                info["bad_chunks"] += 1
                info["error"] = "chunk at %d does not decompress: %s" % (pos, e)
                pos += 32 + plen
                continue
            info["zchunks"] = info.get("zchunks", 0) + 1
            chunks(group, 0, info, inner=True)
        else:
            info["chunks"] += 1
            records(payload, tid, seq, base, info)
        pos += 32 + plen


def read_trace(path):
    """Returns a dict describing the file; never raises for a damaged file."""
    info = {"path": path, "header": None, "footer": None, "chunks": 0, "bad_chunks": 0,
            "truncated": False, "error": None, "kinds": {}, "records": []}
    data = open(path, "rb").read()
    if len(data) < 16 or data[:8] != b"PHASEPRF":
        info["error"] = "bad magic"
        return info
    version, pre_len = struct.unpack_from("<II", data, 8)
    if version != 1:
        info["error"] = "version %d" % version
        return info
    chunks(data, pre_len, info)
    if info["header"] is None and not info["error"]:
        info["error"] = "no HEADER record"
    return info


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".pptrace"))
        elif os.path.exists(p):
            out.append(p)
    return out


def hdr(t, key, default=None):
    return t["header"][key] if t["header"] else default


def exe_base(t):
    e = hdr(t, "exe", b"")
    return os.path.basename(e.decode("utf-8", "replace"))


def argv_of(t):
    return [a.decode("utf-8", "replace") for a in hdr(t, "argv", [])]


def summary_line(t):
    if not t["header"]:
        return "%s: unreadable (%s)" % (os.path.basename(t["path"]), t["error"])
    f = t["footer"]
    flags = [k for k, v in FOOT_FLAGS.items() if f and f["flags"] & v]
    return ("%s pid=%d ppid=%d run=%016x exe=%s argv=%s chunks=%d bad=%d truncated=%d footer=%s "
            "exit=%s flags=%s kinds=%s%s" % (
                os.path.basename(t["path"]), hdr(t, "pid"), hdr(t, "ppid"), hdr(t, "run_id"),
                exe_base(t), " ".join(argv_of(t))[:80], t["chunks"], t["bad_chunks"],
                int(t["truncated"]), "yes" if f else "no", f["exit_status"] if f else "-",
                ",".join(flags) or "-",
                ",".join("%s:%d" % kv for kv in sorted(t["kinds"].items())),
                " error=" + t["error"] if t["error"] else ""))


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    cmd, rest = argv[1], argv[2:]
    paths, opts = [], []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a.startswith("--"):
            if a in ("--tree", "--unique", "--complete", "--readable"):
                opts.append((a, None))
                i += 1
            else:
                if i + 1 >= len(rest):
                    print("pptrace.py: %s needs a value" % a)
                    return 2
                opts.append((a, rest[i + 1]))
                i += 2
        else:
            paths.append(a)
            i += 1
    traces = [read_trace(f) for f in files_of(paths)]
    if cmd == "summary":
        for t in traces:
            print(summary_line(t))
        return 0
    if cmd != "check":
        print("pptrace.py: unknown command " + cmd)
        return 2
    fails = []
    good = [t for t in traces if t["header"]]
    pids = {hdr(t, "pid") for t in good}
    roots = [t for t in good if hdr(t, "ppid") not in pids]
    for t in traces:
        if not t["header"]:
            fails.append("%s: %s" % (os.path.basename(t["path"]), t["error"]))
    for o, v in opts:
        if o == "--traces" and len(traces) != int(v):
            fails.append("%d trace files, expected %s" % (len(traces), v))
        elif o == "--min-traces" and len(traces) < int(v):
            fails.append("%d trace files, expected at least %s" % (len(traces), v))
        elif o == "--pids" and len(pids) != int(v):
            fails.append("%d distinct pids, expected %s" % (len(pids), v))
        elif o == "--run-id":
            want = int(v, 16)
            for t in good:
                if hdr(t, "run_id") != want:
                    fails.append("%s: run id %016x, expected %s" % (exe_base(t), hdr(t, "run_id"), v))
        elif o == "--exe":
            if not any(fnmatch.fnmatch(exe_base(t), v) for t in good):
                fails.append("no trace of an exe matching %s (have: %s)" %
                             (v, " ".join(sorted({exe_base(t) for t in good}))))
        elif o == "--only-exe":
            if any(oo == "--only-exe" for oo, _ in opts[:opts.index((o, v))]):
                continue
            globs = [g for oo, g in opts if oo == "--only-exe"]
            for t in good:
                if not any(fnmatch.fnmatch(exe_base(t), g) for g in globs):
                    fails.append("unexpected trace of %s (pid %d)" % (exe_base(t), hdr(t, "pid")))
        elif o == "--root-exe":
            if len(roots) != 1 or not any(fnmatch.fnmatch(exe_base(r), v) for r in roots):
                fails.append("root trace(s) %s, expected one matching %s" %
                             ([exe_base(r) for r in roots], v))
        elif o == "--tree":
            root_pids = {hdr(r, "pid") for r in roots}
            if len(root_pids) != 1:
                fails.append("%d root processes (%s), expected 1" %
                             (len(root_pids), " ".join("%s[%d<-%d]" % (exe_base(r), hdr(r, "pid"), hdr(r, "ppid")) for r in roots)))
        elif o == "--unique":
            seen = {}
            for t in good:
                key = (hdr(t, "pid"), exe_base(t), tuple(argv_of(t)))
                if key in seen:
                    fails.append("two traces for pid %d %s: %s and %s" % (
                        key[0], key[1], os.path.basename(seen[key]), os.path.basename(t["path"])))
                seen[key] = t["path"]
        elif o in ("--complete", "--readable"):
            for t in good:
                n = os.path.basename(t["path"])
                if t["bad_chunks"]:
                    fails.append("%s: %d bad chunks" % (n, t["bad_chunks"]))
                if t["error"]:
                    fails.append("%s: %s" % (n, t["error"]))
                if o == "--complete":
                    if t["truncated"]:
                        fails.append("%s (%s): truncated" % (n, exe_base(t)))
                    if not t["footer"]:
                        fails.append("%s (%s, pid %d): no FOOTER" % (n, exe_base(t), hdr(t, "pid")))
        elif o == "--argv-has":
            if not any(v in argv_of(t) for t in good):
                fails.append("no trace has argument %r" % v)
        elif o in ("--min-kind", "--kind"):
            k, n = v.split("=")
            total = sum(t["kinds"].get(k, 0) for t in traces)
            if (o == "--kind" and total != int(n)) or (o == "--min-kind" and total < int(n)):
                fails.append("%d %s records, expected %s%s" % (total, k, ">= " if o == "--min-kind" else "", n))
        elif o == "--root-exit":
            if len(roots) != 1 or not roots[0]["footer"] or roots[0]["footer"]["exit_status"] != int(v):
                got = [r["footer"]["exit_status"] if r["footer"] else None for r in roots]
                fails.append("root exit status %s, expected %s" % (got, v))
        elif o in ("--foot-flag", "--no-foot-flag"):
            bit = FOOT_FLAGS[v]
            has = [t for t in good if t["footer"] and t["footer"]["flags"] & bit]
            if o == "--foot-flag" and not has:
                fails.append("no trace has footer flag %s" % v)
            if o == "--no-foot-flag" and has:
                fails.append("%d traces have footer flag %s" % (len(has), v))
        elif o == "--setting":
            for t in good:
                if v.encode() not in hdr(t, "settings", []):
                    fails.append("%s (pid %d): setting %s not in header (%s)" % (
                        exe_base(t), hdr(t, "pid"), v,
                        " ".join(x.decode("utf-8", "replace") for x in hdr(t, "settings", []))))
        elif o == "--header-flag":
            for t in good:
                if not hdr(t, "flags", 0) & HDR_FLAGS[v]:
                    fails.append("%s (pid %d): header flag %s not set" % (exe_base(t), hdr(t, "pid"), v))
        elif o in ("--module", "--mmap-path"):
            kind = "MODULE" if o == "--module" else "MMAP"
            found = False
            for t in good:
                strings = {r["id"]: r["text"].decode("utf-8", "replace")
                           for r in t["records"] if r["_kind"] == "STRING"}
                if any(fnmatch.fnmatch(strings.get(r["path"], ""), v)
                       for r in t["records"] if r["_kind"] == kind):
                    found = True
            if not found:
                fails.append("no %s record with a path matching %s" % (kind, v))
        elif o == "--sum":
            m = re.match(r"(\w+)\.(\w+)(>=|<=|==)(\d+)$", v)
            k, field, op, n = m.group(1), m.group(2), m.group(3), int(m.group(4))
            total = sum(r.get(field, 0) for t in traces for r in t["records"] if r["_kind"] == k)
            ok = total >= n if op == ">=" else total <= n if op == "<=" else total == n
            if not ok:
                fails.append("sum of %s.%s is %d, expected %s %d" % (k, field, total, op, n))
    if not traces:
        fails.append("no trace files in %s" % " ".join(paths))
    for f in fails:
        print(f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
