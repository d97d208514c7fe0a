#!/bin/sh
# cl100k_base and o200k_base written as tokenizer.json by pmp-bpe convert:
# Hugging Face tokenizers (npm) loads them and gives the ids tiktoken gives
# (the committed references) on the hard cases, ordinary and with specials.
# Skips without node, the npm package, or the shared data.
set -eu
: "${PMP_BIN:?}" "${PMP_SRC:?}" "${PMP_SHARED:?}" "${PMP_TMP:?}"
T="$PMP_SRC/tests/tokenizer"
command -v node >/dev/null 2>&1 || exit 77
[ -d "$PMP_SRC/bench/tokenizer/node_modules/tokenizers" ] || exit 77
[ -f "$PMP_SHARED/bpe/cl100k_base.tiktoken" ] || exit 77
mkdir -p "$PMP_TMP"
cd "$PMP_TMP"
for enc in gpt2 cl100k o200k; do
    case $enc in gpt2) src="$PMP_SHARED/bpe/gpt2" ;; *) src="$PMP_SHARED/bpe/${enc}_base.tiktoken" ;; esac
    "$PMP_BIN/pmp-bpe" convert -q -t "$src" -o $enc.json
    node "$T/hf_encode.mjs" $enc.json "$T/hard_cases.jsonl" > hf.txt
    awk -F'\t' -v e=$enc '$1==e && $2=="s" {print $4}' "$T/ref_hard.tsv" > want.txt
    if ! cmp -s hf.txt want.txt; then
        echo "FAIL: $enc: Hugging Face ids on our tokenizer.json differ from tiktoken: $(cmp hf.txt want.txt)"
        exit 1
    fi
    echo "ok: $enc.json in Hugging Face tokenizers = tiktoken on $(wc -l < want.txt) hard cases"
done
