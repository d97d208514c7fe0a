#!/bin/sh
# Issue 29: a merge that fails leaves no OUT, and a directory merged with itself is
# refused. Before: `pmp-shard merge -o OUT good bad` with a flipped byte in bad's eval
# shard exited 1 but left OUT/manifest.json complete (`verify OUT` exited 0) and
# OUT/eval with a shard and no manifest; the same on a full disk; merging one
# directory with itself eight times was accepted (every group x8).
. "$PMP_SRC/tests/hardening/lib.sh"
setup_shards
pairs() { sed -n 's/^    "pairs": \([0-9]*\),*$/\1/p' "$1/manifest.json" | head -1; }
# a flipped byte in the middle of other/eval's first shard (a block's payload)
cp -r other bad
f=bad/eval/shard-000000.pmps
printf '\377' | dd of="$f" bs=1 seek=$(( $(wc -c < "$f") / 3 )) conv=notrunc 2>/dev/null
expect_refused "merge with a damaged input" "bad/eval/shard-000000.pmps" "$B/pmp-shard" merge -q shards bad -o out
[ ! -e out ] || fail "a failed merge left out/ (verify says: $("$B/pmp-shard" verify out 2>&1))"
ls -a | grep -q merge && fail "a failed merge left its temporary directory: $(ls -a)"
# a full disk at each durable step of the merge: no OUT, the file named
k=1
while [ $k -le 16 ]; do
    rm -rf out
    if PMP_FAULT=enospc@$k "$B/pmp-shard" merge -q shards other -o out 2> err.txt; then
        [ $k -gt 8 ] || fail "enospc@$k: merge exited 0"
        break    # past the last durable step: the merge went through
    fi
    grep -q "No space left on device" err.txt || fail "enospc@$k: $(cat err.txt)"
    grep -q "shard-\|manifest\|out\.merge" err.txt || fail "enospc@$k: the error names no file: $(cat err.txt)"
    [ ! -e out ] || fail "enospc@$k: a failed merge left out/"
    k=$((k + 1))
done
[ $k -gt 8 ] || fail "the ENOSPC loop ended early"
# killed at any durable step: no OUT either
k=1
while [ $k -le 16 ]; do
    rm -rf out
    PMP_FAULT=kill@$k "$B/pmp-shard" merge -q shards other -o out 2>/dev/null &
    wait $! && break
    [ ! -e out ] || fail "kill@$k: a killed merge left out/"
    k=$((k + 1))
done
# the merge that succeeds is whole
rm -rf out; "$B/pmp-shard" merge -q shards other -o out || fail "merge of good inputs"
"$B/pmp-shard" verify -q out out/eval || fail "the merged directory does not verify"
[ "$(pairs out)" -eq $(( $(pairs shards) + $(pairs other) )) ] || fail "merged pairs do not add up"
# the same directory twice, or a copy of it: refused unless --allow-duplicates
expect_refused "the same directory twice" "same shard" "$B/pmp-shard" merge -q shards shards -o dup
[ ! -e dup ] || fail "a refused merge left dup/"
cp -r shards copy
expect_refused "a copy of a directory" "same shard" "$B/pmp-shard" merge -q other shards copy -o dup
"$B/pmp-shard" merge -q --allow-duplicates shards shards -o dup || fail "--allow-duplicates"
[ "$(pairs dup)" -eq $(( 2 * $(pairs shards) )) ] || fail "--allow-duplicates: pairs"
echo "merge: damaged input, ENOSPC and kill -9 leave no OUT; duplicates refused"
