#!/bin/sh
# Bad input gets a message naming the file and where (line/column or byte
# offset) and exit 1; usage errors exit 2. Inputs are cut or broken copies of the
# sample history (samples/wikipedia), made here.
set -eu
X="$PMP_BIN/pmp-extract"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
SAMPLE="$PMP_SRC/samples/wikipedia/history.xml"

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

# the sample itself is fine and has a vandalism revert
"$X" wikipedia -q "$SAMPLE" > "$T/ok.jsonl"
[ -s "$T/ok.jsonl" ] || { echo "FAIL: no groups from the sample"; exit 1; }

# a truncated .bz2: the compressed offset is named, nothing half-written
bzip2 -c "$SAMPLE" > "$T/full.bz2"
head -c $(( $(wc -c < "$T/full.bz2") * 2 / 3 )) "$T/full.bz2" > "$T/trunc.bz2"
expect_fail 1 "trunc.bz2.*offset" -- "$X" wikipedia "$T/trunc.bz2"
# output already written stays whole lines
[ ! -s "$T/stdout" ] || [ "$(tail -c 1 "$T/stdout" | od -An -c | tr -d ' ')" = '\n' ]

# XML cut in the middle of a revision
head -c $(( $(wc -c < "$SAMPLE") / 2 )) "$SAMPLE" > "$T/cut.xml"
expect_fail 1 "cut.xml: .*line [0-9]" -- "$X" wikipedia "$T/cut.xml"

# a mismatched tag on a known line
line=$(grep -n '</comment>' "$SAMPLE" | sed -n 2p | cut -d: -f1)
sed "${line}s#</comment>#</coment>#" "$SAMPLE" > "$T/mismatch.xml"
expect_fail 1 "mismatch.xml: line $line, column [0-9]*.*malformed XML" -- "$X" wikipedia "$T/mismatch.xml"

# an undefined entity (no DTD is loaded, so nothing can define it)
sed '0,/<comment>/s#<comment>#<comment>\&bogus;#' "$SAMPLE" > "$T/entity.xml"
expect_fail 1 "entity.xml: line [0-9]*.*bogus" -- "$X" wikipedia "$T/entity.xml"

# not XML at all, and an empty file
printf 'hello, world\n' > "$T/text.xml"
expect_fail 1 "text.xml: line 1" -- "$X" wikipedia "$T/text.xml"
: > "$T/empty.xml"
expect_fail 1 "empty.xml" -- "$X" wikipedia "$T/empty.xml"

# well-formed XML that is not a MediaWiki export
printf '<posts><row Id="1"/></posts>\n' > "$T/posts.xml"
expect_fail 1 "posts.xml: line 1.*not a MediaWiki XML export" -- "$X" wikipedia "$T/posts.xml"

expect_fail 1 "nosuch.xml" -- "$X" wikipedia "$T/nosuch.xml"
# usage errors
expect_fail 2 "radius" -- "$X" wikipedia --radius 1 "$SAMPLE"
expect_fail 2 "ns" -- "$X" wikipedia --ns main "$SAMPLE"
expect_fail 2 "comment pattern" -- "$X" wikipedia --comment-pattern '(' "$SAMPLE"
expect_fail 2 "only one of the inputs can be standard input" -- "$X" wikipedia - -
