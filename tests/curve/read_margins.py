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
    m = struct.unpack(f"<{n}f", raw)
    acc = sum(1.0 if x > 0 else 0.5 if x == 0 else 0.0 for x in m) / n
    if abs(acc - float(r["accuracy"])) > 1e-6: fail(f"{p}: accuracy {acc} vs curve.csv {r['accuracy']}")
    mean_margin = sum(m) / n
    if abs(mean_margin - float(r["margin"])) > 1e-4 * max(1, abs(mean_margin)):
        fail(f"{p}: mean margin {mean_margin} vs curve.csv {r['margin']}")
    sizes.add(len(raw))
print(f"margins: {len(rows)} files agree with curve.csv (accuracy, mean margin); sizes {sorted(sizes)} bytes")

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
