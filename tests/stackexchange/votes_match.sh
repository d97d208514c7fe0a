#!/bin/sh
# --votes: how many UpMod votes fall on this Posts.xml's answers, and how many of those
# predate the answer (impossible, so: another site's Votes.xml), against an independent
# count (xml.etree); the right Votes.xml gives no warning, another site's one warns.
set -eu
D="$PMP_SHARED/stackexchange"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
[ -f "$D/beer.stackexchange.com-2020-Votes.xml" ] || { echo "no shared data: skip"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
check() {   # VOTES POSTS WANT_WARNING(0/1)
    "$PMP_BIN/pmp-extract" stackexchange --json --votes "$D/$1" "$D/$2" > /dev/null 2> "$T/err" ||
        fail "$1 on $2: exit $?"
    /usr/bin/python3 - "$D/$1" "$D/$2" "$T/err" "$3" <<'PY' || fail "$1 on $2"
import json, sys, xml.etree.ElementTree as ET
votes, posts, err, want_warn = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
created = {r.get("Id"): r.get("CreationDate")[:10] for _, r in ET.iterparse(posts)
           if r.tag == "row" and r.get("PostTypeId") == "2"}
up = matched = 0
for _, r in ET.iterparse(votes):
    if r.tag != "row" or r.get("VoteTypeId") != "2":
        continue
    up += 1
    p = r.get("PostId")
    if p in created:
        matched += 1
stats = [json.loads(l) for l in open(err) if l.startswith("{")][-1]
assert stats["upvotes"] == up and stats["upvotes_matched"] == matched, (stats, up, matched)
# before-post, per answer: all of its votes count when its earliest vote predates it
first = {}
for _, r in ET.iterparse(votes):
    if r.tag == "row" and r.get("VoteTypeId") == "2" and r.get("PostId") in created:
        d = (r.get("CreationDate") or "9999")[:10]
        c, f = first.get(r.get("PostId"), (0, "9999-99-99"))
        first[r.get("PostId")] = (c + 1, min(f, d))
before = sum(c for p, (c, f) in first.items() if f < created[p])
assert stats["upvotes_before_post"] == before, (stats["upvotes_before_post"], before)
warned = "another site" in open(err).read()
assert warned == want_warn, ("warning" if warned else "no warning", open(err).read())
print("%s: %d upvotes, %d on answers, %d before their answer" % (votes.rsplit("/", 1)[-1], up, matched, before))
PY
}
check beer.stackexchange.com-2020-Votes.xml beer.stackexchange.com-2020-Posts.xml 0
check dba.meta.stackexchange.com-Votes.xml dba.meta.stackexchange.com-Posts.xml 0
check beer.stackexchange.com-2020-Votes.xml cardano.stackexchange.com-Posts.xml 1
check dba.meta.stackexchange.com-Votes.xml beer.stackexchange.com-2020-Posts.xml 1
echo "votes match: ok"
