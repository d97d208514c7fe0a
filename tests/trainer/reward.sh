#!/bin/sh
# Reward training as TRL/OpenRLHF users know it (docs/train.md, "Reward-model handles"):
# --margin from the shards' scores, --center-rewards, the reward statistics in the log,
# config.json and `score --normalize`; each checked against an independent computation
# in Python from the groups' own scores and the rewards `pmp-train score` prints.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
python3 "$PMP_SRC/tests/trainer/reward_groups.py" stackexchange 5 24 > g.jsonl
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

# --center-rewards C: the same step adds C * mean (r_b + r_w)^2 (TRL's form); the step's
# log line has the reward distribution of the step's sequences and pairs.
"$B/pmp-train" $SMALL --data shards --batch-pairs "$P" --steps 1 --lr 0 --center-rewards 0.5 --out c -q \
  || fail "--center-rewards"
grep -q '"center_rewards":0.5' c/config.json || fail "config.json must record --center-rewards"
"$B/pmp-train" score c --data shards -q > c.jsonl
python3 - c.jsonl c/log.jsonl <<'PY' || fail "--center-rewards loss or the step's reward statistics"
import json, math, statistics, sys
pairs = [json.loads(l) for l in open(sys.argv[1])]
step = json.loads(open(sys.argv[2]).readline())
rank = sum(math.log1p(math.exp(-(p["better"] - p["worse"]))) for p in pairs) / len(pairs)
center = sum((p["better"] + p["worse"]) ** 2 for p in pairs) / len(pairs)
r = [x for p in pairs for x in (p["better"], p["worse"])]
want = {"loss": rank + 0.5 * center, "center": center, "reward_mean": statistics.mean(r),
        "reward_std": statistics.stdev(r), "reward_min": min(r), "reward_max": max(r),
        "margin": statistics.mean(p["better"] - p["worse"] for p in pairs),
        "accuracy": sum(p["better"] > p["worse"] for p in pairs) / len(pairs)}
bad = [k for k, v in want.items() if not abs(step[k] - v) <= 1e-5 * max(1.0, abs(v))]
print("step 1:", {k: (round(step[k], 6), round(v, 6)) for k, v in want.items()})
sys.exit(1 if bad else 0)
PY

# The eval's reward statistics (each evaluation, and the end), export's config.json
# "mean"/"std" (OpenRLHF's names) and `score --normalize`.
"$B/pmp-train" $SMALL --data shards --eval shards --batch-pairs 8 --steps 4 --eval-every 2 --lr 1e-3 \
  --center-rewards 0.01 --out e -q || fail "training with --eval"
[ "$(grep -c '"reward_std"' e/log.jsonl)" -eq 6 ] || fail "4 step lines and 2 eval lines must carry reward_std"
"$B/pmp-train" score e --data shards -q > e.jsonl
"$B/pmp-train" score e --data shards --normalize -q > en.jsonl
"$B/pmp-train" export e -o e.safetensors --config-out e-config.json -q
"$B/pmp-train" export e -o e-hf/ -q
python3 - e.jsonl en.jsonl e/log.jsonl e-config.json e-hf/config.json <<'PY' || fail "eval reward statistics, export or --normalize"
import json, statistics, sys
pairs = [json.loads(l) for l in open(sys.argv[1])]
norm = [json.loads(l) for l in open(sys.argv[2])]
ev = [json.loads(l) for l in open(sys.argv[3]) if '"eval"' in l][-1]
cfg, hf = json.load(open(sys.argv[4])), json.load(open(sys.argv[5]))
r = [x for p in pairs for x in (p["better"], p["worse"])]
mean, std = statistics.mean(r), statistics.stdev(r)
close = lambda a, b, t=2e-5: abs(a - b) <= t * max(1.0, abs(b))
ok = ev["step"] == 4 and close(ev["reward_mean"], mean) and close(ev["reward_std"], std)
ok = ok and close(ev["reward_min"], min(r)) and close(ev["reward_max"], max(r))
ok = ok and close(cfg["mean"], ev["reward_mean"]) and close(cfg["std"], ev["reward_std"])
# the HF directory's head has no bias: its rewards, and so its mean, are pmp's minus it
ok = ok and close(hf["mean"], ev["reward_mean"] - hf["pmp_score_bias"]) and close(hf["std"], cfg["std"])
for p, q in zip(pairs, norm):
    ok = ok and close(q["better"], (p["better"] - cfg["mean"]) / cfg["std"], 1e-4)
    ok = ok and close(q["worse"], (p["worse"] - cfg["mean"]) / cfg["std"], 1e-4)
print(f"eval step 4: reward mean {ev['reward_mean']} std {ev['reward_std']} (python {mean:.6f} {std:.6f}); "
      f"config.json mean {cfg['mean']} std {cfg['std']}")
sys.exit(0 if ok else 1)
PY
rc=0; "$B/pmp-train" score c --data shards --normalize -q > /dev/null 2> n.err || rc=$?
[ $rc -eq 2 ] && grep -q "records no reward mean" n.err || fail "--normalize without eval statistics: $rc $(cat n.err)"

# TensorBoard (RUN/tb/): killed (PMP_FAULT) while writing the step-8 checkpoint, with
# half a record cut off the event file's end, then resumed from step 4: the independent
# reader (tests/trainer/tb_read.py) finds every checksum good, steps 1..12 once each, and
# every scalar equal to the log.jsonl line of its step.
TB="$SMALL --data shards --eval shards --batch-pairs 8 --steps 12 --eval-every 5 --ckpt-every 4 --lr 1e-3"
(PMP_FAULT=kill@40 "$B/pmp-train" $TB --out tb -q 2>/dev/null) 2>/dev/null && fail "PMP_FAULT=kill@40 did not stop the run"
[ -f tb/checkpoints/step-000000004 ] && [ ! -f tb/checkpoints/step-000000008 ] || fail "expected the kill between checkpoints 4 and 8"
[ "$(grep -c '"step":[5-8],' tb/log.jsonl)" -ge 4 ] || fail "steps past the checkpoint must have been logged before the kill"
ev=$(ls tb/tb/events.out.tfevents.*)
truncate -s -7 "$ev"
"$B/pmp-train" --resume --out tb -q || fail "resume"
# Debian's python3, where python3-protobuf is (the reader cross-checks with it when there)
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" "$PMP_SRC/tests/trainer/tb_read.py" tb --tsv tb.tsv || fail "TensorBoard events after a resume"
echo "reward.sh: ok"
