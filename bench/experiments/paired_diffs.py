#!/usr/bin/python3
# Paired differences between inits per size, over seeds, from pmp-curve curve.csv files:
#   bench/experiments/paired_diffs.py OUT/curve.csv [OUT2/curve.csv ...]
# With several files (several targets, e.g. the leave-one-site-out sites) the differences
# are pooled over every (target, seed): mean ± its standard error (sd / sqrt(n)); the sd
# includes the spread between targets, so the pooled SE is, if anything, too wide.
import csv, sys, math, statistics as st
acc = {}
for path in sys.argv[1:]:
    for r in csv.DictReader(open(path)):
        acc[(r['target'], r['init'], int(r['size']), int(r['seed']))] = float(r['accuracy'])
targets = sorted({k[0] for k in acc}); sizes = sorted({k[2] for k in acc})
seeds = sorted({k[3] for k in acc}); inits = {k[1] for k in acc}
print(f"targets: {', '.join(targets)}; seeds: {len(seeds)}")
for name in sorted(inits):
    means = []
    for s in sizes:
        v = [acc[(t, name, s, k)] for t in targets for k in seeds if (t, name, s, k) in acc]
        if v: means.append(f"{s}: {st.mean(v):.3f}")
    print(f"{name} mean accuracy:", ", ".join(means))
for a, b in [('pmp-rank', 'lm'), ('pmp-rank-newhead', 'lm'), ('pmp-binary', 'lm'),
             ('pmp-rank', 'scratch'), ('pmp-binary', 'scratch'), ('pmp-binary', 'pmp-rank'),
             ('pmp-rank', 'pmp-rank-newhead'), ('lm', 'scratch')]:
    if a not in inits or b not in inits: continue
    out = []
    for s in sizes:
        d = [acc[(t, a, s, k)] - acc[(t, b, s, k)] for t in targets for k in seeds
             if (t, a, s, k) in acc and (t, b, s, k) in acc]
        if len(d) > 1: out.append(f"{s}: {st.mean(d):+.3f}±{st.stdev(d) / math.sqrt(len(d)):.3f} (n={len(d)})")
    print(f"{a} − {b}:", ", ".join(out))
