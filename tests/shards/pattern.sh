#!/bin/bash
# Shards made with --pattern (a pre-tokenisation pattern other than the tokenizer
# file's own) are read by every program through the one manifest -> tokenizer loader:
# pmp-shard decodes them, pmp-train trains on them (with and without --tokenizer),
# pmp-tokenize --resume continues them without repeating --pattern; a tokenizer that
# is not the shards' own is refused by name.
. "$(dirname "$0")/lib.sh"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
gen_groups 120 5 > "$T/in.jsonl"
ARGS=(-q -t "$T/tok.tiktoken" --pattern cl100k --shard-size 16K --split eval=0.25)

"$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/ref" "$T/in.jsonl" || fail "tokenize with --pattern"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" -o "$T/default" "$T/in.jsonl" || fail "tokenize"
grep -q '"pattern": *"cl100k"' "$T/ref/manifest.json" || fail "manifest does not record the pattern"
id_pat=$(sed -n 's/.*"identity": *"\([^"]*\)".*/\1/p' "$T/ref/manifest.json" | head -1)
id_def=$(sed -n 's/.*"identity": *"\([^"]*\)".*/\1/p' "$T/default/manifest.json" | head -1)
[ -n "$id_pat" ] && [ "$id_pat" != "$id_def" ] || fail "the pattern should change the identity ($id_pat vs $id_def)"

# pmp-shard decodes back to the input texts
"$BIN/pmp-shard" verify -q "$T/ref" "$T/ref/eval" || fail "verify"
"$BIN/pmp-shard" cat "$T/ref" > "$T/cat.jsonl" || fail "pmp-shard cat"
[ -s "$T/cat.jsonl" ] || fail "pmp-shard cat printed nothing"

# pmp-train trains on them, with the recorded path and with --tokenizer
TRAIN=(-q --layers 1 --heads 2 --width 16 --context 64 --batch-pairs 4 --steps 2 --threads 1)
"$BIN/pmp-train" "${TRAIN[@]}" --data "$T/ref" --eval "$T/ref/eval" --out "$T/run1" ||
    fail "pmp-train on --pattern shards"
# (both evaluate: a checkpoint keeps the last evaluation's reward statistics)
"$BIN/pmp-train" "${TRAIN[@]}" --data "$T/ref" --eval "$T/ref/eval" --tokenizer "$T/tok.tiktoken" --out "$T/run2" ||
    fail "pmp-train --tokenizer on --pattern shards"
cmp -s "$T/run1/checkpoints/step-000000002" "$T/run2/checkpoints/step-000000002" ||
    fail "the two runs should end with the same checkpoint"

# another tokenizer is refused, naming the mismatch
head -n 260 "$T/tok.tiktoken" > "$T/other.tiktoken"
if "$BIN/pmp-train" "${TRAIN[@]}" --data "$T/ref" --tokenizer "$T/other.tiktoken" --out "$T/run3" 2> "$T/err"; then
    fail "pmp-train accepted another tokenizer"
fi
grep -q "is not the one the shards were made with" "$T/err" || { cat "$T/err"; fail "mismatch message"; }
if "$BIN/pmp-shard" cat -t "$T/other.tiktoken" "$T/ref" > /dev/null 2> "$T/err"; then
    fail "pmp-shard accepted another tokenizer"
fi
grep -q "is not the one the shards were made with" "$T/err" || { cat "$T/err"; fail "pmp-shard mismatch message"; }

# --resume without --pattern continues the same run byte for byte, once the run's
# manifest exists (before that, nothing records the pattern: the options must be repeated)
tree_sums "$T/ref" > "$T/ref.sums"
"$BIN/pmp-tokenize" "${ARGS[@]}" --json -o "$T/ops" "$T/in.jsonl" 2> "$T/ops.json"
OPS=$(sed -n 's/.*"io_ops":\([0-9]*\).*/\1/p' "$T/ops.json")
[ "${OPS:-0}" -gt 30 ] || fail "expected a run with many I/O calls, got '$OPS'"
K=$((OPS * 2 / 3))
PMP_FAULT=kill@$K "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/res" "$T/in.jsonl" 2>/dev/null &
wait $! && fail "kill@$K did not kill"
[ -e "$T/res/manifest.json" ] || fail "expected a manifest before kill@$K"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --shard-size 16K --split eval=0.25 --resume \
    -o "$T/res" "$T/in.jsonl" || fail "resume without --pattern"
tree_sums "$T/res" > "$T/res.sums"
cmp -s "$T/ref.sums" "$T/res.sums" || { diff "$T/ref.sums" "$T/res.sums" | head; fail "resumed run differs"; }
# ... and --resume with a contradicting --pattern is refused
if "$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --pattern gpt2 --shard-size 16K --split eval=0.25 \
    --resume -o "$T/res" "$T/in.jsonl" 2> "$T/err"; then
    fail "resume with another pattern accepted"
fi
grep -q "not the one the shards were made with" "$T/err" || { cat "$T/err"; fail "resume mismatch message"; }
echo "pattern shards: ok"
