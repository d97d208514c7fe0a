#!/bin/sh
# pmp-train checks every shard's size and checksum against the manifest before step 1:
# one damaged byte in the last shard (which a short run would never read) stops the
# run at its start, naming the shard, with no checkpoint written. Before: the run
# trained until it first read the damaged block, possibly hours in.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 300 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q -t tok.json --shard-size 1K -o shards groups.jsonl
last=$(ls shards/shard-*.pmps | tail -1)
[ "$(ls shards/shard-*.pmps | wc -l)" -ge 3 ] || fail "want several shards"
SMALL="--layers 1 --heads 2 --width 16 --context 64 --batch-pairs 2 --threads 1"
"$B/pmp-train" $SMALL --data shards --steps 1 --out ok -q || fail "undamaged data"
size=$(wc -c < "$last")
printf '\377' | dd of="$last" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
if "$B/pmp-train" $SMALL --data shards --steps 1 --out bad -q 2> bad.err; then fail "damaged shard accepted"; fi
grep -q "$(basename "$last")" bad.err || { cat bad.err; fail "the error does not name the damaged shard"; }
[ ! -d bad/checkpoints ] || [ -z "$(ls bad/checkpoints)" ] || fail "a checkpoint was written from damaged data"
# a truncated shard: named with its size
cp -r shards trunc; head -c $((size - 10)) "$last" > "trunc/$(basename "$last")"
if "$B/pmp-train" $SMALL --data trunc --steps 1 --out t -q 2> t.err; then fail "truncated shard accepted"; fi
grep -q "bytes, the manifest says" t.err || { cat t.err; fail "unclear error for a truncated shard"; }
# and the data directory that is not one
if "$B/pmp-train" $SMALL --data nonexistent --steps 1 --out n -q 2> n.err; then fail "missing --data accepted"; fi
grep -q "nonexistent: No such file or directory" n.err || { cat n.err; fail "a missing --data is not called missing"; }
echo "train: damaged, truncated and missing data stop the run before step 1"
