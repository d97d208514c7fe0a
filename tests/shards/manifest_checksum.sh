#!/bin/sh
# Issue 29: a manifest without its manifest_xxh64 is corrupt to every reader, not only to
# verify. Before: with "pairs" edited and the checksum line deleted, `pmp-shard info`
# reported the new count and `pmp-train --data` and `merge` exited 0; a kill -9'd
# INCOMPLETE directory edited to "complete": true (checksum deleted) was trained on.
. "$PMP_SRC/tests/hardening/lib.sh"
setup_shards
# drops manifest_xxh64 (and applies an edit) as a hand editor would
edit() {
    python3 - "$@" <<'PY'
import json, sys
path, what = sys.argv[1] + "/manifest.json", sys.argv[2]
d = json.load(open(path))
del d["manifest_xxh64"]
if what == "pairs":
    d["stats"]["pairs"] += 100
elif what == "complete":
    d["complete"] = True
    d["input"]["groups"] = d["input"]["cursor"]
    d["input"]["bad_lines"] = 0
json.dump(d, open(path, "w"), indent=2)
PY
}
cp -r shards e; edit e pairs
for cmd in "info" "verify" "cat" "head -n 1" "stats"; do
    expect_refused "$cmd" "manifest_xxh64" "$B/pmp-shard" $cmd e
done
expect_refused "pair" "manifest_xxh64" "$B/pmp-shard" pair e 0
expect_refused "export" "manifest_xxh64" "$B/pmp-shard" export --format trl e
expect_refused "merge" "manifest_xxh64" "$B/pmp-shard" merge e other -o merged
[ ! -e merged ] || fail "merge left merged/"
expect_refused "train" "manifest_xxh64" "$B/pmp-train" $SMALL --data e --steps 1 --out run -q
expect_refused "tokenize --resume" "manifest_xxh64" "$B/pmp-tokenize" -q -t tok.json --shard-size 4K \
    --split eval=0.2 --resume -o e groups.jsonl
# an interrupted run, edited to say it completed
rm -rf k; PMP_FAULT=kill@12 "$B/pmp-tokenize" -q -t tok.json --shard-size 4K -o k groups.jsonl 2>/dev/null &
wait $! || true
grep -q '"complete": false' k/manifest.json || fail "the kill did not leave an incomplete run"
edit k complete
expect_refused "train on an edited incomplete run" "manifest_xxh64" "$B/pmp-train" $SMALL --data k --steps 1 --out run2 -q
[ ! -e run2/checkpoints/step-000000001 ] || fail "a checkpoint was written"
echo "manifest without checksum: refused by info, verify, cat, head, stats, pair, export, merge, train, --resume"
