#!/bin/sh
# The exported GPT-2 safetensors, loaded by an independent torch implementation,
# reproduces pmp's rewards. Skips (77) without /usr/bin/python3 + torch + numpy.
set -eu
/usr/bin/python3 -c "import torch, numpy" 2>/dev/null || { echo "skip: no torch"; exit 77; }
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 320 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json -o shards groups.jsonl
"$B/pmp-train" --layers 2 --heads 4 --width 64 --context 64 --batch-pairs 4 --steps 15 --lr 1e-3 \
  --data shards --out run -q
"$B/pmp-train" export run -o model.safetensors --config-out config.json -q
"$B/pmp-train" score run --data shards --tokens -q > scores.jsonl
/usr/bin/python3 "$PMP_SRC/tests/trainer/torch_rewards.py" model.safetensors config.json scores.jsonl
# The held-out LM loss of an --objective lm run (its eval_lm_loss) equals torch's mean
# next-token loss over the eval pairs' text.
"$B/pmp-train" --layers 2 --heads 2 --width 32 --context 256 --batch-pairs 4 --steps 8 --lr 3e-3 \
  --objective lm --data shards --eval shards --out lm --json -q 2> lm.json || { cat lm.json; exit 1; }
loss=$(sed -n 's/.*"eval_lm_loss":\([0-9.e-]*\).*/\1/p' lm.json)
[ -n "$loss" ] || { echo "FAIL: no eval_lm_loss in an lm run's summary" >&2; exit 1; }
"$B/pmp-train" export lm -o lm.safetensors --config-out lm-config.json -q
"$B/pmp-train" score lm --data shards --tokens -q > lm-scores.jsonl
/usr/bin/python3 "$PMP_SRC/tests/trainer/torch_rewards.py" lm.safetensors lm-config.json lm-scores.jsonl --lm-loss "$loss"
