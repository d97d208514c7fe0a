#!/bin/sh
# Self-reverts (the reverting user also wrote B, the revision undone) are dropped
# by default and counted; --keep-self-reverts keeps them. On a history written
# here, and on every small shared history against tests/wikipedia/self_reverts.py
# (xml.etree + hashlib), which also counts mwreverts' definition for the docs.
set -eu
PY=/usr/bin/python3
X="$PMP_BIN/pmp-extract"
REF="$PMP_SRC/tests/wikipedia/self_reverts.py"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
stat_of() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }

rev() {   # id user comment text
    printf '<revision><id>%s</id><timestamp>2020-01-01T00:00:%02dZ</timestamp><contributor><username>%s</username></contributor><comment>%s</comment><text xml:space="preserve">%s</text></revision>\n' \
        "$1" "$(($1 % 60))" "$2" "$3" "$4"
}
{
    echo '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.3/" version="0.3"><page><title>Pond</title><id>7</id>'
    rev 1 Ada "new" "A pond is a small body of still water. Frogs live in ponds."
    rev 2 Bob "typo" "A pond is a small body of still water. Frogs lives in ponds."
    rev 3 Bob "rv vandalism" "A pond is a small body of still water. Frogs live in ponds."
    rev 4 Eve "" "A pond is a small body of still water. Ponds are stupid."
    rev 5 Cal "Reverted edits by Eve" "A pond is a small body of still water. Frogs live in ponds."
    echo '</page></mediawiki>'
} > "$T/pond.xml"
"$X" wikipedia -q --json "$T/pond.xml" > "$T/g.jsonl" 2> "$T/s.json" || fail "extract"
[ "$(stat_of self_reverts "$T/s.json")" = 1 ] || fail "self_reverts: $(cat "$T/s.json")"
[ "$(stat_of reverts_kept "$T/s.json")" = 1 ] || fail "reverts_kept: $(cat "$T/s.json")"
grep -q '"bad_user":"Eve"' "$T/g.jsonl" || fail "Cal's revert of Eve not kept"
grep -q '"bad_user":"Bob"' "$T/g.jsonl" && fail "Bob's self-revert kept"
"$X" wikipedia -q --json --keep-self-reverts "$T/pond.xml" > "$T/g.jsonl" 2> "$T/s.json"
[ "$(stat_of reverts_kept "$T/s.json")" = 2 ] || fail "--keep-self-reverts: $(cat "$T/s.json")"
$PY "$REF" "$T/pond.xml" | grep -q '"self_reverts": 1, "kept": 1' || fail "reference on pond.xml"

W="$PMP_SHARED/wikipedia"
[ -d "$W" ] || { echo "no shared data: done"; exit 0; }
for f in aawiki-20260101-pages-meta-history.xml enwiki-Rio_Grande-history-2007.xml \
         frwiki-20220101-2pages-history.xml itwiki-Amen-history.xml.gz; do
    [ -f "$W/$f" ] || continue
    $PY "$REF" "$W/$f" > "$T/ref.json"
    "$X" wikipedia -q --json "$W/$f" 2> "$T/s.json" > /dev/null || fail "$f"
    "$X" wikipedia -q --json --any-revert "$W/$f" 2> "$T/any.json" > /dev/null || fail "$f --any-revert"
    got="$(stat_of reverts "$T/s.json") $(stat_of self_reverts "$T/s.json") $(stat_of reverts_kept "$T/s.json") $(stat_of self_reverts "$T/any.json")"
    want=$($PY -c 'import json,sys; o=json.load(open(sys.argv[1]))["ours"]; print(o["reverts"], o["self_reverts"], o["kept"], o["self_reverts_any_comment"])' "$T/ref.json")
    echo "$f: pmp $got, reference $want"
    [ "$got" = "$want" ] || fail "$f differs"
done
echo PASS
