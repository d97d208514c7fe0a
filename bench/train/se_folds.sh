#!/bin/sh
# 5-fold cross-validation on the shared StackExchange dumps: for each fold of
# `--split eval=0.2,fold=K` (contexts cut to 32 tokens, GPT-2 tokens), a small model
# trained with the rank objective, its eval accuracy next to the longer-wins
# baseline on the same pairs, then the independent text-only logistic regressions
# of text_baseline.py on the same folds. One 10% eval split has ~350 correlated
# pairs and its baseline swings by +-0.05 between folds; compare on all five.
# STEPS (default 200), THREADS (default 2) and MODEL (pmp-train model flags) override.
set -eu
SE="$PMP_SHARED/stackexchange"
[ -d "$SE" ] || { echo "skip: $SE absent"; exit 77; }
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
STEPS="${STEPS:-200}"; THREADS="${THREADS:-2}"
MODEL="${MODEL:---layers 2 --heads 2 --width 64 --context 512 --lr 3e-3}"
for f in "$SE"/*Posts.xml; do "$B/pmp-extract" stackexchange -q "$f"; done > se.jsonl
printf '%-6s %6s %9s %12s %8s\n' fold pairs accuracy longer_wins steps/s
for k in 0 1 2 3 4; do
  "$B/pmp-tokenize" -q --tokenizer "$PMP_SHARED/bpe/gpt2" --max-context-tokens 32 \
    --split "eval=0.2,fold=$k" -o "fold$k" se.jsonl
  # shellcheck disable=SC2086
  "$B/pmp-train" --data "fold$k" --eval "fold$k/eval" --objective rank $MODEL \
    --steps "$STEPS" --batch-pairs 16 --threads "$THREADS" --ckpt-every 0 \
    --out "run$k" --json -q 2> "run$k.json"
  get() { sed -n "s/.*\"$1\":\([0-9.e-]*\).*/\1/p" "run$k.json"; }
  printf '%-6s %6s %9.3f %12.3f %8.2f\n' "$k" "$(get eval_pairs)" "$(get eval_accuracy)" \
    "$(get longer_wins_accuracy)" "$(get steps_per_s)"
done | tee folds.txt
awk '{a += $3; l += $4; n++} END {printf "%-6s %6s %9.3f %12.3f\n", "mean", "", a / n, l / n}' folds.txt
if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  echo
  echo "text-only logistic regressions on the same folds (bench/train/text_baseline.py):"
  /usr/bin/python3 "$PMP_SRC/bench/train/text_baseline.py" fold0 fold1 fold2 fold3 fold4
fi
