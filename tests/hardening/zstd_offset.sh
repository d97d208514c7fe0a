#!/bin/sh
# Issue 29: a zstd error names the frame the damage is in and where in the compressed
# file it was found (the damaged block ends in that window of at most 128 KiB). Before:
# the offset of whichever input chunk was being decoded ("offset 0" for a flip at byte
# 257,649 of a file read in one chunk), without saying which frame.
. "$PMP_SRC/tests/hardening/lib.sh"
command -v zstd > /dev/null || { echo "no zstd program: skipped"; exit 77; }
gen_groups 20000 5 > text.jsonl
zstd -q -3 text.jsonl -o one.zst
# two frames: the damage goes in the second
head -n 10000 text.jsonl | zstd -q -3 > two.zst
first=$(wc -c < two.zst)
tail -n +10001 text.jsonl | zstd -q -3 >> two.zst
for f in one two; do
    size=$(wc -c < $f.zst)
    [ $f = one ] && at=$((size / 2)) || at=$((first + (size - first) / 2))
    cp $f.zst bad.zst
    printf '\000\377\000' | dd of=bad.zst bs=1 seek=$at conv=notrunc 2>/dev/null
    expect_refused "$f: a damaged frame" "bad.zst: corrupt zstd data in the frame at compressed byte offset" \
        "$B/pmp-bpe" train -q --vocab-size 300 -o t.json bad.zst
    frame=$(sed -n 's/.*frame at compressed byte offset \([0-9]*\), found at bytes \([0-9]*\)\.\.\([0-9]*\).*/\1/p' err.txt)
    lo=$(sed -n 's/.*found at bytes \([0-9]*\)\.\.\([0-9]*\).*/\1/p' err.txt)
    hi=$(sed -n 's/.*found at bytes \([0-9]*\)\.\.\([0-9]*\).*/\2/p' err.txt)
    [ -n "$frame" ] && [ -n "$hi" ] || fail "$f: unreadable message: $(cat err.txt)"
    want=0; [ $f = two ] && want=$first
    [ "$frame" -eq $want ] || fail "$f: frame $frame, the damage is in the frame at $want"
    [ $at -le "$hi" ] && [ $at -ge $((lo - 131072)) ] ||
        fail "$f: damage at $at is not in the block that ends in $lo..$hi"
done
echo "zstd: the frame and the window of the damaged block named"
