# Allocation-heavy CPython workload for the bench: builds and drops lists, dicts and strings
# (SCALE rounds), then prints a checksum.  usage: python3 alloc_heavy.py [SCALE]
import sys
scale = int(sys.argv[1]) if len(sys.argv) > 1 else 6
total = 0
for r in range(scale):
    rows = [{"id": i, "name": "item-%d" % i, "vals": list(range(i % 40))} for i in range(60000)]
    text = ",".join(r["name"] for r in rows)
    words = text.split(",")
    index = {w: len(w) for w in words}
    total += len(index) + sum(len(r["vals"]) for r in rows)
    del rows, text, words, index
print("python scale=%d total=%d" % (scale, total))
