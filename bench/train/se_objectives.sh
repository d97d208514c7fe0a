#!/bin/sh
# Training runs on the shared StackExchange dumps: extract -> GPT-2 tokens -> shards
# (10% eval split) -> a tiny model with each objective. Prints per objective: steps/s,
# tokens/s, final eval accuracy and the longer-wins baseline on the same pairs.
# STEPS (default 400), THREADS (default 2) and BATCH (default 16) override.
set -eu
SE="$PMP_SHARED/stackexchange"
[ -d "$SE" ] || { echo "skip: $SE absent"; exit 77; }
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
STEPS="${STEPS:-400}"; THREADS="${THREADS:-2}"; BATCH="${BATCH:-16}"
for f in "$SE"/*Posts.xml; do "$B/pmp-extract" stackexchange -q "$f"; done > se.jsonl
"$B/pmp-tokenize" -q --tokenizer "$PMP_SHARED/bpe/gpt2" --max-context-tokens 64 \
  --split eval=0.1 -o shards se.jsonl
printf 'groups %s; train: %s; eval: %s\n' "$(wc -l < se.jsonl)" \
  "$("$B/pmp-shard" info shards | grep -m1 'pairs:' | sed 's/^ *//')" \
  "$("$B/pmp-shard" info shards/eval | grep -m1 'pairs:' | sed 's/^ *//')"
printf '%-22s %8s %10s %9s %12s\n' objective steps/s tokens/s accuracy longer_wins
for obj in "rank" "binary --binarize" "imitation"; do
  name=$(echo "$obj" | tr -d ' -')
  "$B/pmp-train" --data shards --eval shards/eval --objective $obj --model tiny --context 128 \
    --steps "$STEPS" --batch-pairs "$BATCH" --lr 1e-3 --threads "$THREADS" --ckpt-every 0 \
    --out "run-$name" --json -q 2> "run-$name.json"
  j="run-$name.json"
  get() { sed -n "s/.*\"$1\":\([0-9.e-]*\).*/\1/p" "$j"; }
  printf '%-22s %8.3f %10.0f %9.3f %12.3f\n' "$obj" "$(get steps_per_s)" "$(get tokens_per_s)" \
    "$(get eval_accuracy)" "$(get longer_wins_accuracy)"
done
