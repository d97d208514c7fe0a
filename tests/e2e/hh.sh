#!/bin/sh
# End-to-end: pmp-extract hh on the sample and on the real hh-rlhf test file,
# checked against hh_check.py; CLI conventions and bad input.
set -eu
X="$PMP_BIN/pmp-extract"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }

# The project's own sample.
"$X" hh --json "$PMP_SRC/samples/hh/sample.jsonl.gz" > "$T/sample.jsonl" 2> "$T/sample.stats"
$PY "$PMP_SRC/tests/e2e/hh_check.py" "$PMP_SRC/samples/hh/sample.jsonl.gz" "$T/sample.jsonl" "$T/sample.stats" sample.jsonl.gz

# Real data, from a file and from stdin (with --name for the ids).
if [ -f "$PMP_SHARED/hhh/hh-rlhf-harmless-base-test.jsonl.gz" ]; then
  F="$PMP_SHARED/hhh/hh-rlhf-harmless-base-test.jsonl.gz"
  "$X" hh --json "$F" > "$T/real.jsonl" 2> "$T/real.stats"
  $PY "$PMP_SRC/tests/e2e/hh_check.py" "$F" "$T/real.jsonl" "$T/real.stats" hh-rlhf-harmless-base-test.jsonl.gz
  gzip -dc "$F" | "$X" hh -q --name hh-rlhf-harmless-base-test.jsonl.gz - > "$T/stdin.jsonl"
  cmp "$T/real.jsonl" "$T/stdin.jsonl" || fail "stdin output differs from file output"
else
  echo "note: shared hh-rlhf file absent, real-data part skipped"
fi

# CLI conventions.
"$X" hh --help | grep -q "Example" || fail "--help lacks an example"
"$X" --help | grep -q "hh" || fail "pmp-extract --help lacks the hh source"
"$X" hh --version | grep -q "pmp-extract hh" || fail "--version"
set +e
"$X" hh --no-such-flag 2>/dev/null; [ $? -eq 2 ] || fail "unknown flag must exit 2"
"$X" no-such-source 2>/dev/null; [ $? -eq 2 ] || fail "unknown source must exit 2"
"$X" hh "$T/missing.jsonl" 2>"$T/err" >/dev/null; [ $? -eq 1 ] || fail "missing file must exit 1"
grep -q "missing.jsonl" "$T/err" || fail "missing-file message lacks the name"

# Bad input: line 3 is not JSON. The groups before it are written whole; exit 1; file:line named.
printf '%s\n%s\n%s\n%s\n' \
  '{"chosen":"\n\nHuman: a?\n\nAssistant: yes","rejected":"\n\nHuman: a?\n\nAssistant: no"}' \
  '{"chosen":"\n\nHuman: b?\n\nAssistant: one","rejected":"\n\nHuman: b?\n\nAssistant: two"}' \
  '{"chosen": broken' \
  '{"chosen":"\n\nHuman: c?\n\nAssistant: x","rejected":"\n\nHuman: c?\n\nAssistant: y"}' > "$T/bad.jsonl"
"$X" hh "$T/bad.jsonl" > "$T/bad.out" 2> "$T/bad.err"; rc=$?
[ $rc -eq 1 ] || fail "bad line must exit 1 (got $rc)"
grep -q "bad.jsonl:3:" "$T/bad.err" || fail "error must name file:line: $(cat "$T/bad.err")"
[ "$(grep -vc '^{"pmp_error":' "$T/bad.out")" -eq 2 ] || fail "the two groups before the bad line must be written"
tail -n 1 "$T/bad.out" | grep -q '^{"pmp_error":".*bad.jsonl:3:' || fail "a failed extraction must end with its pmp_error line"
$PY -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$T/bad.out" || fail "partial output is not whole lines"
"$X" hh --skip-bad --json "$T/bad.jsonl" > "$T/skip.out" 2> "$T/skip.err"; rc=$?
[ $rc -eq 0 ] || fail "--skip-bad must succeed"
[ "$(wc -l < "$T/skip.out")" -eq 3 ] || fail "--skip-bad must keep the 3 good lines"
grep -q '"bad_lines":1' "$T/skip.err" || fail "--skip-bad must count the bad line"
# Truncated compressed input is an error, not a short success.
head -c 300 "$PMP_SRC/samples/hh/sample.jsonl.gz" > "$T/cut.gz"
"$X" hh "$T/cut.gz" > /dev/null 2> "$T/cut.err"; [ $? -eq 1 ] || fail "truncated gzip must exit 1"
grep -q "offset" "$T/cut.err" || fail "truncation message lacks the offset"
echo "hh: all checks passed"
