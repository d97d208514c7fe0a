#!/bin/sh
# Issue 29: every "No space left on device" names the file being written. Before:
# `pmp-shard export -o FILE` onto a full disk said "writing the export failed: No space
# left on device", naming nothing. Needs a small tmpfs (root); skipped without one.
. "$PMP_SRC/tests/hardening/lib.sh"
setup_shards 120
mkdir full
mount -t tmpfs -o size=48k tmpfs full 2>/dev/null || { echo "cannot mount a small tmpfs: skipped"; exit 77; }
trap 'umount "$T/full" 2>/dev/null' EXIT
nospace() {   # WHAT FILE-PATTERN CMD...
    what=$1; pat=$2; shift 2
    rm -rf full/* full/.[!.]* 2>/dev/null || true
    if "$@" > /dev/null 2> err.txt; then fail "$what: exit 0 on a full disk"; fi
    grep -q "No space left on device" err.txt || fail "$what: $(cat err.txt)"
    grep -q "$pat" err.txt || fail "$what: the file is not named: $(cat err.txt)"
}
nospace "pmp-shard export -o" "full/x.jsonl" "$B/pmp-shard" export --format trl -o full/x.jsonl shards
nospace "pmp-shard merge" "full/.*shard-0" "$B/pmp-shard" merge -q shards -o full/m
gen_groups 3000 4 > many.jsonl
nospace "pmp-tokenize" "full/t/" "$B/pmp-tokenize" -q -t tok.json --shard-size 64K -o full/t many.jsonl
head -c 200000 /dev/urandom | base64 > big.txt
nospace "pmp-bpe train" "full/tok.json" "$B/pmp-bpe" train -q --vocab-size 2000 -o full/tok.json big.txt
"$B/pmp-train" --layers 2 --heads 2 --width 64 --context 64 --batch-pairs 2 --threads 1 --data shards \
    --steps 1 --out run -q || fail "a run to export"
nospace "pmp-train export" "full/hf/" "$B/pmp-train" export run -o full/hf
nospace "pmp-train" "full/r/" "$B/pmp-train" --layers 2 --heads 2 --width 64 --context 64 --batch-pairs 2 \
    --threads 1 --data shards --steps 1 --out full/r -q
echo "a full disk: every error names its file"
