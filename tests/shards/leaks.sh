#!/bin/bash
# Splits by key do not leak: pmp-tokenize --split hashes each group's split_key
# (docs/records.md), and `pmp-shard leaks` counts what train and eval share. Every
# split is checked against leaks_check.py (the split rule and the leak counts
# recomputed in Python from the input and the shards). On the shared Wikipedia and
# Reddit dumps: zero shared keys and identical contexts by key, some by id.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
$PY -c "import numpy" 2>/dev/null || { echo "skip: python3 numpy missing"; exit 77; }
CHECK="$PMP_SRC/tests/shards/leaks_check.py"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"

# split DIR INPUT FRACTION BY [tokenize flags]: tokenize, count leaks, check both in Python.
split() {
    local d=$1 in=$2 f=$3 by=$4; shift 4
    "$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --split eval=$f --split-by $by -o "$d" "$@" "$in" ||
        fail "tokenize $d"
    "$BIN/pmp-shard" leaks --json "$d" "$d/eval" > "$d.leaks" || fail "leaks $d"
    $PY "$CHECK" "$in" "$d" $f $by "$d.leaks" > "$d.check" || fail "leaks_check $d"
}
field() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))" "$@"; }

# Synthetic groups, 300 with 25 keys among them (12 groups a key).
gen_groups 300 7 > "$T/nokey.jsonl"
$PY -c "
import json,sys
for i, l in enumerate(open(sys.argv[1])):
    g = json.loads(l); g['split_key'] = 'k/%d' % (i % 25); print(json.dumps(g, ensure_ascii=False))
" "$T/nokey.jsonl" > "$T/keyed.jsonl"
split "$T/by-key" "$T/keyed.jsonl" 0.2 key
split "$T/by-id" "$T/keyed.jsonl" 0.2 id
[ "$(field "$T/by-key.leaks" shared_split_keys)" = 0 ] || fail "a split by key shares keys"
[ "$(field "$T/by-key.leaks" "eval['groups']")" -gt 0 ] || fail "empty eval split: the check says nothing"
[ "$(field "$T/by-id.leaks" shared_split_keys)" -gt 0 ] || fail "a split by id of 12-group keys shares none"
"$BIN/pmp-shard" leaks -q --check "$T/by-key" "$T/by-key/eval" > /dev/null || fail "--check on a clean split"
"$BIN/pmp-shard" leaks -q --check "$T/by-id" "$T/by-id/eval" > /dev/null; [ $? -eq 1 ] || fail "--check must fail a leaking split"
grep -q '"split_by": "id"' "$T/by-id/manifest.json" || fail "the manifest does not record --split-by id"
grep -q '"split_by"' "$T/by-key/manifest.json" && fail "the default split wrote split_by (manifest bytes changed)"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --split eval=0.2 -o "$T/by-key" --resume "$T/keyed.jsonl" ||
    fail "resume of a complete keyed run"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --split eval=0.2 --split-by id -o "$T/by-key" --resume \
    "$T/keyed.jsonl" 2> "$T/resume.err" && fail "--resume with another --split-by must be refused"
grep -q -- "--split-by" "$T/resume.err" || fail "the refusal must name --split-by: $(cat "$T/resume.err")"
# the keys survive the shards
"$BIN/pmp-shard" cat -q "$T/by-key" "$T/by-key/eval" | $PY -c "
import json,sys
got = sorted((g['id'], g['split_key']) for g in map(json.loads, sys.stdin))
want = sorted((g['id'], g['split_key']) for g in map(json.loads, open(sys.argv[1])))
sys.exit(got != want)" "$T/keyed.jsonl" || fail "cat does not give back the split keys"

# Groups written before keys: split by id, one warning with the count, and the count in --json.
split "$T/old" "$T/nokey.jsonl" 0.2 key
"$BIN/pmp-tokenize" -t "$T/tok.tiktoken" --split eval=0.2 --json -o "$T/old2" "$T/nokey.jsonl" 2> "$T/old.err" ||
    fail "tokenize without keys"
[ "$(grep -c "warning: 300 of 300 groups have no split_key" "$T/old.err")" = 1 ] ||
    fail "expected one warning for groups without a key: $(cat "$T/old.err")"
grep -q '"groups_without_split_key":300' "$T/old.err" || fail "--json lacks groups_without_split_key"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --split eval=0.2 -o "$T/old3" "$T/keyed.jsonl" 2> "$T/keyed.err" ||
    fail "tokenize keyed"
[ -s "$T/keyed.err" ] && fail "a warning for keyed groups: $(cat "$T/keyed.err")"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --split-by id -o "$T/nosplit" "$T/keyed.jsonl" 2> /dev/null
[ $? -eq 2 ] || fail "--split-by without --split must be a usage error"

# The shared dumps: Wikipedia reverts (three pages) and Reddit threads, at the experiments' 5%.
W=$SHARED/wikipedia; R=$SHARED/reddit
if [ -f "$W/enwiki-Anarchism-history-2010.xml.zst" ] && [ -f "$R/RC_2006-01.zst" ]; then
    "$BIN/pmp-extract" wikipedia -q "$W/enwiki-Rio_Grande-history-2007.xml" "$W/itwiki-Amen-history.xml.gz" \
        "$W/enwiki-Anarchism-history-2010.xml.zst" > "$T/shared.jsonl" || fail "extract wikipedia"
    "$BIN/pmp-extract" reddit -q "$R/RC_2005-12.zst" "$R/RC_2006-01.zst" >> "$T/shared.jsonl" || fail "extract reddit"
    split "$T/shared-key" "$T/shared.jsonl" 0.05 key
    split "$T/shared-id" "$T/shared.jsonl" 0.05 id
    for k in shared_split_keys "eval['groups_sharing_split_key']" "eval['groups_identical_context']" \
        "eval['groups_near_duplicate_context']"; do
        [ "$(field "$T/shared-key.leaks" "$k")" = 0 ] || fail "by key, $k is not 0: $(cat "$T/shared-key.leaks")"
        [ "$(field "$T/shared-id.leaks" "$k")" -gt 0 ] || fail "by id, $k is 0: $(cat "$T/shared-id.leaks")"
    done
    [ "$(field "$T/shared-key.leaks" "eval['groups']")" -gt 0 ] || fail "empty eval split"
    echo "shared, by key: $(cat "$T/shared-key.check")"
    echo "shared, by id:  $(cat "$T/shared-id.check")"
else
    echo "note: shared Wikipedia/Reddit dumps absent, that part skipped"
fi
echo "ok: splits by key share no key, by id they do; leak counts match the Python reading"
