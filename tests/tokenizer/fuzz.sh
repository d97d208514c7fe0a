#!/bin/sh
# Builds fuzz_bpe.c with clang's libFuzzer (+ASan/UBSan) straight from the
# sources and runs it for FUZZ_SECONDS (default 60). Skips (77) without clang
# or the shared data. Seeds: the hard cases.
set -eu
: "${PMP_SRC:?}" "${PMP_SHARED:?}" "${PMP_TMP:?}"
command -v clang >/dev/null 2>&1 || exit 77
[ -f "$PMP_SHARED/bpe/cl100k_base.tiktoken" ] || exit 77
mkdir -p "$PMP_TMP/corpus"
cd "$PMP_TMP"
S="$PMP_SRC"
clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -std=gnu17 \
    -DPMP_SHARED_DATA="\"$PMP_SHARED\"" -I"$S/common" -I"$S/pipeline" -I"$S/tokenizer" \
    "$S/tests/tokenizer/fuzz_bpe.c" "$S"/tokenizer/vocab.c "$S"/tokenizer/pattern.c \
    "$S"/tokenizer/bytelevel.c "$S"/tokenizer/encode.c "$S"/tokenizer/load.c "$S"/tokenizer/save.c \
    "$S"/common/*.c \
    $(pkg-config --cflags --libs libpcre2-8 json-c libxxhash libzstd) -lbz2 -lz -lm \
    -o fuzz_bpe
i=0
while read -r line; do
    i=$((i + 1))
    printf '\001%s' "$line" > "corpus/seed$i"
done < "$S/tests/tokenizer/hard_cases.jsonl"
./fuzz_bpe -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 corpus 2>&1 | tail -5
