#!/bin/sh
# The whole pipeline on samples/ (run by `make demo` after the build).
# Usage: scripts/demo.sh [BUILD_DIR]   (default: build). Output goes to BUILD_DIR/demo/.
set -eu
BUILD="${1:-build}"
BIN="$BUILD/bin"
OUT="$BUILD/demo"
rm -rf "$OUT"; mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }
has_source() { "$BIN/pmp-extract" --help 2>/dev/null | grep -q "^  $1 "; }

step "extract: hh-rlhf pairs (samples/hh/sample.jsonl.gz)"
"$BIN/pmp-extract" hh samples/hh/sample.jsonl.gz > "$OUT/hh.jsonl"
head -c 400 "$OUT/hh.jsonl"; echo " ..."

if has_source stackexchange && [ -d samples/stackexchange ]; then
  for f in samples/stackexchange/*Posts.xml* samples/stackexchange/*/Posts.xml*; do
    [ -e "$f" ] || continue
    votes="$(dirname "$f")/Votes.xml"
    [ -e "$votes" ] || votes=""
    step "extract: StackExchange ($f${votes:+, votes from $votes})"
    "$BIN/pmp-extract" stackexchange ${votes:+--votes "$votes"} "$f" >> "$OUT/stackexchange.jsonl"
  done
fi
if has_source reddit && [ -d samples/reddit ]; then
  rc=$(ls samples/reddit/RC_* 2>/dev/null | head -1 || true); rs=$(ls samples/reddit/RS_* 2>/dev/null | head -1 || true)
  if [ -n "$rc" ]; then
    step "extract: Reddit ($rc${rs:+ + $rs})"
    "$BIN/pmp-extract" reddit ${rs:+--submissions "$rs"} "$rc" > "$OUT/reddit.jsonl"
  fi
fi
if has_source wikipedia && [ -d samples/wikipedia ]; then
  for f in samples/wikipedia/*.xml*; do
    [ -e "$f" ] || continue
    step "extract: Wikipedia reverts ($f)"
    "$BIN/pmp-extract" wikipedia "$f" >> "$OUT/wikipedia.jsonl"
  done
fi

cat "$OUT"/*.jsonl > "$OUT/all-groups.jsonl"
printf '\n%s groups from samples/ in %s\n' "$(wc -l < "$OUT/all-groups.jsonl")" "$OUT/all-groups.jsonl"

if [ -x "$BIN/pmp-bpe" ]; then
  step "pmp-bpe: learn a 600-token byte-level BPE vocabulary from the sample groups"
  "$BIN/pmp-bpe" train --vocab-size 600 --special '<|endoftext|>' --groups -o "$OUT/tokenizer.json" \
    "$OUT/all-groups.jsonl"
  "$BIN/pmp-bpe" info "$OUT/tokenizer.json"
fi
if [ -x "$BIN/pmp-tokenize" ] && [ -f "$OUT/tokenizer.json" ]; then
  step "pmp-tokenize: groups -> ranked-pair shards (20% of groups held out for evaluation)"
  "$BIN/pmp-tokenize" --tokenizer "$OUT/tokenizer.json" --split eval=0.2 -o "$OUT/shards" "$OUT/all-groups.jsonl"
  "$BIN/pmp-shard" info "$OUT/shards"
  "$BIN/pmp-shard" verify "$OUT/shards"
fi
if [ -x "$BIN/pmp-train" ] && [ -d "$OUT/shards" ]; then
  step "pmp-train: 30 steps of a small preference model (rank objective), then evaluation"
  "$BIN/pmp-train" --data "$OUT/shards" --eval "$OUT/shards/eval" --objective rank \
    --layers 2 --heads 2 --width 64 --context 128 --batch-pairs 8 --steps 30 --lr 1e-3 \
    --ckpt-every 10 --out "$OUT/run"
  tail -1 "$OUT/run/log.jsonl"
  step "pmp-train export: the model as GPT-2 safetensors"
  "$BIN/pmp-train" export "$OUT/run" -o "$OUT/run/pm.safetensors" --config-out "$OUT/run/config-hf.json"
  ls -l "$OUT/run/pm.safetensors"
fi
if [ -x "$BIN/pmp-curve" ] && [ -d "$OUT/run" ]; then
  step "pmp-curve: a small sample-efficiency curve (scratch vs the model above; 3 sizes, 2 seeds)"
  rm -rf "$OUT/curve"
  "$BIN/pmp-curve" --train "$OUT/shards" --eval "$OUT/shards/eval" \
    --init scratch=scratch --init pm="$OUT/run" --sizes 0,4,16 --seeds 2 \
    --layers 2 --heads 2 --width 64 --context 128 --lr 1e-3 --min-steps 10 --jobs 2 -o "$OUT/curve"
  cat "$OUT/curve/summary.csv"
fi
printf '\ndemo finished: outputs in %s\n' "$OUT"
[ -f "$OUT/curve/curve.png" ] && printf 'the curve: %s/curve/curve.png (.svg), its numbers: %s/curve/summary.csv\n' "$OUT" "$OUT"
