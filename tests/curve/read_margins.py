#!/usr/bin/python3
"""An independent reader of pmp-curve's per-pair margins (docs/experiments.md, "Files"):
   read_margins.py CURVE_DIR
For every row of CURVE_DIR/curve.csv: CURVE_DIR/margins/INIT-rREP-nSIZE-sSEED.f32 holds
eval_pairs little-endian float32 margins in eval order; the accuracy they give (1 when
the better response scores above the worse, 1/2 for a tie, 0 below) is the row's
accuracy. Then summary.csv's accuracy (the mean over a cell's replicates and seeds)
and its paired difference against the baseline are recomputed from curve.csv.
Prints one line per check group; exits 1 on the first disagreement."""
import csv, os, struct, sys
from collections import defaultdict

# XXH64 (seed 0), written from the specification: the row's margins_xxh64
M = (1 << 64) - 1
P1, P2, P3, P4, P5 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
def _rotl(x, r): return ((x << r) | (x >> (64 - r))) & M
def _round(acc, lane): return (_rotl((acc + lane * P2) & M, 31) * P1) & M
def _merge(h, v): return (((h ^ _round(0, v)) * P1) + P4) & M
def xxh64(b, seed=0):
    n, i = len(b), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = _round(v[k], int.from_bytes(b[i + 8 * k:i + 8 * k + 8], "little"))
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M
        for k in range(4): h = _merge(h, v[k])
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = ((_rotl(h ^ _round(0, int.from_bytes(b[i:i + 8], "little")), 27) * P1) + P4) & M
        i += 8
    if i + 4 <= n:
        h = ((_rotl(h ^ ((int.from_bytes(b[i:i + 4], "little") * P1) & M), 23) * P2) + P3) & M
        i += 4
    while i < n:
        h = (_rotl(h ^ ((b[i] * P5) & M), 11) * P1) & M
        i += 1
    h ^= h >> 33; h = (h * P2) & M; h ^= h >> 29; h = (h * P3) & M; h ^= h >> 32
    return h

def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)

d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "curve.csv"))))
if not rows: fail("no rows")
sizes = set()
for r in rows:
    p = os.path.join(d, "margins", f"{r['init']}-r{r['replicate']}-n{r['size']}-s{r['seed']}.f32")
    raw = open(p, "rb").read()
    n = int(r["eval_pairs"])
    if len(raw) != 4 * n: fail(f"{p}: {len(raw)} bytes for {n} pairs")
    if xxh64(raw) != int(r["margins_xxh64"], 16): fail(f"{p}: XXH64 {xxh64(raw):016x}, row {r['margins_xxh64']}")
    m = struct.unpack(f"<{n}f", raw)
    acc = sum(1.0 if x > 0 else 0.5 if x == 0 else 0.0 for x in m) / n
    if abs(acc - float(r["accuracy"])) > 1e-6: fail(f"{p}: accuracy {acc} vs curve.csv {r['accuracy']}")
    mean_margin = sum(m) / n
    if abs(mean_margin - float(r["margin"])) > 1e-4 * max(1, abs(mean_margin)):
        fail(f"{p}: mean margin {mean_margin} vs curve.csv {r['margin']}")
    sizes.add(len(raw))
print(f"margins: {len(rows)} files agree with curve.csv (XXH64, accuracy, mean margin); sizes {sorted(sizes)} bytes")

base = open(os.path.join(d, "baseline")).read().strip()
acc = defaultdict(list)
cell = {}
for r in rows:
    acc[(r["init"], int(r["size"]))].append(float(r["accuracy"]))
    cell[(r["init"], int(r["replicate"]), int(r["size"]), int(r["seed"]))] = float(r["accuracy"])
n = 0
for s in csv.DictReader(open(os.path.join(d, "summary.csv"))):
    k = (s["init"], int(s["size"]))
    want = sum(acc[k]) / len(acc[k])
    if abs(want - float(s["accuracy"])) > 6e-5: fail(f"summary {k}: accuracy {s['accuracy']} vs {want}")
    lo, hi = float(s["accuracy_lo"]), float(s["accuracy_hi"])
    if not lo <= float(s["accuracy"]) <= hi: fail(f"summary {k}: interval [{lo}, {hi}]")
    if s["baseline"] != base: fail(f"summary {k}: baseline {s['baseline']}, not {base}")
    if s["init"] != base:
        diffs = [a - cell[(base, 0, k[1], seed)] for (i, rep, size, seed), a in cell.items()
                 if i == k[0] and size == k[1]]
        want = sum(diffs) / len(diffs)
        if abs(want - float(s["diff"])) > 6e-5: fail(f"summary {k}: diff {s['diff']} vs {want}")
        if not float(s["diff_lo"]) <= float(s["diff"]) <= float(s["diff_hi"]): fail(f"summary {k}: diff interval")
        if not float(s["diff_t_lo"]) <= float(s["diff"]) <= float(s["diff_t_hi"]): fail(f"summary {k}: t interval")
    n += 1
print(f"summary: {n} rows agree with curve.csv (means, paired differences against {base})")
