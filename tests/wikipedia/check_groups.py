#!/usr/bin/python3
"""check_groups.py REVERTS.tsv GROUPS.jsonl

Every group must come from a revert in REVERTS.tsv (as printed by
ref_reverts.py / --list-reverts) whose comment matched, carry that revert's ids
in the meta names docs/wikipedia.md fixes, score G above B with different
texts, and use the id wikipedia/<title>/<R>/<n> with n counting from 0.
"""
import json
import sys

reverts = {}
for line in open(sys.argv[1]):
    page, r, g, b, m = line.rstrip("\n").split("\t")
    reverts[r] = (page, g, b, m == "1")
seen = {}
n = 0
for line in open(sys.argv[2]):
    grp = json.loads(line)
    n += 1
    meta = grp["meta"]
    r = meta["revert_rev"]
    assert r in reverts, "group from an unknown revert %s" % r
    page, g, b, matched = reverts[r]
    assert matched, "group from revert %s whose comment did not match" % r
    assert (meta["page_id"], meta["good_rev"], meta["bad_rev"]) == (page, g, b), meta
    for k in ("page_id", "title", "revert_rev", "good_rev", "bad_rev"):
        assert isinstance(meta[k], str), k
    assert grp["source"] == "wikipedia"
    k = seen.get(r, 0)
    assert grp["id"] == "wikipedia/%s/%s/%d" % (meta["title"], r, k), grp["id"]
    seen[r] = k + 1
    good, bad = grp["responses"]
    assert (good["id"], good["score"], bad["id"], bad["score"]) == (g, 1, b, 0)
    assert " ".join(good["text"].split()) != " ".join(bad["text"].split())
    assert good["text"] and bad["text"], "an empty side without --keep-blanking"
    ctx = grp["context"]
    assert ctx.startswith(meta["title"])
    # the page text in the context stays within --context-chars (default 2000)
    body = ctx[len(meta["title"]):].replace("\n\n[...]\n\n", "", 1)
    assert len(body.strip("\n")) <= 2000, len(body)
    # responses are at most --max-change-chars (default 2000) code points
    assert len(good["text"]) <= 2000 and len(bad["text"]) <= 2000
    for t in (good["text"], bad["text"], grp["context"]):
        assert "[[" not in t or "]]" not in t.split("[[", 1)[1], "link markup left: %r" % t[:200]
print("ok %s: %d groups from %d reverts, all consistent" % (sys.argv[2].rsplit("/", 1)[-1], n,
                                                             len(seen)))
