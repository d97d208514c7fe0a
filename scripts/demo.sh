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
  for f in samples/stackexchange/*Posts.xml*; do
    step "extract: StackExchange ($f)"
    "$BIN/pmp-extract" stackexchange "$f" > "$OUT/stackexchange.jsonl"
  done
fi
if has_source reddit && [ -d samples/reddit ]; then
  rc=$(ls samples/reddit/RC_* | head -1); rs=$(ls samples/reddit/RS_* 2>/dev/null | head -1 || true)
  step "extract: Reddit ($rc${rs:+ + $rs})"
  "$BIN/pmp-extract" reddit ${rs:+--submissions "$rs"} "$rc" > "$OUT/reddit.jsonl"
fi
if has_source wikipedia && [ -d samples/wikipedia ]; then
  for f in samples/wikipedia/*; do
    step "extract: Wikipedia reverts ($f)"
    "$BIN/pmp-extract" wikipedia "$f" > "$OUT/wikipedia.jsonl"
  done
fi

cat "$OUT"/*.jsonl > "$OUT/all-groups.jsonl"
printf '\n%s groups from samples/ in %s\n' "$(wc -l < "$OUT/all-groups.jsonl")" "$OUT/all-groups.jsonl"

if [ -x "$BIN/pmp-bpe" ] && [ -f samples/tokenizer/tokenizer.json ]; then
  step "tokenize one context with the sample tokenizer"
  head -1 "$OUT/hh.jsonl" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.readline())["context"]))' \
    | "$BIN/pmp-bpe" encode --tokenizer samples/tokenizer/tokenizer.json --jsonl - | cut -c1-200
fi
if [ -x "$BIN/pmp-tokenize" ] && [ -f samples/tokenizer/tokenizer.json ]; then
  step "pmp-tokenize: groups -> shards"
  "$BIN/pmp-tokenize" --tokenizer samples/tokenizer/tokenizer.json -o "$OUT/shards" "$OUT/all-groups.jsonl"
  "$BIN/pmp-shard" info "$OUT/shards"
fi
if [ -x "$BIN/pmp-train" ] && [ -d "$OUT/shards" ]; then
  step "pmp-train: a few steps of a tiny preference model"
  "$BIN/pmp-train" --data "$OUT/shards" --objective rank --model tiny --steps 20 --out "$OUT/run"
fi
printf '\ndemo finished: outputs in %s\n' "$OUT"
