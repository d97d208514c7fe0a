#!/usr/bin/python3
"""Quirks of real pushshift dumps, as a hand-made RC + RS pair.

  quirks.py write DIR          writes DIR/RC_quirks.ndjson and DIR/RS_quirks.ndjson
  quirks.py check OUT.jsonl    checks facts about pmp's output that follow from the
                               fixture by hand (the full comparison is reference.py)
  quirks.py synth-rs RC.ndjson writes a made-up RS file for the threads of a real RC
                               month (none is published for 2005-12 / 2006-01), with
                               the RS quirks: id or only name, score as string, [deleted]
                               or empty selftext, escapes; every 10th thread has none
"""
import json
import sys

SR = "quirks"


def c(id_, parent, body, score=1, link="t3_q1", **extra):
    d = {"id": id_, "parent_id": parent, "link_id": link, "body": body, "score": score,
         "author": "someone", "subreddit": SR, "created_utc": 1500000000,
         "stickied": False, "distinguished": None, "edited": False}
    d.update(extra)
    return d


def line(d):
    return json.dumps(d, ensure_ascii=True).encode()


def write(out):
    rc = []
    # Thread q1 (submission known). Top-level replies:
    rc.append(line(c("a1", "t3_q1", "Top \U0001F600 one", 5, created_utc="1500000001")))
    rc.append(line(c("t1_a2", "t3_q1", "PLACEHOLDER_A2", "3")))   # prefixed id, score as string
    rc.append(line(c("a3", "t3_q1", "by a deleted author", 9, author="[deleted]")))
    rc.append(line(c("a4", "t3_q1", "[removed]", 8)))
    rc.append(line(c("a5", "t3_q1", "bot text", 7, author="AutoModerator")))
    rc.append(line(c("a6", "t3_q1", "pinned", 6, stickied=True)))
    rc.append(line(c("a7", "t3_q1", "mod note", 6, distinguished="moderator")))
    rc.append(line(c("a8", "t3_q1", "  \n ", 6)))
    # an old-month line: no stickied / distinguished / edited fields; edited timestamps
    old = {"id": "a9", "parent_id": "t3_q1", "link_id": "t3_q1", "body": "nul\u0000byte",
           "score": 5, "author": "x", "subreddit": SR, "created_utc": 1500000009}
    rc.append(line(old))
    # replies to a1 (b3: link and parent without prefixes; edited as a timestamp)
    rc.append(line(c("b1", "t1_a1", "reply one", 1)))
    rc.append(line(c("b2", "t1_a1", "reply two &amp; &lt;b&gt;", 2, edited=1500000100)))
    rc.append(line(c("b3", "a1", "reply three", 2, link="q1")))
    # replies to the removed a4, and to a comment that is not in the input
    rc.append(line(c("b4", "t1_a4", "under removed", 1)))
    rc.append(line(c("b5", "t1_a4", "under removed 2", 2)))
    rc.append(line(c("b6", "t1_zz", "orphan", 1)))
    rc.append(line(c("b7", "t1_zz", "orphan 2", 2)))
    # replies to b1, all with one score
    rc.append(line(c("d1", "t1_b1", "same", 4)))
    rc.append(line(c("d2", "t1_b1", "same too", 4)))
    # a deep chain b2 -> e1 -> e2 -> e3 -> e4, and replies to e4
    for i, (cid, par) in enumerate([("e1", "t1_b2"), ("e2", "t1_e1"), ("e3", "t1_e2"),
                                    ("e4", "t1_e3")]):
        rc.append(line(c(cid, par, "chain %s" % cid, i)))
    rc.append(line(c("f2", "t1_e4", "deep b", -1, created_utc=1500000002.5)))
    rc.append(line(c("f1", "t1_e4", "deep a", 0)))
    # a duplicate of b1 with another score: the first copy wins
    rc.append(line(c("b1", "t1_a1", "reply one again", 99)))
    # thread q2 (no submission): top-level groups have no context, deeper ones do
    rc.append(line(c("g1", "t3_q2", "g one", 1, link="t3_q2")))
    rc.append(line(c("g2", "t3_q2", "g two", 2, link="t3_q2")))
    rc.append(line(c("h1", "t1_g1", "h one", 1, link="t3_q2",
                     all_awardings=[{"name": "x", "icon": {"url": "u", "w": [1, 2.5e1]}}])))
    rc.append(line(c("h2", "t1_g1", "h two", 3, link="t3_q2")))
    # thread q3 in another subreddit
    rc.append(line(c("k1", "t3_q3", "k one", 1, link="t3_q3", subreddit="AskOther")))
    rc.append(line(c("k2", "t3_q3", "k two", 2, link="t3_q3", subreddit="AskOther")))
    rc.append(line(c("m1", "t1_k1", "m one", 1, link="t3_q3", subreddit="AskOther")))
    rc.append(line(c("m2", "t1_k1", "m two", 2, link="t3_q3", subreddit="AskOther")))
    # a line without link_id: counted and skipped
    rc.append(line({"id": "n1", "parent_id": "t3_q1", "body": "no link", "score": 1}))
    # raw invalid UTF-8 and a lone surrogate escape in a2's body, built by hand
    rc = [l.replace(b"PLACEHOLDER_A2", b"bad \xff byte \\ud800 &gt; quote") for l in rc]
    rc.insert(5, b"")                  # a blank line
    rc[3] = rc[3] + b"\r"              # a CRLF line end
    with open(out + "/RC_quirks.ndjson", "wb") as f:
        f.write(b"\n".join(rc) + b"\n")
    rs = [
        line({"id": "q1", "name": "t3_q1", "title": "Title \U0001F600 &amp; co",
              "selftext": "Self text", "score": "12", "subreddit": SR,
              "created_utc": "1499999999", "media": None,
              "preview": {"images": [{"source": {"url": "x"}}]}}),
        line({"name": "t3_q3", "title": "Other title", "selftext": "[deleted]", "score": 3,
              "subreddit": "AskOther", "created_utc": 1499999990}),
    ]
    rs[0] = b"\xef\xbb\xbf" + rs[0]   # a byte order mark on the first line
    with open(out + "/RS_quirks.ndjson", "wb") as f:
        f.write(b"\n".join(rs) + b"\n")


def check(path):
    groups = {}
    with open(path) as f:
        for l in f:
            g = json.loads(l)
            groups[g["id"]] = g
    want = {"reddit/quirks/t3_q1", "reddit/quirks/t1_a1", "reddit/quirks/t1_e4",
            "reddit/quirks/t1_g1", "reddit/AskOther/t3_q3", "reddit/AskOther/t1_k1"}
    assert set(groups) == want, sorted(groups)
    top = groups["reddit/quirks/t3_q1"]
    assert [r["id"] for r in top["responses"]] == ["a1", "a2", "a9"], top["responses"]
    assert [r["score"] for r in top["responses"]] == [5, 3, 5]
    assert top["responses"][0]["text"] == "Top \U0001F600 one"
    assert top["responses"][0]["created_utc"] == 1500000001
    assert top["responses"][1]["text"] == "bad \ufffd byte \ufffd > quote", top["responses"][1]
    assert top["responses"][2]["text"] == "nul\u0000byte"
    assert top["context"] == "Title \U0001F600 & co\n\nSelf text", top["context"]
    assert top["meta"] == {"subreddit": "quirks", "link_id": "t3_q1", "parent_id": "t3_q1",
                           "submission_score": 12}, top["meta"]
    a1 = groups["reddit/quirks/t1_a1"]
    assert [(r["id"], r["score"]) for r in a1["responses"]] == [("b1", 1), ("b2", 2), ("b3", 2)]
    assert a1["responses"][1]["text"] == "reply two & <b>"
    assert a1["context"] == "Title \U0001F600 & co\n\nSelf text\n\nTop \U0001F600 one"
    e4 = groups["reddit/quirks/t1_e4"]
    assert [(r["id"], r["score"]) for r in e4["responses"]] == [("f1", 0), ("f2", -1)]
    assert e4["responses"][1]["created_utc"] == 1500000002.5
    # max depth 3: e1..e3 above the parent e4; b2 and a1 are cut off
    assert e4["context"] == "Title \U0001F600 & co\n\nSelf text\n\nchain e1\n\nchain e2\n\nchain e3\n\nchain e4"
    g1 = groups["reddit/quirks/t1_g1"]
    assert g1["context"] == "g one" and "submission_score" not in g1["meta"]
    q3 = groups["reddit/AskOther/t3_q3"]
    assert q3["context"] == "Other title", q3["context"]    # [deleted] selftext left out
    print("quirks: all %d expected groups and their details are right" % len(want))


def synth_rs(rc_path):
    seen = {}
    with open(rc_path, "rb") as f:
        for raw in f:
            d = json.loads(raw)
            link = d["link_id"][3:] if d["link_id"].startswith("t3_") else d["link_id"]
            seen.setdefault(link, d.get("subreddit", ""))
    out = sys.stdout.buffer
    for link, sr in seen.items():
        n = int(link, 36)
        if n % 10 == 0:
            continue
        d = {"title": "Thread %s &amp; \U0001F600" % link, "subreddit": sr,
             "score": n % 50 if n % 2 else str(n % 50), "created_utc": 1134000000 + n % 1000,
             "selftext": ["", "[deleted]", "Body of %s &lt;3" % link][n % 3],
             "num_comments": 1, "media": None, "secure_media_embed": {}}
        if n % 4 == 1:
            d["name"] = "t3_" + link
        else:
            d["id"] = link
        out.write(json.dumps(d).encode() + b"\n")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    elif sys.argv[1] == "synth-rs":
        synth_rs(sys.argv[2])
    else:
        check(sys.argv[2])
