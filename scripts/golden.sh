#!/bin/bash
# Runs every stage on ../shared/data with one build's programs and prints a sha256 per
# output, so two builds (before and after a restructuring) can be compared byte for byte:
#   scripts/golden.sh OLD_BUILD/bin /tmp/old > old.sha; scripts/golden.sh build/bin /tmp/new > new.sha
#   diff old.sha new.sha
# Every output is written and named relative to OUT (the programs run inside it), so
# manifests, their manifest_xxh64 and run/args.json read the same whatever OUT is;
# only wall-clock times are normalised before hashing.
set -euo pipefail
BIN="$(cd "$1" && pwd)"; OUT="$2"
DATA="$(cd "${3:-$(dirname "$0")/../../shared/data}" 2>/dev/null && pwd)" ||
  { echo "golden: no shared data at ${3:-../shared/data}" >&2; exit 77; }
rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT"; OUT=.
export OMP_NUM_THREADS=2
q() { "$@" 2>>"$OUT/stderr.log"; }

# extract, every source
q "$BIN/pmp-extract" hh "$DATA/hhh/hh-rlhf-harmless-base-test.jsonl.gz" > "$OUT/hh.jsonl"
for site in beer.stackexchange.com-2020 dba.meta.stackexchange.com quantumcomputing.stackexchange.com-2018; do
  q "$BIN/pmp-extract" stackexchange --votes "$DATA/stackexchange/$site-Votes.xml" \
    "$DATA/stackexchange/$site-Posts.xml" > "$OUT/se-$site.jsonl"
done
for site in cardano.stackexchange.com coffee.stackexchange.com-2015 datascience.meta.stackexchange.com; do
  q "$BIN/pmp-extract" stackexchange "$DATA/stackexchange/$site-Posts.xml" > "$OUT/se-$site.jsonl"
done
q "$BIN/pmp-extract" reddit "$DATA/reddit/RC_2005-12.zst" > "$OUT/reddit-2005-12.jsonl"
q "$BIN/pmp-extract" reddit "$DATA/reddit/RC_2006-01.zst" > "$OUT/reddit-2006-01.jsonl"
for f in "$DATA"/wikipedia/*; do
  q "$BIN/pmp-extract" wikipedia "$f" > "$OUT/wiki-$(basename "$f").jsonl"
done
q "$BIN/pmp-extract" wikipedia --list-reverts "$DATA/wikipedia/enwiki-Anarchism-history-2010.xml.zst" \
  > "$OUT/wiki-list-reverts.tsv"
q "$BIN/pmp-extract" reddit --json -q "$DATA/reddit/RC_2005-12.zst" > /dev/null 2> "$OUT/reddit-stats.json"
cat "$OUT"/se-*.jsonl "$OUT"/reddit-*.jsonl "$OUT"/wiki-*.jsonl > "$OUT/pmp.jsonl"

# tokenizer: train, encode, decode, info
q "$BIN/pmp-bpe" train --vocab-size 2000 --special '<|endoftext|>' --groups -o "$OUT/tok.json" "$OUT/pmp.jsonl"
head -c 200000 "$OUT/hh.jsonl" > "$OUT/text.txt"
q "$BIN/pmp-bpe" encode -t "$DATA/bpe/gpt2" "$OUT/text.txt" > "$OUT/gpt2.ids"
q "$BIN/pmp-bpe" encode -t "$DATA/bpe/cl100k_base.tiktoken" "$OUT/text.txt" > "$OUT/cl100k.ids"
q "$BIN/pmp-bpe" decode -t "$DATA/bpe/gpt2" "$OUT/gpt2.ids" > "$OUT/gpt2.decoded"
q "$BIN/pmp-bpe" info "$OUT/tok.json" > "$OUT/tok.info"

# shards
q "$BIN/pmp-tokenize" -q -t "$OUT/tok.json" --split eval=0.1 --max-context-tokens 64 -o "$OUT/shards" "$OUT/pmp.jsonl"
q "$BIN/pmp-tokenize" -q -t "$DATA/bpe/gpt2" --split eval=0.2,fold=1 -o "$OUT/hh-shards" "$OUT/hh.jsonl"
q "$BIN/pmp-tokenize" -q -t "$DATA/bpe/gpt2" --pattern cl100k -o "$OUT/pattern-shards" "$OUT/hh.jsonl"
q "$BIN/pmp-shard" info "$OUT/shards" > "$OUT/shard-info.txt"
q "$BIN/pmp-shard" stats "$OUT/shards" > "$OUT/shard-stats.txt"
q "$BIN/pmp-shard" verify "$OUT/hh-shards" > "$OUT/shard-verify.txt"
q "$BIN/pmp-shard" cat "$OUT/hh-shards" | head -n 50 > "$OUT/shard-cat.jsonl" || true

# train a few steps, export, score
q "$BIN/pmp-train" -q --data "$OUT/shards" --eval "$OUT/shards/eval" --layers 2 --heads 2 --width 64 \
  --context 128 --batch-pairs 8 --steps 12 --ckpt-every 6 --eval-every 6 --threads 2 --out "$OUT/run"
q "$BIN/pmp-train" -q --data "$OUT/shards" --binarize --objective binary --layers 1 --heads 2 --width 32 \
  --context 128 --batch-pairs 4 --steps 6 --threads 2 --out "$OUT/run-bin"
q "$BIN/pmp-train" export "$OUT/run" -o "$OUT/pm.safetensors" --config-out "$OUT/pm-config.json"
q "$BIN/pmp-train" score "$OUT/run" --data "$OUT/shards/eval" --pairs 40 > "$OUT/scores.jsonl"

# Manifests, info lines and logs carry wall-clock times: 0 before hashing.
norm() { sed -E \
  -e 's#"(ms|seconds|mb_per_s|peak_rss_mb|steps_per_s|tokens_per_s|pairs_per_s)":[0-9.e+-]+#"\1":0#g' "$1" > "$1.norm"; rm "$1"; }
for f in $(find . -name manifest.json -o -name log.jsonl -o -name config.json | sort) \
         shard-info.txt shard-verify.txt reddit-stats.json; do norm "$f"; done
# RUN/tb/ is named and stamped by the wall clock and host (TensorBoard's convention);
# its scalars are log.jsonl's, which is hashed
find . -type f ! -name stderr.log ! -name '*.tmp' ! -path '*/tb/*' | sort | xargs sha256sum
