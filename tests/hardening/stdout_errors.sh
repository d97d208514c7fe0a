#!/bin/sh
# A failed write to stdout is an error: every program that prints (summaries, help,
# version, data) exits 1 with "<stdout>: write error" when stdout is a full disk.
# Before: `pmp-shard info DIR > /dev/full` (and stats, pair, verify, pmp-bpe info,
# every --help) exited 0.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -w /dev/full ] || { echo "skip: no /dev/full"; exit 77; }
"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 300 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q -t tok.json -o shards groups.jsonl
"$B/pmp-train" --layers 1 --heads 2 --width 16 --context 64 --batch-pairs 2 --steps 1 --threads 1 \
  --data shards --out run -q
n=0
while IFS= read -r cmd; do
  [ -n "$cmd" ] || continue
  n=$((n + 1))
  # the same command to a normal file works (so the failure below is the write)
  sh -c "$B/$cmd" > ok.out 2> ok.err || { cat ok.err; fail "'$cmd' fails on a normal file"; }
  [ -s ok.out ] || fail "'$cmd' printed nothing to stdout"
  if sh -c "$B/$cmd" > /dev/full 2> full.err; then fail "'$cmd' > /dev/full exited 0"; fi
  grep -q "<stdout>: write error" full.err || { cat full.err; fail "'$cmd' > /dev/full: no write error message"; }
done <<EOF2
pmp-shard info shards
pmp-shard stats shards
pmp-shard pair shards 0
pmp-shard verify shards
pmp-shard cat shards
pmp-shard head -n 2 shards
pmp-bpe info tok.json
pmp-bpe --help
pmp-bpe encode -t tok.json groups.jsonl
pmp-extract hh $PMP_SRC/samples/hh/sample.jsonl.gz
pmp-extract reddit --help
pmp-tokenize --version
pmp-train score run --data shards
pmp-train --help
pmp-curve --help
EOF2
echo "stdout: $n commands fail on a full stdout"
