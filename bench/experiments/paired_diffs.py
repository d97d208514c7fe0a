#!/usr/bin/python3
# Paired differences between inits per size, over seeds, from pmp-curve curve.csv files:
#   bench/experiments/paired_diffs.py [--markdown] OUT/curve.csv [OUT2/curve.csv ...]
# With several files (several targets, e.g. the leave-one-site-out sites) the differences
# are pooled over every (target, seed): mean ± sd / sqrt(n). That treats the cells as
# independent, which they are not (one PMP run per site, the same eval pairs for every
# seed): the intervals of record are `pmp-curve summary` (docs/experiments.md,
# "Intervals"); this script is kept to recompute the earlier rounds' tables. Replicates
# (curve.csv's replicate column) are averaged per (target, init, size, seed).
# --markdown prints the tables docs/experiments.md holds: accuracy mean ± sd over seeds
# per init and size, then the paired differences.
import csv, sys, math, statistics as st
if not sys.argv[1:] or {"-h", "--help"} & set(sys.argv[1:]):
    print("usage: paired_diffs.py [--markdown] OUT/curve.csv [OUT2/curve.csv ...]",
          file=sys.stdout if sys.argv[1:] else sys.stderr)
    sys.exit(0 if sys.argv[1:] else 2)
markdown = "--markdown" in sys.argv[1:]
paths = [p for p in sys.argv[1:] if p != "--markdown"]
acc = {}
order = []                                       # inits in the order the curve names them
reps = {}
for path in paths:
    for r in csv.DictReader(open(path)):
        k = (r['target'], r['init'], int(r['size']), int(r['seed']))
        reps.setdefault(k, []).append(float(r['accuracy']))
        if r['init'] not in order: order.append(r['init'])
acc = {k: sum(v) / len(v) for k, v in reps.items()}
targets = sorted({k[0] for k in acc}); sizes = sorted({k[2] for k in acc})
seeds = sorted({k[3] for k in acc}); inits = set(order)
PAIRS = [('pmp-rank', 'lm'), ('pmp-rank-newhead', 'lm'), ('pmp-binary', 'lm'),
         ('pmp-rank', 'scratch'), ('pmp-binary', 'scratch'), ('pmp-binary', 'pmp-rank'),
         ('pmp-rank', 'pmp-rank-newhead'), ('lm', 'scratch'),
         ('pmp-rank-scratch', 'scratch'), ('pmp-rank', 'pmp-rank-scratch')]

def cells(name, s):
    return [acc[(t, name, s, k)] for t in targets for k in seeds if (t, name, s, k) in acc]

def diffs(a, b, s):
    return [acc[(t, a, s, k)] - acc[(t, b, s, k)] for t in targets for k in seeds
            if (t, a, s, k) in acc and (t, b, s, k) in acc]

def fmt_diff(d):   # no spread: both are the same model for every seed (size 0, head kept)
    se = st.stdev(d) / math.sqrt(len(d))
    return (f"{st.mean(d):+.3f}" + (f" ± {se:.3f}" if se > 0 else "")).replace("-", "−")

if markdown:
    print(f"targets: {', '.join(targets)}; seeds: {len(seeds)}\n")
    print("| init | " + " | ".join(str(s) for s in sizes) + " |")
    print("| --- |" + " --- |" * len(sizes))
    for name in order:
        row = []
        for s in sizes:
            v = cells(name, s)
            row.append("" if not v else f"{st.mean(v):.3f}" if len(v) < 2 or st.stdev(v) == 0
                       else f"{st.mean(v):.3f} ± {st.stdev(v):.3f}")
        print(f"| {name} | " + " | ".join(row) + " |")
    shown = [s for s in sizes if any(len(diffs(a, b, s)) > 1 for a, b in PAIRS)]
    print("\n| difference | " + " | ".join(str(s) for s in shown) + " |")
    print("| --- |" + " --- |" * len(shown))
    for a, b in PAIRS:
        if a not in inits or b not in inits: continue
        row = [fmt_diff(d) if len(d) > 1 else "" for d in (diffs(a, b, s) for s in shown)]
        print(f"| {a} − {b} | " + " | ".join(row) + " |")
    sys.exit(0)

print(f"targets: {', '.join(targets)}; seeds: {len(seeds)}")
for name in sorted(inits):
    means = [f"{s}: {st.mean(v):.3f}" for s in sizes for v in [cells(name, s)] if v]
    print(f"{name} mean accuracy:", ", ".join(means))
for a, b in PAIRS:
    if a not in inits or b not in inits: continue
    out = [f"{s}: {st.mean(d):+.3f}±{st.stdev(d) / math.sqrt(len(d)):.3f} (n={len(d)})"
           for s in sizes for d in [diffs(a, b, s)] if len(d) > 1]
    print(f"{a} − {b}:", ", ".join(out))
