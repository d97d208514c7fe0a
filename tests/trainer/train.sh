#!/bin/sh
# End-to-end: pmp-train on shards made from samples/ — learning signal, exact resume
# after kill -9 at several moments, damaged-checkpoint fallback, export determinism
# and the GPT-2 import/export round trip.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
hash_of() { sed -n 's/.*"params_xxh64":"\([0-9a-f]*\)".*/\1/p' "$1"; }

"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 320 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json -o shards groups.jsonl
SMALL="--layers 2 --heads 2 --width 32 --context 64 --batch-pairs 4 --threads 2 --seed 7"

# Uninterrupted reference run.
"$B/pmp-train" $SMALL --data shards --steps 40 --ckpt-every 5 --out ref --json -q 2> ref.json \
  || { cat ref.json; fail "reference run"; }
H=$(hash_of ref.json); [ -n "$H" ] || fail "no params hash"
[ "$(grep -c '"loss"' ref/log.jsonl)" -eq 40 ] || fail "log.jsonl must have 40 step lines"
first=$(head -1 ref/log.jsonl | sed 's/.*"loss":\([0-9.e-]*\).*/\1/')
last=$(sed -n '40p' ref/log.jsonl | sed 's/.*"loss":\([0-9.e-]*\).*/\1/')
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "loss did not go down ($first -> $last)"

# kill -9 at several moments, then --resume until done: same final checkpoint bytes.
for delay in 0.05 0.3 0.7 1.2; do
  rm -rf run
  "$B/pmp-train" $SMALL --data shards --steps 40 --ckpt-every 5 --out run -q 2>/dev/null &
  pid=$!; sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  "$B/pmp-train" $SMALL --data shards --steps 40 --ckpt-every 5 --out run --resume --json -q 2> res.json \
    || { cat res.json; fail "resume after kill at ${delay}s"; }
  [ "$(hash_of res.json)" = "$H" ] || fail "weights differ after kill at ${delay}s and resume"
  cmp -s ref/checkpoints/step-000000040 run/checkpoints/step-000000040 \
    || fail "final checkpoint bytes differ after kill at ${delay}s"
  [ "$(grep -c '"loss"' run/log.jsonl)" -eq 40 ] || fail "resumed log must read as one run"
done

# `--resume --out RUN` alone: the flags come from RUN/args.json (the run's own, without
# -q/--json/--resume); a flag given now that the run cannot take is refused, as typed.
rm -rf run
"$B/pmp-train" $SMALL --data shards --steps 40 --ckpt-every 5 --out run -q 2>/dev/null &
pid=$!; sleep 0.5; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
grep -q '"--seed","7"' run/args.json || fail "args.json must hold the run's flags"
grep -q -- '"-q"' run/args.json && fail "args.json must not hold -q"
"$B/pmp-train" --resume --out run -q || fail "--resume --out RUN alone"
cmp -s ref/checkpoints/step-000000040 run/checkpoints/step-000000040 \
  || fail "--resume with the flags from args.json changed the weights"
if "$B/pmp-train" --resume --out run --lr 0.5 -q 2> lr.err; then fail "--resume with another --lr accepted"; fi
grep -q -- "started with --lr 0.0003, now --lr 0.5" lr.err || fail "the refusal should name --lr as typed: $(cat lr.err)"

# --init says what it loaded, and a shape flag that contradicts the init is refused
"$B/pmp-train" --data shards --init ref --reset-head --steps 1 --out init1 2> init1.err || fail "--init ref"
grep -q "initialised from ref (its checkpoint of step 40): 2 layers, 2 heads, width 32, context 64" init1.err \
  || fail "--init should say what it loaded: $(cat init1.err)"
rc=0; "$B/pmp-train" --data shards --init ref --layers 3 --heads 2 --width 32 --context 64 --steps 1 --out init2 -q 2> init2.err || rc=$?
[ $rc -eq 2 ] || fail "--init with another --layers: expected a usage error (exit 2), got $rc"
grep -q "asks for 3, 2, 32, 64" init2.err || fail "the refusal should name both shapes: $(cat init2.err)"
"$B/pmp-train" $SMALL --data shards --init ref --steps 1 --out init3 -q || fail "--init with the same shape flags"

# Results do not depend on the thread count: killed with 2 threads, resumed with 1.
rm -rf run
"$B/pmp-train" $SMALL --data shards --steps 40 --ckpt-every 5 --out run -q 2>/dev/null &
pid=$!; sleep 0.5; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
ONE=$(echo "$SMALL" | sed 's/--threads 2/--threads 1/')
"$B/pmp-train" $ONE --data shards --steps 40 --ckpt-every 5 --out run --resume -q
cmp -s ref/checkpoints/step-000000040 run/checkpoints/step-000000040 \
  || fail "resuming with 1 thread a run started with 2 changed the weights"

# The other objectives train and evaluate on the same shards (eval = the training pairs).
for obj in "binary --binarize" imitation lm; do
  "$B/pmp-train" $SMALL --data shards --eval shards --objective $obj --steps 12 --lr 3e-3 \
    --out "obj-$(echo $obj | tr -d ' -')" --json -q 2> obj.json || { cat obj.json; fail "--objective $obj"; }
  grep -q '"eval_accuracy":' obj.json || fail "--objective $obj: no evaluation"
done

# --out with missing parents creates them; --steps 0 only evaluates (an lm run: its
# held-out loss, near ln(V) for random weights, lower after the 12 steps above).
"$B/pmp-train" $SMALL --data shards --eval shards --objective lm --steps 0 --out deep/er/lm0 --json -q \
  2> lm0.json || { cat lm0.json; fail "--steps 0 into a new nested --out"; }
[ -f deep/er/lm0/config.json ] || fail "nested --out not created"
grep -q '"steps":0,' lm0.json || fail "--steps 0 trained"
"$B/pmp-train" $SMALL --data shards --eval shards --objective lm --steps 0 --init obj-lm --out lm12 --json -q 2> lm12.json
V=$(sed -n 's/.*"vocab_size": *\([0-9]*\).*/\1/p' shards/manifest.json | head -1)
l0=$(sed -n 's/.*"eval_lm_loss":\([0-9.e-]*\).*/\1/p' lm0.json)
l12=$(sed -n 's/.*"eval_lm_loss":\([0-9.e-]*\).*/\1/p' lm12.json)
awk -v a="$l0" -v b="$l12" -v v="$V" 'BEGIN { d = a - log(v); exit !(v > 0 && d < 0.1 && d > -0.1 && b < a - 0.1) }' \
  || fail "held-out lm loss: $l0 at random init (ln V = ln $V), $l12 after 12 steps"
if "$B/pmp-train" $SMALL --data shards --steps 0 --out noeval -q 2>/dev/null; then fail "--steps 0 without --eval accepted"; fi

# Gradient accumulation: 2 equal micro-batches run; unequal ones are refused.
"$B/pmp-train" $SMALL --data shards --steps 3 --micro-batches 2 --out micro -q || fail "--micro-batches 2"
if "$B/pmp-train" $SMALL --data shards --steps 3 --micro-batches 3 --out micro3 -q 2> micro3.err; then
  fail "--batch-pairs 4 with --micro-batches 3 accepted"
fi
grep -q "multiple of --micro-batches" micro3.err || fail "unclear micro-batch error"

# Without --resume, a run directory with checkpoints is refused.
if "$B/pmp-train" $SMALL --data shards --steps 40 --out ref -q 2> refuse.err; then fail "reused --out accepted"; fi
grep -q -- "--resume" refuse.err || fail "refusal must suggest --resume"

# A damaged newest checkpoint: resume uses the previous one, says so, ends the same.
"$B/pmp-train" $SMALL --data shards --steps 20 --ckpt-every 5 --out short --json -q 2> short.json
cp -r short dmg
printf 'X' | dd of=dmg/checkpoints/step-000000020 bs=1 seek=5000 conv=notrunc 2>/dev/null
"$B/pmp-train" $SMALL --data shards --steps 20 --ckpt-every 5 --out dmg --resume --json 2> dmg.json
grep -q "skipping damaged checkpoint" dmg.json || fail "no message about the damaged checkpoint"
grep -q '"start_step":15' dmg.json || fail "should resume from step 15"
[ "$(hash_of dmg.json)" = "$(hash_of short.json)" ] || fail "resume from the previous checkpoint differs"

# Export: deterministic bytes; GPT-2 import then export with lr 0 gives the same file.
"$B/pmp-train" export ref -o a.safetensors --config-out config.json -q
"$B/pmp-train" export ref/checkpoints/step-000000040 -o b.safetensors -q
cmp -s a.safetensors b.safetensors || fail "export is not deterministic"
mkdir -p hf && cp a.safetensors hf/model.safetensors && cp config.json hf/config.json
"$B/pmp-train" --data shards --init hf/model.safetensors --steps 1 --lr 0 --warmup 0 --batch-pairs 4 \
  --threads 2 --out reimport -q
"$B/pmp-train" export reimport -o c.safetensors -q
cmp -s a.safetensors c.safetensors || fail "GPT-2 import/export round trip changed the weights"
# Evaluation against an independent count: the eval accuracy of the reference run equals
# the share of pairs where `pmp-train score` (one pair at a time, nothing shared) puts
# the better response above the worse (after 1 step: 6 of the 7 pairs, so a wrong
# count shows); vs_longer is accuracy - longer_wins.
"$B/pmp-train" $SMALL --data shards --eval shards --steps 1 --out evrun --json -q 2> ev.json \
  || { cat ev.json; fail "run with --eval"; }
"$B/pmp-train" score evrun --data shards > scores.jsonl || fail "score"
# Each score line names its pair's group and responses: the same as pmp-shard pair finds
# through the shard index for that pair number.
for k in $(seq 0 $(( $(wc -l < scores.jsonl) - 1 ))); do "$B/pmp-shard" pair shards $k; done > pairs.jsonl
/usr/bin/python3 - ev.json scores.jsonl pairs.jsonl <<'PY' || fail "evaluation disagrees with pmp-train score"
import json, math, sys
ev = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
sc = [json.loads(l) for l in open(sys.argv[2])]
pr = [json.loads(l) for l in open(sys.argv[3])]
n = len(sc)
assert n > 0, "no scores"
acc = sum(1 if s["better"] > s["worse"] else 0.5 if s["better"] == s["worse"] else 0 for s in sc) / n   # ties ½
assert abs(acc - ev["eval_accuracy"]) < 1e-6, ("accuracy", ev["eval_accuracy"], "vs scored", acc)
assert abs(ev["eval_accuracy"] - ev["longer_wins_accuracy"] - ev["eval_vs_longer"]) < 1e-6, "vs_longer"
assert 0 < ev["eval_vs_longer_se"] < 1.5 / math.sqrt(n), "vs_longer_se implausible"
for s, p in zip(sc, pr):
    assert s["pair"] == p["pair"] and s["group"] == p["group"], (s, p)
    assert s["better_index"] == p["better"] and s["worse_index"] == p["worse"], (s, p)
    assert "better_id" in s and "worse_id" in s
print("score: %d pairs, ids agree with pmp-shard pair" % n)
PY
# --max-pairs: a seeded whole-group subsample (the rule itself: test_train_data). The
# summary says what was used; resume continues on the same subsample (killed and
# resumed = uninterrupted), and refuses to continue without it or with another seed.
SUB="$SMALL --data shards --steps 12 --ckpt-every 3 --max-pairs 3 --subsample-seed 5"
"$B/pmp-train" $SUB --out sub --json -q 2> sub.json || { cat sub.json; fail "--max-pairs"; }
grep -q '"train_pairs":3,' sub.json || fail "--max-pairs 3: train_pairs should be 3"
grep -q '"train_groups":3,' sub.json || fail "--max-pairs 3 on one-pair groups: train_groups should be 3"
grep -q '"max_pairs":3' sub/config.json || fail "config.json must record max_pairs"
rm -rf subk; cp -r sub subk; rm subk/checkpoints/step-000000012 subk/checkpoints/step-000000009
"$B/pmp-train" $SUB --out subk --resume --json -q 2> subk.json || { cat subk.json; fail "--max-pairs resume"; }
grep -q '"start_step":6' subk.json || fail "--max-pairs resume should start at step 6"
[ "$(hash_of subk.json)" = "$(hash_of sub.json)" ] || fail "--max-pairs: resumed weights differ"
# (a run without RUN/args.json, as before it existed: the flags given are all there is)
rm -rf subna; cp -r sub subna; rm subna/args.json
if "$B/pmp-train" $SMALL --data shards --steps 12 --ckpt-every 3 --out subna --resume -q 2> subr.err; then
  fail "resume without --max-pairs accepted"; fi
grep -q -- "--max-pairs 3, now --max-pairs (not given)" subr.err || fail "unclear error when --max-pairs is dropped on resume: $(cat subr.err)"
if "$B/pmp-train" $SUB --subsample-seed 6 --out sub --resume -q 2>/dev/null; then
  fail "resume with another --subsample-seed accepted"; fi
echo "train: all checks passed"
