#!/bin/sh
# Bad input: a truncated last line, invalid JSON mid-file, a truncated .zst, a
# missing file -> a message naming file:line (or the byte offset), exit 1; usage
# errors exit 2; --skip-bad counts the bad lines and goes on.
set -eu
X="$PMP_BIN/pmp-extract"
S="$PMP_SRC/tests/reddit"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
/usr/bin/python3 "$S/quirks.py" write "$T"
RC="$T/RC_quirks.ndjson"
n=$(wc -l < "$RC")

expect_fail() {   # expect_fail CODE PATTERN -- command...
    code=$1; pat=$2; shift 3
    set +e
    "$@" > "$T/stdout" 2> "$T/stderr"
    rc=$?
    set -e
    if [ $rc -ne "$code" ]; then echo "FAIL: exit $rc, want $code: $*"; cat "$T/stderr"; exit 1; fi
    if ! grep -q -- "$pat" "$T/stderr"; then
        echo "FAIL: message lacks '$pat':"; cat "$T/stderr"; exit 1
    fi
    echo "ok (exit $code): $(head -1 "$T/stderr")"
}

# a final line cut in the middle (a dump cut short)
head -c $(( $(wc -c < "$RC") - 30 )) "$RC" > "$T/trunc.ndjson"
expect_fail 1 "trunc.ndjson:$n: invalid JSON line: byte" -- "$X" reddit "$T/trunc.ndjson"
# invalid JSON on line 7
awk 'NR==7{print "{\"id\":\"zz1\",\"body\":\"x\",}"; next} {print}' "$RC" > "$T/invalid.ndjson"
expect_fail 1 "invalid.ndjson:7: invalid JSON line: byte 24: expected a key" -- "$X" reddit "$T/invalid.ndjson"
# not JSON at all
printf '{"id":"a","body":"x"}\nhello\n' > "$T/text.ndjson"
expect_fail 1 "text.ndjson:2:" -- "$X" reddit "$T/text.ndjson"
# a truncated .zst: the compressed byte offset is named
if [ -f "$PMP_SHARED/reddit/RC_2006-01.zst" ]; then
    head -c 200000 "$PMP_SHARED/reddit/RC_2006-01.zst" > "$T/trunc.zst"
    expect_fail 1 "trunc.zst: .*offset" -- "$X" reddit "$T/trunc.zst"
    ! grep -qv '^{"pmp_error":' "$T/stdout" || { echo "FAIL: groups from a truncated dump"; exit 1; }
    tail -n 1 "$T/stdout" | grep -q '^{"pmp_error":".*trunc.zst' || { echo "FAIL: no failure marker"; exit 1; }
else
    zstd -q --long=31 -c "$RC" | head -c 300 > "$T/trunc.zst"
    expect_fail 1 "trunc.zst: .*offset" -- "$X" reddit "$T/trunc.zst"
fi
# bad submissions file: its own name and line
expect_fail 1 "invalid.ndjson:7:" -- "$X" reddit --submissions "$T/invalid.ndjson" "$RC"
expect_fail 1 "nosuch.zst" -- "$X" reddit "$T/nosuch.zst"
# a full disk on stdout is a failure, not a silent short output
if [ -w /dev/full ]; then
    set +e
    "$X" reddit -q --submissions "$T/RS_quirks.ndjson" "$RC" > /dev/full 2> "$T/stderr"
    rc=$?
    set -e
    [ $rc -eq 1 ] && grep -q "<stdout>: write" "$T/stderr" || { echo "FAIL: /dev/full: exit $rc"; exit 1; }
    echo "ok (exit 1): $(cat "$T/stderr")"
fi
# usage errors
# no comments file: standard input, as for every pmp program
[ "$("$X" reddit -q < "$RC" | wc -l)" -eq "$("$X" reddit -q "$RC" | wc -l)" ] || { echo "FAIL: reddit without a file does not read stdin"; exit 1; }
expect_fail 2 "--mem" -- "$X" reddit --mem lots "$RC"
expect_fail 2 "--keep" -- "$X" reddit --keep nothing "$RC"
expect_fail 2 "standard input" -- "$X" reddit --submissions - -
# --skip-bad: counted, the rest goes through
"$X" reddit --json --skip-bad "$T/invalid.ndjson" > /dev/null 2> "$T/stats.json"
grep -q '"bad_lines":1' "$T/stats.json" || { echo "FAIL: bad_lines"; cat "$T/stats.json"; exit 1; }
"$X" reddit --help | grep -q "Example" 
echo OK
