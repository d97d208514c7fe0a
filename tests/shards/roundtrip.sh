#!/bin/bash
# Round trips: pmp-extract -> pmp-tokenize -> pmp-shard cat gives back the input
# groups byte for byte (samples/hh, synthetic groups with UTF-8, escapes, meta,
# created_utc, optional ids); --split partitions the groups; merge, head, info,
# stats; 1 and 2 threads (and any batch size) give identical bytes.
. "$(dirname "$0")/lib.sh"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
TOK=(-t "$T/tok.tiktoken")

# 1. samples/hh
"$BIN/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > "$T/hh.jsonl" || fail extract
[ -s "$T/hh.jsonl" ] || fail "no groups from the sample"
"$BIN/pmp-tokenize" -q "${TOK[@]}" -o "$T/hh" "$T/hh.jsonl" || fail "tokenize hh"
"$BIN/pmp-shard" cat -q "$T/hh" > "$T/hh.cat" || fail "cat hh"
cmp "$T/hh.jsonl" "$T/hh.cat" || fail "hh sample round trip differs"
# stdin and compressed input give the same shards
gzip -c "$T/hh.jsonl" | "$BIN/pmp-tokenize" -q "${TOK[@]}" -o "$T/hh-gz" - || fail "tokenize stdin"
cmp "$T/hh/shard-000000.pmps" "$T/hh-gz/shard-000000.pmps" || fail "stdin/gzip input differs"

# 2. synthetic groups, several shards, with an eval split
gen_groups 2000 3 > "$T/in.jsonl"
A=(-q "${TOK[@]}" --shard-size 96K --max-pairs-per-group 0 --split eval=0.2)
"$BIN/pmp-tokenize" "${A[@]}" -j 1 -o "$T/j1" "$T/in.jsonl" || fail "tokenize -j1"
"$BIN/pmp-tokenize" "${A[@]}" -j 2 --batch 7 -o "$T/j2" "$T/in.jsonl" || fail "tokenize -j2"
tree_sums "$T/j1" > "$T/s1"; tree_sums "$T/j2" > "$T/s2"
cmp "$T/s1" "$T/s2" || fail "1 and 2 threads (batch 7) differ"
[ "$(grep -c 'shard-' "$T/s1")" -ge 4 ] || fail "expected several shards"
"$BIN/pmp-shard" verify -q "$T/j1" "$T/j1/eval" || fail verify
"$BIN/pmp-shard" cat -q "$T/j1" > "$T/train.cat" || fail "cat train"
"$BIN/pmp-shard" cat -q "$T/j1/eval" > "$T/eval.cat" || fail "cat eval"
ntr=$(wc -l < "$T/train.cat"); nev=$(wc -l < "$T/eval.cat")
[ $((ntr + nev)) -eq 2000 ] || fail "split lost groups: $ntr + $nev"
[ "$nev" -gt 300 ] && [ "$nev" -lt 500 ] || fail "eval fraction off: $nev of 2000"
# each split keeps input order; together they are the input
awk 'NR == FNR { ev[$0] = 1; next } !($0 in ev)' "$T/eval.cat" "$T/in.jsonl" > "$T/train.want"
awk 'NR == FNR { ev[$0] = 1; next } ($0 in ev)' "$T/eval.cat" "$T/in.jsonl" > "$T/eval.want"
cmp "$T/train.want" "$T/train.cat" || fail "train split is not the input minus eval, in order"
cmp "$T/eval.want" "$T/eval.cat" || fail "eval split is not in input order"
# the same ids go to eval whatever else is in the input (hash of the id)
head -n 500 "$T/in.jsonl" | "$BIN/pmp-tokenize" "${A[@]}" -o "$T/part" - || fail "tokenize part"
"$BIN/pmp-shard" cat -q "$T/part/eval" > "$T/part.cat"
cmp "$T/part.cat" <(head -n "$(wc -l < "$T/part.cat")" "$T/eval.cat") || fail "split is not by id"

# 3. head, merge, info, stats
"$BIN/pmp-shard" head -q -n 3 "$T/j1" > "$T/head" || fail head
cmp "$T/head" <(head -n 3 "$T/train.cat") || fail "head -n 3"
"$BIN/pmp-shard" merge -q "$T/j1" "$T/j1/eval" -o "$T/merged" || fail merge
"$BIN/pmp-shard" verify -q "$T/merged" || fail "merged does not verify"
"$BIN/pmp-shard" cat -q "$T/merged" | cmp - <(cat "$T/train.cat" "$T/eval.cat") || fail "merged content"
"$BIN/pmp-shard" merge -q "$T/j1" "$T/hh" -o "$T/merged2" 2>/dev/null || fail "merge with same tokenizer"
"$BIN/pmp-shard" info "$T/j1" | grep -q "groups: $ntr " || fail "info: group count"
"$BIN/pmp-shard" stats "$T/j1" | grep -q "pairs per group: groups=$ntr" || fail "stats"
# a different tokenizer cannot be merged
head -n 262 "$T/tok.tiktoken" > "$T/other.tiktoken"
"$BIN/pmp-tokenize" -q -t "$T/other.tiktoken" -o "$T/other" "$T/hh.jsonl" || fail "tokenize other"
"$BIN/pmp-shard" merge -q "$T/j1" "$T/other" -o "$T/bad" 2>/dev/null && fail "merged different tokenizers"

# 4. bad input: a clear error with file:line, or skipped with --skip-bad
{ head -n 3 "$T/in.jsonl"; echo '{"source":"x"'; tail -n 2 "$T/in.jsonl"; } > "$T/bad.jsonl"
"$BIN/pmp-tokenize" -q "${TOK[@]}" -o "$T/bad1" "$T/bad.jsonl" 2> "$T/err" && fail "bad line accepted"
grep -q "bad.jsonl:4" "$T/err" || fail "error does not name file:line: $(cat "$T/err")"
"$BIN/pmp-tokenize" -q "${TOK[@]}" --skip-bad -o "$T/bad2" "$T/bad.jsonl" || fail "--skip-bad"
[ "$("$BIN/pmp-shard" cat "$T/bad2" | wc -l)" -eq 5 ] || fail "--skip-bad kept the wrong groups"
grep -q '"bad_lines": 1' "$T/bad2/manifest.json" || fail "bad_lines not counted"
echo ok
