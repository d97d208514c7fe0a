#!/bin/bash
# Damage detection: flipping any single byte of a shard (every header, block
# header, index and footer byte, and a spread of payload bytes) makes
# `pmp-shard verify` fail naming the shard, and the block when the byte lies in
# one; truncating or extending the file is caught too.
. "$(dirname "$0")/lib.sh"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
gen_groups 3000 21 > "$T/in.jsonl"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" -o "$T/d" "$T/in.jsonl" || fail "tokenize"
S=$T/d/shard-000000.pmps
cp "$S" "$T/pristine"
"$BIN/pmp-shard" verify -q "$T/d" || fail "pristine shard does not verify"
SIZE=$(stat -c %s "$S")

u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
FOOT=$((SIZE - 96))
NB=$(u64 "$S" $((FOOT + 16)))
IOFF=$(u64 "$S" $((FOOT + 24)))
[ "$NB" -ge 3 ] || fail "expected a shard with several blocks, got $NB"
declare -a BOFF BEND
for ((b = 0; b < NB; b++)); do
    e=$((IOFF + 48 * b))
    BOFF[$b]=$(u64 "$S" "$e")
    BEND[$b]=$((BOFF[b] + 24 + $(u32 "$S" $((e + 12)))))
done

block_of() {   # block index holding byte $1, or -1
    local b
    for ((b = 0; b < NB; b++)); do
        if [ "$1" -ge "${BOFF[b]}" ] && [ "$1" -lt "${BEND[b]}" ]; then echo $b; return; fi
    done
    echo -1
}

OFFS=$( (seq 0 15; seq "${BOFF[0]}" $((BOFF[0] + 23)); seq "${BOFF[NB-1]}" $((BOFF[NB-1] + 23))
         seq "$IOFF" $((IOFF + 47)); seq $((IOFF + 48 * (NB - 1))) $((SIZE - 1))
         awk -v n="$SIZE" 'BEGIN { for (i = 0; i < 60; i++) print int(n * i / 60) + 7 }') | sort -nu)
# The original value of every chosen byte, read once.
declare -A VAL
while read -r o v; do VAL[$o]=$v; done < <(od -An -v -tu1 -w1 "$S" |
    awk 'NR == FNR { want[$1 + 1] = 1; next } (FNR in want) { print FNR - 1, $1 }' <(echo "$OFFS" | tr ' ' '\n') -)
put() { printf "\\$(printf %03o "$2")" | dd of="$S" bs=1 seek="$1" conv=notrunc status=none; }
count=0
for off in $OFFS; do
    [ -n "${VAL[$off]:-}" ] || continue
    put "$off" $((VAL[$off] ^ 255))
    if "$BIN/pmp-shard" verify -q "$T/d" 2> "$T/err"; then fail "flip at byte $off not detected"; fi
    put "$off" "${VAL[$off]}"
    grep -q "shard-000000.pmps" "$T/err" || fail "flip at $off: message does not name the shard: $(cat "$T/err")"
    b=$(block_of "$off")
    if [ "$b" -ge 0 ]; then
        grep -q "block $b\b" "$T/err" || fail "flip at $off (block $b): message does not name the block: $(cat "$T/err")"
    fi
    count=$((count + 1))
done
cmp -s "$S" "$T/pristine" || fail "the flips were not undone"
[ $count -ge 250 ] || fail "only $count offsets tested"
echo "byte flips detected: $count (of $SIZE bytes, $NB blocks)"

for cut in 0 10 16 100 $((SIZE / 2)) $((SIZE - 96)) $((SIZE - 1)); do
    cp "$T/pristine" "$S"
    truncate -s "$cut" "$S"
    if "$BIN/pmp-shard" verify -q "$T/d" 2> "$T/err"; then fail "truncation to $cut bytes not detected"; fi
    grep -q "shard-000000.pmps" "$T/err" || fail "truncation: message: $(cat "$T/err")"
done
cp "$T/pristine" "$S"
printf x >> "$S"
"$BIN/pmp-shard" verify -q "$T/d" 2>/dev/null && fail "an appended byte was not detected"
cp "$T/pristine" "$S"
rm "$S"
"$BIN/pmp-shard" verify -q "$T/d" 2>/dev/null && fail "a missing shard was not detected"
cp "$T/pristine" "$S"
"$BIN/pmp-shard" verify -q "$T/d" || fail "restored shard does not verify"
echo ok
