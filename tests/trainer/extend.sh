#!/bin/sh
# `pmp-train --resume --steps N` extends a run (docs/train.md, "Extending a run"): the lr of
# every step against the re-planned cosine computed here in Python, a kill -9 during the
# extension resumed byte-identical, and the refusals.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x $PY ] || { echo "skip: no /usr/bin/python3"; exit 77; }

"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 320 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json -o shards groups.jsonl
SMALL="--layers 2 --heads 2 --width 32 --context 64 --batch-pairs 4 --threads 2 --seed 7"

# 40 steps, then extended to 100, then to 300 with --resume --out RUN alone + --steps
"$B/pmp-train" $SMALL --data shards --steps 40 --ckpt-every 10 --out run -q || fail "first 40 steps"
"$B/pmp-train" --resume --out run --steps 100 2> ext.err || { cat ext.err; fail "extension to 100"; }
grep -q "extending the run from 40 to 100 steps" ext.err || fail "the extension should say so: $(cat ext.err)"
"$B/pmp-train" --resume --out run --steps 300 -q || fail "extension to 300"
grep -q '"steps":300,"steps_plan":\[40,100,300\]' run/config.json || fail "config.json: $(cat run/config.json)"
[ "$(grep -c '"loss"' run/log.jsonl)" -eq 300 ] || fail "the log should read as one run of 300 steps"

# every step's lr: warmup 2 (5% of the first plan), cosine to 0 over the plan of the
# first end above the step (the lr is logged as the float32 the optimizer used)
$PY - run/log.jsonl <<'EOF' || fail "lr schedule"
import json, math, struct, sys
f32 = lambda x: struct.unpack("f", struct.pack("f", x))[0]
lr, warm, ends = f32(3e-4), 2, [40, 100, 300]
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "loss" not in d:
        continue
    t = d["step"] - 1                     # the optimizer's step count before this update
    total = next(e for e in ends if t < e)
    if t < warm:
        want = lr * (t + 1) / warm
    else:
        want = 0.5 * lr * (1 + math.cos(math.pi * (t - warm) / (total - warm)))
    if abs(d["lr"] - want) > 1e-6 * lr + 1e-5 * want:
        sys.exit(f"step {d['step']}: lr {d['lr']}, expected {want} (plan ending {total})")
EOF

# kill -9 during an extension, then --resume --out RUN alone: args.json now says
# --steps 300, and the result is the uninterrupted extension's bytes
for delay in 0.3 1.0; do
  rm -rf k
  "$B/pmp-train" $SMALL --data shards --steps 40 --ckpt-every 10 --out k -q
  "$B/pmp-train" --resume --out k --steps 100 -q
  "$B/pmp-train" --resume --out k --steps 300 -q 2>/dev/null &
  pid=$!; sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  "$B/pmp-train" --resume --out k -q || fail "resume of the extension after kill at ${delay}s"
  cmp -s run/checkpoints/step-000000300 k/checkpoints/step-000000300 \
    || fail "extension killed at ${delay}s and resumed: checkpoint bytes differ"
  [ "$(grep -c '"loss"' k/log.jsonl)" -eq 300 ] || fail "the resumed extension's log should have 300 steps"
done

# refusals: a smaller --steps (exit 2, naming both), and a changed --lr as typed
rc=0; "$B/pmp-train" --resume --out run --steps 50 -q 2> short.err || rc=$?
[ $rc -eq 2 ] || fail "a smaller --steps: expected exit 2, got $rc"
grep -q "planned for 300 steps, now --steps 50" short.err || fail "refusal: $(cat short.err)"
if "$B/pmp-train" --resume --out run --steps 400 --lr 0.001 -q 2> lr.err; then fail "--lr change accepted"; fi
grep -q "started with --lr 0.0003, now --lr 0.001" lr.err || fail "refusal: $(cat lr.err)"
grep -q '"steps":300,' run/config.json || fail "a refused extension must leave config.json as it was"
# the same --steps again: nothing to do, the weights stay
"$B/pmp-train" --resume --out run -q || fail "resume of a finished extended run"
echo "ok"
