#!/bin/sh
# Quirks of real dumps (hand-made RC + RS pair, quirks.py): prefixes, numbers as
# strings, edited, missing fields, surrogate pairs, \u0000, invalid UTF-8, CRLF,
# duplicates, deep chains; checked by hand-derived facts and by reference.py.
set -eu
PY=/usr/bin/python3
X="$PMP_BIN/pmp-extract"
S="$PMP_SRC/tests/reddit"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
$PY "$S/quirks.py" write "$T"
"$X" reddit --json --submissions "$T/RS_quirks.ndjson" "$T/RC_quirks.ndjson" > "$T/out.jsonl" 2> "$T/stats.json"
$PY "$S/quirks.py" check "$T/out.jsonl"
$PY "$S/reference.py" "$T/RC_quirks.ndjson" "$T/RS_quirks.ndjson" < "$T/out.jsonl"
$PY - "$T/stats.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
want = {"missing_fields": 1, "duplicates": 1, "repaired": 1, "no_context": 3, "same_score": 1,
        "comments": 33, "submissions": 2, "groups": 6}
bad = {k: (v, s.get(k)) for k, v in want.items() if s.get(k) != v}
assert not bad, bad
print("stats:", {k: s[k] for k in want})
PYEOF
# without submissions: the top-level groups are skipped as no_context
"$X" reddit -q "$T/RC_quirks.ndjson" | $PY "$S/reference.py" "$T/RC_quirks.ndjson"
# the subreddit filter (case-insensitive) keeps only that subreddit's threads
"$X" reddit -q --subreddits askother --submissions "$T/RS_quirks.ndjson" "$T/RC_quirks.ndjson" > "$T/sr.jsonl"
[ "$(wc -l < "$T/sr.jsonl")" = 2 ] || { echo "FAIL: --subreddits"; exit 1; }
$PY "$S/reference.py" --subreddits AskOther "$T/RC_quirks.ndjson" "$T/RS_quirks.ndjson" < "$T/sr.jsonl"
# every input format: zstd (long window), bzip2, gzip give the same output
zstd -q --long=31 -c "$T/RC_quirks.ndjson" > "$T/RC.zst"
bzip2 -c "$T/RC_quirks.ndjson" > "$T/RC.bz2"
gzip -c "$T/RC_quirks.ndjson" > "$T/RC.gz"
for f in RC.zst RC.bz2 RC.gz; do
    "$X" reddit -q --submissions "$T/RS_quirks.ndjson" "$T/$f" | cmp - "$T/out.jsonl"
done
# the demo sample (samples/reddit, modern pushshift fields) against the reference too
zstd -q -dc --long=31 "$PMP_SRC/samples/reddit/RC_sample.ndjson.zst" > "$T/RC_sample.ndjson"
"$X" reddit -q --submissions "$PMP_SRC/samples/reddit/RS_sample.ndjson" \
    "$PMP_SRC/samples/reddit/RC_sample.ndjson.zst" > "$T/sample.jsonl"
[ "$(wc -l < "$T/sample.jsonl")" = 5 ] || { echo "FAIL: sample groups"; exit 1; }
$PY "$S/reference.py" "$T/RC_sample.ndjson" "$PMP_SRC/samples/reddit/RS_sample.ndjson" < "$T/sample.jsonl"
echo OK
