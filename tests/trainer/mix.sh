#!/bin/sh
# --data DIR[:WEIGHT] repeated (docs/train.md, "Mixing sources"): without weights, or
# with weights equal to the sources' sizes, the run is the union, byte for byte the run on
# `pmp-shard merge` of the same directories; with weights, each source's share of the
# pairs drawn (log.jsonl source_pairs) is within binomial tolerance of its weight; a run
# killed at several moments and resumed ends with the uninterrupted run's checkpoint
# bytes; config.json records the sources, and --resume refuses other weights.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
hash_of() { sed -n 's/.*"params_xxh64":"\([0-9a-f]*\)".*/\1/p' "$1"; }
python3 "$PMP_SRC/tests/trainer/reward_groups.py" stackexchange 5 24 > a.jsonl
python3 "$PMP_SRC/tests/trainer/reward_groups.py" reddit 21 40 > b.jsonl
cat a.jsonl b.jsonl > ab.jsonl
"$B/pmp-bpe" train -q --vocab-size 300 --special '<|endoftext|>' --groups -o tok.json ab.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json -o A a.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json -o Bd b.jsonl
"$B/pmp-shard" merge A Bd -o AB -q
na=$(python3 -c "import json; print(json.load(open('A/manifest.json'))['stats']['pairs'])")
nb=$(python3 -c "import json; print(json.load(open('Bd/manifest.json'))['stats']['pairs'])")
SMALL="--layers 2 --heads 2 --width 32 --context 64 --threads 1 --seed 3 --batch-pairs 8"

# the union: no weights, and weights equal to the sizes, are the merged directory
"$B/pmp-train" $SMALL --data AB --steps 30 --out merged --json -q 2> merged.json || fail "merged run"
"$B/pmp-train" $SMALL --data A --data Bd --steps 30 --out union --json -q 2> union.json || fail "union run"
"$B/pmp-train" $SMALL --data A:$na --data Bd:$nb --steps 30 --out sized --json -q 2> sized.json || fail "sized run"
H=$(hash_of merged.json); [ -n "$H" ] || fail "no hash"
[ "$(hash_of union.json)" = "$H" ] || fail "--data A --data B is not the merged directory's run"
[ "$(hash_of sized.json)" = "$H" ] || fail "--data A:|A| --data B:|B| is not the merged directory's run"
grep -q '"mixture":"union"' sized/config.json || fail "config.json must say union"

# weighted 3:1 over 150 steps x 8 = 1200 draws: source A's share within 4 binomial sd of 3/4
"$B/pmp-train" $SMALL --data A:3 --data Bd:1 --steps 150 --out w --json -q 2> w.json || fail "weighted run"
grep -q '"data_sources":\[{"dir":"A","weight":3,"pairs":'"$na"'},{"dir":"Bd","weight":1,"pairs":'"$nb"'}\]' w/config.json \
  || fail "config.json must record the sources: $(cat w/config.json)"
python3 - w/log.jsonl <<'PY' || fail "proportions"
import json, math, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
prev = [0, 0]
for l in lines:   # cumulative, and each step adds exactly the batch
    assert sum(l["source_pairs"]) == 8 * l["step"], l
    assert all(c >= p for c, p in zip(l["source_pairs"], prev))
    prev = l["source_pairs"]
a, b = lines[-1]["source_pairs"]
n, p = a + b, 0.75
z = (a - n * p) / math.sqrt(n * p * (1 - p))
print(f"weighted 3:1: source A drew {a} of {n} ({a / n:.4f}, expected 0.75, {z:+.2f} sd)")
sys.exit(0 if abs(z) <= 4 else 1)
PY

# killed (PMP_FAULT) at several moments, resumed: the uninterrupted run's bytes
W="$SMALL --data A:3 --data Bd:1 --steps 40 --ckpt-every 5"
"$B/pmp-train" $W --out ref -q || fail "reference"
for n in 25 40 55 70; do
  rm -rf run
  (PMP_FAULT=kill@$n "$B/pmp-train" $W --out run -q 2>/dev/null) 2>/dev/null || true
  [ ! -f run/checkpoints/step-000000040 ] || fail "kill@$n came after the end"
  "$B/pmp-train" --resume --out run -q || fail "resume after kill@$n"
  cmp -s ref/checkpoints/step-000000040 run/checkpoints/step-000000040 || fail "checkpoint bytes differ after kill@$n"
  cmp -s ref/log.jsonl run/log.jsonl 2>/dev/null || \
    [ "$(sed 's/"ms":[0-9.]*//' ref/log.jsonl)" = "$(sed 's/"ms":[0-9.]*//' run/log.jsonl)" ] \
    || fail "the resumed log (source_pairs included) differs after kill@$n"
done
rc=0; "$B/pmp-train" --resume --out run --data A:1 --data Bd:1 --steps 41 -q 2> rw.err || rc=$?
[ $rc -ne 0 ] && grep -q -- "--data" rw.err || fail "--resume with other weights must be refused: $(cat rw.err)"
rc=0; "$B/pmp-train" $SMALL --data A:3 --data Bd --steps 1 --out bad -q 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "weights on some sources only must be a usage error, got $rc"
rc=0; "$B/pmp-train" $SMALL --data A:0 --steps 1 --out bad -q 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "weight 0 must be a usage error, got $rc"
echo "mix.sh: ok"
