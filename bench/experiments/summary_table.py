#!/usr/bin/python3
# The tables of docs/experiments.md, from pmp-curve's summary.csv (intervals of record):
#   bench/experiments/summary_table.py OUT/summary.csv [--target NAME]
# For each size: every init's accuracy with its 95 % interval, and its paired difference
# with the baseline: the bootstrap interval, the t interval (df), the estimated
# standard deviations of the components, and a verdict: "null" when the bootstrap
# interval holds 0, otherwise the sign. Nothing is recomputed here: the figures are the
# CSV's, rounded to 3 places.
import csv, sys

args = sys.argv[1:]
if not args or {"-h", "--help"} & set(args):
    print("usage: summary_table.py OUT/summary.csv [--target NAME]",
          file=sys.stdout if args else sys.stderr)
    sys.exit(0 if args else 2)
target = None
if "--target" in args:
    i = args.index("--target"); target = args[i + 1]; del args[i:i + 2]
rows = list(csv.DictReader(open(args[0])))
if target is None:
    names = [r["target"] for r in rows]
    target = "pooled" if "pooled" in names else names[0]
rows = [r for r in rows if r["target"] == target]
if not rows:
    sys.exit(f"summary_table: no rows for target {target} in {args[0]}")


def f(x):
    return "" if x == "" else f"{float(x):+.3f}"


def a(x):
    return "" if x == "" else f"{float(x):.3f}"


r0 = rows[0]
print(f"target {target}: {r0['targets']} target(s), eval pairs {r0['eval_pairs']}, "
      f"baseline {r0['baseline']}\n")
print("| size | init | runs × seeds | accuracy [95 %] | − baseline | bootstrap 95 % | t 95 % (df) "
      "| sd target / run / seed / pair | reading |")
print("|---|---|---|---|---|---|---|---|---|")
for r in sorted(rows, key=lambda r: (int(r["size"]), r["init"] != r["baseline"], r["init"])):
    d = r["diff"]
    if d == "":
        reading, diffs = ("baseline" if r["init"] == r["baseline"] else ""), ("", "", "", "")
    else:
        lo, hi = float(r["diff_lo"]), float(r["diff_hi"])
        reading = "null" if lo <= 0 <= hi else ("higher" if lo > 0 else "lower")
        diffs = (f(d), f"[{f(r['diff_lo'])}, {f(r['diff_hi'])}]",
                 f"[{f(r['diff_t_lo'])}, {f(r['diff_t_hi'])}] ({float(r['diff_df']):.1f})",
                 " / ".join(a(r[k]) or "–" for k in ("sd_target", "sd_rep", "sd_seed", "sd_pair")))
    print(f"| {r['size']} | {r['init']} | {r['replicates']} × {r['seeds']} | {a(r['accuracy'])} "
          f"[{a(r['accuracy_lo'])}, {a(r['accuracy_hi'])}] | {diffs[0]} | {diffs[1]} | {diffs[2]} "
          f"| {diffs[3]} | {reading} |")
notes = sorted({r["note"] for r in rows if r.get("note")})
for n in notes:
    print(f"\nNote: {n}")
