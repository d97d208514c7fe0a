#!/bin/sh
# Issue 29: `-o -` means stdout where the output is one stream, and is refused where it
# is a directory or a model; never a file named "-". Before: `pmp-bpe train -o -`
# wrote a file named '-'.
. "$PMP_SRC/tests/hardening/lib.sh"
setup_shards 120
"$B/pmp-bpe" train -q --vocab-size 300 --groups -o - groups.jsonl > stdout.json || fail "pmp-bpe train -o -"
[ ! -e ./- ] || fail "pmp-bpe train -o - wrote a file named '-'"
"$B/pmp-bpe" train -q --vocab-size 300 --groups -o file.json groups.jsonl
cmp -s stdout.json file.json || fail "pmp-bpe train -o - is not the tokenizer.json"
"$B/pmp-bpe" convert -t tok.json -o - > conv.json || fail "pmp-bpe convert -o -"
[ -s conv.json ] && [ ! -e ./- ] || fail "pmp-bpe convert -o -"
check_usage() {
    what=$1; shift
    if "$@" > out.txt 2> err.txt; then fail "$what: accepted"; fi
    [ $? -eq 2 ] || true
    [ ! -e ./- ] || fail "$what: wrote a file or directory named '-'"
    grep -q -- "-o -\|--out -" err.txt || fail "$what: $(cat err.txt)"
}
check_usage "pmp-tokenize -o -" "$B/pmp-tokenize" -q -t tok.json -o - groups.jsonl
check_usage "pmp-shard merge -o -" "$B/pmp-shard" merge -q shards -o -
check_usage "pmp-train --out -" "$B/pmp-train" $SMALL --data shards --steps 1 --out - -q
"$B/pmp-train" $SMALL --data shards --steps 1 --out run -q || fail "a run to export"
check_usage "pmp-train export -o -" "$B/pmp-train" export run -o -
echo "-o -: stdout for pmp-bpe, refused for directories and models"
