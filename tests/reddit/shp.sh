#!/bin/sh
# --preset shp (Stanford SHP's rules) against an independent Python
# implementation of them (shp_reference.py) on the two shared pushshift months,
# with a made-up submissions file (none is published for them): the pairs that
# pmp-extract reddit --preset shp | pmp-tokenize --preset shp keep are exactly
# the reference's. Also on the per-subreddit sample, whose posts and comments
# were written to hit each rule.
set -eu
PY=/usr/bin/python3
B="$PMP_BIN"
REF="$PMP_SRC/tests/reddit/shp_reference.py"
D="$PMP_SHARED"
[ -f "$D/reddit/RC_2005-12.zst" ] || { echo "no shared data: skip"; exit 77; }
command -v zstd >/dev/null || { echo "no zstd: skip"; exit 77; }
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
check() {   # RC.ndjson RS.ndjson
    "$B/pmp-extract" reddit -q --preset shp "$2" "$1" > "$T/shp.jsonl" || fail "extract --preset shp"
    rm -rf "$T/shards"
    "$B/pmp-tokenize" -q --preset shp --max-pairs-per-group 0 -t "$D/bpe/gpt2" -o "$T/shards" \
        < "$T/shp.jsonl" || fail "tokenize --preset shp"
    grep -q '"shp_rule": *true' "$T/shards/manifest.json" || fail "manifest lacks shp_rule"
    "$B/pmp-shard" export -q --format trl "$T/shards" > "$T/pairs.jsonl"
    $PY "$REF" check "$1" "$2" < "$T/pairs.jsonl" || fail "differs from shp_reference.py"
    [ -s "$T/pairs.jsonl" ] || fail "no pairs at all"
}
for m in 2005-12 2006-01; do
    echo "== $m"
    zstd -q -dc --long=31 "$D/reddit/RC_$m.zst" > "$T/RC.ndjson"
    $PY "$REF" synth-rs "$T/RC.ndjson" > "$T/RS.ndjson"
    check "$T/RC.ndjson" "$T/RS.ndjson"
done
echo "== samples/reddit/AskGardening_*"
zstd -q -dc "$PMP_SRC/samples/reddit/AskGardening_comments.zst" > "$T/RC.ndjson"
zstd -q -dc "$PMP_SRC/samples/reddit/AskGardening_submissions.zst" > "$T/RS.ndjson"
check "$T/RC.ndjson" "$T/RS.ndjson"
# the link post (k7p003) and the NSFW one (k7p004) give nothing; OP's reply
# (h1a012 in k7p002) and the moderator's (h1a013) are not paired
grep -q 'k7p003\|k7p004\|h1a012\|h1a013' "$T/pairs.jsonl" && fail "a rule was not applied"
# a later --preset in pmp-tokenize without the rule: a resume must refuse it
"$B/pmp-tokenize" -q --resume --max-pairs-per-group 0 -t "$D/bpe/gpt2" -o "$T/shards" < "$T/shp.jsonl" 2> "$T/err" &&
    fail "--resume without --preset shp accepted"
grep -q "preset shp" "$T/err" || fail "resume error does not name --preset shp: $(cat "$T/err")"
echo PASS
