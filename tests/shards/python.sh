#!/bin/bash
# The Python reader (formats/python/pmp_shards.py) against the input groups, an
# independent Python statement of the pairing policy, `pmp-bpe encode` for the
# token ids and truncation, and `pmp-shard cat`. Skips without python3 + numpy.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import numpy' 2>/dev/null || { echo "skip: no python3 with numpy"; exit 77; }
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
gen_groups 600 9 > "$T/in.jsonl"
A=(-q -t "$T/tok.tiktoken" --shard-size 64K)
"$BIN/pmp-tokenize" "${A[@]}" --max-pairs-per-group 0 --time-rule --min-score-gap 3 \
    --max-context-tokens 20 --max-response-tokens 15 -o "$T/trunc" "$T/in.jsonl" || fail "tokenize trunc"
"$BIN/pmp-tokenize" "${A[@]}" --max-pairs-per-group 0 -o "$T/all" "$T/in.jsonl" || fail "tokenize all"
"$BIN/pmp-tokenize" "${A[@]}" --max-pairs-per-group 2 -o "$T/cap" "$T/in.jsonl" || fail "tokenize cap"
"$BIN/pmp-shard" cat -q "$T/all" > "$T/all.cat" || fail cat
gen_groups 3000 4 > "$T/big.jsonl"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" -o "$T/big" "$T/big.jsonl" || fail "tokenize big"
PYTHONPATH="$PMP_SRC/formats/python" $PY "$(dirname "$0")/test_python.py" "$T" "$BIN" || fail "python checks"
echo ok
