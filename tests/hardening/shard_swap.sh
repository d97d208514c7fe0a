#!/bin/sh
# Issue 29: a shard copied in from another directory is refused by every reader before
# its first record, naming the shard (the manifest's per-shard size, counts and
# index_xxh64 against the shard's footer). Before: verify and train refused it, but
# `cat`, `head`, `pair` and `export` exited 0 and printed the other directory's data.
. "$PMP_SRC/tests/hardening/lib.sh"
setup_shards
cp -r shards s
cp other/shard-000001.pmps s/shard-000001.pmps
for cmd in "info" "verify" "cat" "head -n 1" "stats"; do
    expect_refused "$cmd" "s/shard-000001.pmps" "$B/pmp-shard" $cmd s
done
expect_refused "pair" "s/shard-000001.pmps" "$B/pmp-shard" pair s 0
expect_refused "export" "s/shard-000001.pmps" "$B/pmp-shard" export --format trl s
expect_refused "merge" "s/shard-000001.pmps" "$B/pmp-shard" merge s other -o m
expect_refused "train" "s/shard-000001.pmps" "$B/pmp-train" $SMALL --data s --steps 1 --out run -q
# the same for a shard of the same size: other's shards differ in content, not only size
python3 - <<'PY'
import json, os
a = json.load(open("shards/manifest.json"))["shards"]
b = json.load(open("other/manifest.json"))["shards"]
for x in a:
    for y in b:
        if x["bytes"] == y["bytes"]:
            open("same_size", "w").write("%s %s\n" % (x["name"], y["name"]))
            raise SystemExit
PY
if [ -s same_size ]; then
    read -r mine theirs < same_size
    rm -rf s; cp -r shards s; cp "other/$theirs" "s/$mine"
    expect_refused "head (same size)" "s/$mine" "$B/pmp-shard" head -n 1000000 s
    expect_refused "pair (same size)" "s/$mine" "$B/pmp-shard" pair s 0
fi
# the untouched directory still reads
"$B/pmp-shard" head -n 1 shards > /dev/null || fail "head of the untouched directory"
echo "a swapped-in shard: refused by info, verify, cat, head, stats, pair, export, merge, train"
