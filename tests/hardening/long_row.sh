#!/bin/sh
# Issue 29: an over-long StackExchange row is a bad row: skipped and counted by default,
# an error naming the line with --strict. Before: a Posts.xml row with a Body over
# libxml2's 10 MB limit ended the whole extraction ("Huge input lookup"), every group
# lost, although bad rows are skipped by default.
. "$PMP_SRC/tests/hardening/lib.sh"
python3 - "$PMP_SRC/samples/stackexchange/cooking.example.com/Posts.xml" <<'PY'
import sys
src = open(sys.argv[1], encoding="utf-8-sig").read()
i = src.index("</posts>")
big = ('  <row Id="9001" PostTypeId="2" ParentId="1" CreationDate="2021-03-01T10:20:00.000" '
       'Score="1" Body="' + "spam, spam and eggs " * 900000 + '" />\n')   # 18 MB
open("long-Posts.xml", "w").write(src[:i] + big + src[i:])
open("short-Posts.xml", "w").write(src)
PY
"$B/pmp-extract" stackexchange -q --site s short-Posts.xml > want.jsonl || fail "the sample itself"
"$B/pmp-extract" stackexchange --json --site s long-Posts.xml > got.jsonl 2> stats.json ||
    fail "an over-long row ended the extraction: $(cat stats.json)"
cmp -s want.jsonl got.jsonl || fail "the groups differ from the file without the long row"
grep -q '"skipped_bad_row":1' stats.json || fail "the long row is not counted: $(cat stats.json)"
expect_refused "--strict" "long-Posts.xml:[0-9]*: row of 18000030 bytes, over the limit" \
    "$B/pmp-extract" stackexchange --strict --site s long-Posts.xml
echo "an 18 MB row: skipped and counted, an error with --strict"
