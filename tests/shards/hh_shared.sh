#!/bin/bash
# The shared hh-rlhf file with the real GPT-2 tokenizer: extract -> tokenize ->
# cat equals the extracted groups byte for byte; 1 and 2 threads identical;
# every group has exactly one pair (chosen over rejected).
. "$(dirname "$0")/lib.sh"
HH=$SHARED/hhh/hh-rlhf-harmless-base-test.jsonl.gz
GPT2=$SHARED/bpe/gpt2
[ -f "$HH" ] && [ -d "$GPT2" ] || { echo "skip: no shared data"; exit 77; }
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
"$BIN/pmp-extract" hh -q "$HH" > "$T/hh.jsonl" || fail extract
n=$(wc -l < "$T/hh.jsonl")
for j in 1 2; do
    "$BIN/pmp-tokenize" -q -t "$GPT2" -j $j --shard-size 512K -o "$T/j$j" "$T/hh.jsonl" || fail "tokenize -j$j"
done
diff -r "$T/j1" "$T/j2" || fail "1 and 2 threads differ"
"$BIN/pmp-shard" verify -q "$T/j1" || fail verify
"$BIN/pmp-shard" cat -q "$T/j1" | cmp - "$T/hh.jsonl" || fail "round trip differs"
grep -q "\"groups\": $n," "$T/j1/manifest.json" || fail "group count"
grep -q "\"pairs\": $n," "$T/j1/manifest.json" || fail "pair count (one per group)"
echo "ok: $n groups"
