#!/bin/sh
# pmp-extract wikipedia --text: one document per page, the page's last revision as
# plain text. Checked against an independent reading (xml.etree): every document names
# a page that is not a redirect and its last revision's id; every article whose last
# text is long is there. Then pmp-tokenize --text takes the documents and `pmp-shard cat`
# gives them back byte for byte.
set -eu
X="$PMP_BIN/pmp-extract"
D="$PMP_SHARED/wikipedia"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
files="$PMP_SRC/samples/wikipedia/history.xml"
[ -d "$D" ] && files="$files $D/enwiki-Rio_Grande-history-2007.xml $D/itwiki-Amen-history.xml.gz $D/aawiki-20260101-pages-meta-history.xml $D/frwiki-20220101-2pages-history.xml"
: > "$T/all.jsonl"
for f in $files; do
    "$X" wikipedia -q --text --ns all "$f" > "$T/docs.jsonl" || fail "$f: --text"
    cat "$T/docs.jsonl" >> "$T/all.jsonl"
    $PY - "$f" "$T/docs.jsonl" <<'PY' || fail "$f: documents differ from the reference"
import gzip, json, sys, xml.etree.ElementTree as ET
path, docs = sys.argv[1], [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
raw = gzip.open(path) if path.endswith(".gz") else open(path, "rb")
pages = {}   # "wikipedia/TITLE/LASTREV" -> length of the last raw text
for _, el in ET.iterparse(raw):
    if el.tag.rsplit("}", 1)[-1] != "page":
        continue
    kids = {c.tag.rsplit("}", 1)[-1]: c for c in el}
    revs = [c for c in el if c.tag.endswith("revision")]
    if "redirect" not in kids and revs:
        last = revs[-1]
        rid = next(c.text for c in last if c.tag.endswith("}id") or c.tag == "id")
        text = next((c for c in last if c.tag.endswith("text")), None)
        article = kids["ns"].text == "0" if "ns" in kids else ":" not in kids["title"].text
        # an article with a long text must be there (a user page of markup may clean to nothing)
        pages["wikipedia/%s/%s" % (kids["title"].text, rid)] = len(text.text or "") if text is not None and article else 0
    el.clear()
ids = [d["id"] for d in docs]
assert len(ids) == len(set(ids)), "a page twice"
for d in docs:
    assert d["source"] == "wikipedia" and d["id"] in pages and d["text"], d["id"]
missing = [p for p, n in pages.items() if n > 2000 and p not in ids]
assert not missing, missing
print("%s: %d documents of %d pages" % (path.rsplit("/", 1)[-1], len(docs), len(pages)))
PY
done
[ -s "$T/all.jsonl" ] || fail "no documents at all"
# documents in, the same documents out
make_tok() { for i in $(seq 0 255); do printf "%s %d\n" "$(printf "\\$(printf %03o "$i")" | base64)" "$i"; done; }
make_tok > "$T/tok.tiktoken"
"$PMP_BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --text --chunk-tokens 1000000000 -o "$T/shards" "$T/all.jsonl" ||
    fail "pmp-tokenize --text of documents"
"$PMP_BIN/pmp-shard" cat "$T/shards" > "$T/back.jsonl"
$PY -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
seen, want = set(), []
for d in a:
    if d["text"] not in seen:
        seen.add(d["text"])
        if len(d["text"].encode()) > 1:   # bytes are tokens here: one byte predicts nothing
            want.append(d)
assert want == b, (len(want), len(b))
print("round trip: %d documents" % len(b))' "$T/all.jsonl" "$T/back.jsonl" || fail "documents do not come back"
echo "wikipedia --text: ok"
