# lib.sh — sourced by the tests/hardening scripts of issue 29: a fresh $PMP_TMP as the
# working directory, fail(), a small model's flags, and setup_shards, which writes
# groups.jsonl (synthetic groups, tests/shards/lib.sh), tok.json and shards/ (with
# shards/eval) in several shards, plus other/: the same tokenizer on other groups.
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
. "$PMP_SRC/tests/shards/lib.sh"
set -eu
cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
SMALL="--layers 1 --heads 2 --width 16 --context 64 --batch-pairs 2 --threads 1"
setup_shards() {
    gen_groups "${1:-300}" 3 > groups.jsonl
    gen_groups 120 11 > groups2.jsonl
    "$B/pmp-bpe" train -q --vocab-size 300 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
    "$B/pmp-tokenize" -q -t tok.json --shard-size 4K --split eval=0.2 -o shards groups.jsonl
    "$B/pmp-tokenize" -q -t tok.json --shard-size 4K --split eval=0.2 -o other groups2.jsonl
    [ "$(ls shards/shard-*.pmps | wc -l)" -ge 3 ] || fail "setup: want several shards"
}
# expect_refused WHAT PATTERN CMD...: CMD must exit non-zero with PATTERN on stderr.
expect_refused() {
    what=$1; pat=$2; shift 2
    if "$@" > out.txt 2> err.txt; then fail "$what: accepted (exit 0): $*"; fi
    grep -q -- "$pat" err.txt || fail "$what: no '$pat' in the error: $(cat err.txt)"
}
