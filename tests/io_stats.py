#!/usr/bin/env python3
"""Figures the I/O integration tests (tests/integration/io_*.sh) check, read from traces with
tests/pptrace.py's decoder (independent of the C reader).  PATH is a trace file or a directory.

  io_stats.py file PATH GLOB FIELD     sum of FILE_STATS.FIELD over records whose path matches GLOB
                                       (fnmatch; hist_read/hist_write: summed element-wise, printed
                                       comma-separated; max_offset, open_ts, ts: the largest)
  io_stats.py paths PATH               every FILE_STATS path with its opens, reads, writes, bytes
  io_stats.py cell PATH CLS OP FIELD   sum over SAMPLE.io of FIELD (bytes|calls|ns) for class CLS
                                       (file|pipe|socket|tty|device|other) and op (read|write|meta|sync)
  io_stats.py count PATH KIND [F=V..]  number of KIND records (whose fields equal the given values;
                                       fn=NAME is translated with trace.h's PP_FNS)
  io_stats.py footflags PATH           OR of every trace's last FOOTER.flags, in hex
"""
import fnmatch
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pptrace  # noqa: E402

def fn_numbers():
    """PP_FN_* numbers from trace.h's PP_FNS list (CALL.fn, IO_EVENT.fn)."""
    import re
    th = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "include", "phaseprof", "trace.h")).read()
    body = th[th.index("#define PP_FNS(X)"):]
    body = body[:body.index("enum pp_fn")]
    return {n: i for i, n in enumerate(re.findall(r"X\((\w+)\)", body))}


CLASSES = ["file", "pipe", "socket", "tty", "device", "other"]
OPS = ["read", "write", "meta", "sync"]


def traces(path):
    if os.path.isdir(path):
        return sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".pptrace"))
    return [path]


def records(path):
    """(strings, records) per trace file."""
    for f in traces(path):
        info = pptrace.read_trace(f)
        recs = info["records"]
        strings = {r["id"]: r["text"].decode("utf-8", "replace") for r in recs if r["_kind"] == "STRING"}
        yield strings, recs


def file_stats(path):
    for strings, recs in records(path):
        for r in recs:
            if r["_kind"] == "FILE_STATS":
                yield strings.get(r["path"], ""), r


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, path = argv[1], argv[2]
    if cmd == "file":
        glob, field = argv[3], argv[4]
        total = None
        for p, r in file_stats(path):
            if not fnmatch.fnmatch(p, glob):
                continue
            v = r[field]
            if isinstance(v, list):
                total = [a + b for a, b in zip(total, v)] if total else list(v)
            elif field in ("max_offset", "open_ts", "ts"):
                total = max(total or 0, v)
            else:
                total = (total or 0) + v
        if isinstance(total, list):
            print(",".join(str(x) for x in total))
        else:
            print(total or 0)
    elif cmd == "paths":
        for p, r in file_stats(path):
            print("%s\tcls=%d fd=%d opens=%d reads=%d writes=%d read_bytes=%d write_bytes=%d errors=%d"
                  % (p, r["cls"], r["fd"], r["opens"], r["reads"], r["writes"], r["read_bytes"],
                     r["write_bytes"], r["errors"]))
    elif cmd == "cell":
        cell = CLASSES.index(argv[3]) * len(OPS) + OPS.index(argv[4])
        k = {"ns": 1, "bytes": 2, "calls": 3}[argv[5]]
        total = 0
        for _, recs in records(path):
            for r in recs:
                if r["_kind"] == "SAMPLE":
                    io = r["io"]
                    for i in range(0, len(io) - 3, 4):
                        if io[i] == cell:
                            total += io[i + k]
        print(total)
    elif cmd == "count":
        want = dict(a.split("=", 1) for a in argv[4:])
        if "fn" in want and not want["fn"].isdigit():
            want["fn"] = str(fn_numbers()[want["fn"]])
        n = 0
        for _, recs in records(path):
            for r in recs:
                if r["_kind"] == argv[3] and all(str(r.get(f)) == v for f, v in want.items()):
                    n += 1
        print(n)
    elif cmd == "footflags":
        flags = 0
        for _, recs in records(path):
            feet = [r for r in recs if r["_kind"] == "FOOTER"]
            if feet:
                flags |= feet[-1]["flags"]
        print(hex(flags))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
