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
/usr/bin/python3 "$PMP_SRC/tests/train/torch_rewards.py" model.safetensors config.json scores.jsonl
