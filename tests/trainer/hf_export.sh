#!/bin/sh
# `pmp-train export RUN -o DIR/`: a Hugging Face model directory. Its weights,
# read by torch in GPT2ForSequenceClassification's names with Hugging Face's
# readout (the last token that is not padding), reproduce `pmp-train score`; its
# tokenizer.json, loaded by Hugging Face tokenizers (npm, when installed), gives for
# (prompt, response) the ids pmp scored, end-of-context token appended; --init DIR
# reads it back. Also the single-file export's config.json beside the weights and
# --init-config. Skips (77) without /usr/bin/python3 + torch + numpy.
set -eu
/usr/bin/python3 -c "import torch, numpy" 2>/dev/null || { echo "skip: no torch"; exit 77; }
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 320 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json -o shards groups.jsonl
"$B/pmp-train" --layers 2 --heads 4 --width 64 --context 256 --batch-pairs 4 --steps 15 --lr 1e-3 \
  --data shards --out run -q
"$B/pmp-train" score run --data shards --tokens -q > scores.jsonl

# the directory: the tokenizer found through the run's --data
"$B/pmp-train" export run -o pm/ -q || fail "export to a directory"
for f in model.safetensors config.json tokenizer.json tokenizer_config.json; do
  [ -s "pm/$f" ] || fail "pm/$f missing"
done
/usr/bin/python3 "$PMP_SRC/tests/trainer/torch_rewards.py" --hf-dir pm scores.jsonl || fail "rewards from the directory"

if command -v node >/dev/null 2>&1 && [ -d "$PMP_SRC/bench/tokenizer/node_modules/tokenizers" ]; then
  # every pair is uncut at context 256: (prompt, chosen) must give exactly better_tokens
  "$B/pmp-shard" export shards --format trl -q > trl.jsonl
  /usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l); print(json.dumps([d["prompt"], d["chosen"]])); print(json.dumps([d["prompt"], d["rejected"]]))' \
    trl.jsonl > pairs.jsonl
  node "$PMP_SRC/tests/tokenizer/hf_encode.mjs" pm/tokenizer.json pairs.jsonl > hf_ids.txt
  /usr/bin/python3 -c '
import json, sys
ours = []
for l in open(sys.argv[1]):
    s = json.loads(l); ours += [s["better_tokens"], s["worse_tokens"]]
hf = [list(map(int, l.split())) for l in open(sys.argv[2])]
assert len(hf) == len(ours), (len(hf), len(ours))
for i, (a, b) in enumerate(zip(hf, ours)):
    if a != b: sys.exit(f"sequence {i}: Hugging Face {a[:12]}... pmp {b[:12]}...")
print(f"ok: Hugging Face tokenizers gives the {len(hf)} sequences pmp scored")' scores.jsonl hf_ids.txt \
    || fail "tokenizer.json's ids"
else
  echo "note: node or bench/tokenizer/node_modules/tokenizers absent; tokenizer.json check not run"
fi

# --init DIR reads the directory back (its padding row dropped): with lr 0 the
# weights stay, and the rewards are the run's less the left-out score bias (0 here)
"$B/pmp-train" --data shards --init pm --steps 1 --lr 0 --weight-decay 0 --out back -q 2> back.err \
  || { cat back.err; fail "--init DIR"; }
"$B/pmp-train" score back --data shards -q > back.jsonl
/usr/bin/python3 -c '
import json, sys
bias = json.load(open("pm/config.json"))["pmp_score_bias"]
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    a, b = json.loads(a), json.loads(b)
    for k in ("better", "worse"):
        if abs(a[k] - bias - b[k]) > 1e-6: sys.exit("pair %d: %r vs %r" % (a["pair"], a[k], b[k]))' scores.jsonl back.jsonl \
  || fail "--init of the directory changed the rewards"

# a tokenizer that is not the checkpoint's is refused
"$B/pmp-bpe" train -q --vocab-size 300 --special '<|endoftext|>' --groups -o other.json groups.jsonl
if "$B/pmp-train" export run -o bad/ --tokenizer other.json -q 2> bad.err; then fail "another tokenizer accepted"; fi
grep -q "is not the checkpoint's" bad.err || fail "refusal: $(cat bad.err)"
[ ! -e bad/model.safetensors ] || fail "a refused export must not leave weights"

# the single file: config.json beside it by default, --init reads both; a missing
# config names the path it tried, and --init-config points elsewhere
mkdir -p f
"$B/pmp-train" export run -o f/pm.safetensors -q
[ -s f/config.json ] || fail "export -o FILE must write config.json beside it"
mv f/config.json f/arch.json
if "$B/pmp-train" --data shards --init f/pm.safetensors --steps 1 --out i1 -q 2> i1.err; then fail "no config accepted"; fi
grep -q "f/config.json" i1.err && grep -q -- "--init-config" i1.err || fail "the error should name f/config.json and --init-config: $(cat i1.err)"
"$B/pmp-train" --data shards --init f/pm.safetensors --init-config f/arch.json --steps 1 --out i2 -q \
  || fail "--init-config"
echo ok
