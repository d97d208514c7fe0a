#!/bin/sh
# The Reddit files people download today: per-subreddit dumps
# (NAME_submissions.zst, NAME_comments.zst) whose names say nothing pmp knew.
# Each file's kind comes from its lines (title/selftext/num_comments vs
# parent_id/body); the groups match the independent reference (reference.py);
# the order of the files does not matter; --submissions/--comments override;
# a file mixing both kinds, or holding neither, is an error naming file and line.
set -eu
PY=/usr/bin/python3
X="$PMP_BIN/pmp-extract"
REF="$PMP_SRC/tests/reddit/reference.py"
S="$PMP_SRC/samples/reddit"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
command -v zstd >/dev/null || { echo "no zstd: skip"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
SUB="$S/AskGardening_submissions.zst"
COM="$S/AskGardening_comments.zst"
zstd -q -dc "$SUB" > "$T/sub.ndjson"
zstd -q -dc "$COM" > "$T/com.ndjson"

echo "== NAME_submissions.zst NAME_comments.zst, detected by content"
"$X" reddit -q --json "$SUB" "$COM" > "$T/a.jsonl" 2> "$T/a.json" || fail "per-subreddit pair"
$PY "$REF" "$T/com.ndjson" "$T/sub.ndjson" < "$T/a.jsonl" || fail "differs from reference.py"
grep -q '"submissions":4,' "$T/a.json" || fail "submissions not counted: $(cat "$T/a.json")"
[ "$(wc -l < "$T/a.jsonl")" -ge 4 ] || fail "too few groups"

echo "== order of the files, overrides, stdin"
"$X" reddit -q "$COM" "$SUB" | cmp - "$T/a.jsonl" || fail "comments first differs"
"$X" reddit -q --submissions "$SUB" --comments "$COM" | cmp - "$T/a.jsonl" || fail "overrides differ"
"$X" reddit -q --submissions "$SUB" - < "$T/com.ndjson" | cmp - "$T/a.jsonl" || fail "stdin differs"
# a submissions file named like a comments dump: content wins over the name
cp "$SUB" "$T/RC_2022-04.zst"
"$X" reddit -q "$T/RC_2022-04.zst" "$COM" | cmp - "$T/a.jsonl" || fail "RC_-named submissions"
# comments alone: no submission context, so only comment parents make groups
"$X" reddit -q "$COM" > "$T/c.jsonl"
$PY "$REF" "$T/com.ndjson" < "$T/c.jsonl" || fail "comments alone differ from reference.py"
# forcing the wrong kind is obeyed: the submissions read as comments have no
# parent_id, so every line is skipped as missing a field, none is an error
"$X" reddit -q --json --comments "$SUB" 2> "$T/forced.json" > /dev/null || fail "forced --comments"
grep -q '"missing_fields":4,' "$T/forced.json" || fail "forced kind: $(cat "$T/forced.json")"

echo "== a file mixing both kinds, a file with neither: errors naming file and line"
cat "$T/sub.ndjson" "$T/com.ndjson" > "$T/mixed.ndjson"
if "$X" reddit -q "$T/mixed.ndjson" > "$T/out" 2> "$T/err"; then fail "mixed file accepted"; fi
grep -q "mixed.ndjson:5: a comment in a file of submissions (line 1)" "$T/err" || fail "mixed: $(cat "$T/err")"
printf '{"id":"zz1","score":3,"author":"x"}\n' > "$T/neither.ndjson"
set +e; "$X" reddit -q "$T/neither.ndjson" > "$T/out" 2> "$T/err"; rc=$?; set -e
[ $rc = 1 ] || fail "neither: exit $rc"
grep -q "neither.ndjson:1: neither a submission" "$T/err" || fail "neither: $(cat "$T/err")"
printf '{"id":"zz1","title":"t","parent_id":"t3_zz0"}\n' > "$T/both.ndjson"
if "$X" reddit -q "$T/both.ndjson" > "$T/out" 2> "$T/err"; then fail "both-kinds line accepted"; fi
grep -q "both.ndjson:1: both submission fields" "$T/err" || fail "both: $(cat "$T/err")"
echo PASS
