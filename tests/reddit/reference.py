#!/usr/bin/python3
"""Independent reference for `pmp-extract reddit` (docs/reddit.md), written from
the documented rules with Python's json module, to check the C output against.

usage: reference.py [--max-depth N] [--min-score N] [--subreddits A,B] [--keep-all]
                    COMMENTS.ndjson [SUBMISSIONS.ndjson] < pmp_output.jsonl
Compares which groups exist (their order too), their replies (ids, order, scores,
created_utc, texts), contexts and meta. Exit 0 if equal, 1 with a diff otherwise.
"""
import argparse
import json
import re
import sys

DELETED = ("[deleted]", "[removed]")


def b36(s):
    return int(s, 36)


def strip_prefix(s):
    return s[3:] if len(s) > 3 and s[:3] in ("t1_", "t3_") else s


def num(v):
    """score / created_utc as written: a number or a numeric string."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def unescape(s):
    return re.sub(r"&(amp|lt|gt);", lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], s)


def body_gone(body):
    return body is None or body.strip(" \t\r\n") == "" or body in DELETED


def is_top(c):
    """A reply to the submission: parent t3_..., or an unprefixed parent equal to link_id."""
    p = c["parent_id"]
    return p.startswith("t3_") or (not p.startswith("t1_") and
                                   b36(p) == b36(strip_prefix(c["link_id"])))


def eligible(c, opts):
    if num(c.get("score")) is None:
        return False
    if opts.min_score is not None and num(c["score"]) < opts.min_score:
        return False
    if opts.keep_all:
        return True
    if body_gone(c.get("body")):
        return False
    if c.get("author") in ("[deleted]", "AutoModerator"):
        return False
    st = c.get("stickied")
    if st is True or st == 1 or st in ("true", "1"):
        return False
    if c.get("distinguished") == "moderator":
        return False
    return True


def fix_surrogates(v):
    """Lone surrogates (from \\udXXX escapes) become U+FFFD, as documented."""
    if isinstance(v, str):
        return re.sub("[\ud800-\udfff]", "\ufffd", v)
    if isinstance(v, dict):
        return {k: fix_surrogates(x) for k, x in v.items()}
    if isinstance(v, list):
        return [fix_surrogates(x) for x in v]
    return v


def load(path, need):
    out = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f):
            raw = raw.strip(b"\r\n")
            if n == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw:
                continue
            obj = fix_surrogates(json.loads(raw.decode("utf-8", errors="replace")))
            if all(isinstance(obj.get(k), str) for k in need):
                out.append(obj)
    return out


def expected(comments, submissions, opts):
    max_depth = opts.max_depth
    if opts.subreddits:
        wanted = {s.lower() for s in opts.subreddits.split(",")}
        comments = [c for c in comments if (c.get("subreddit") or "").lower() in wanted]
        submissions = [s for s in submissions if (s.get("subreddit") or "").lower() in wanted]
    by_id = {}
    for c in comments:
        cid = b36(strip_prefix(c["id"]))
        by_id.setdefault(cid, c)          # first copy wins
    subs = {}
    for s in submissions:
        sid = b36(strip_prefix(s.get("id") or s["name"]))
        subs.setdefault(sid, s)
    children = {}
    for cid, c in by_id.items():
        link = b36(strip_prefix(c["link_id"]))
        key = (link, 0 if is_top(c) else 1, b36(strip_prefix(c["parent_id"])))
        children.setdefault(key, []).append(cid)
    groups = []
    for key in sorted(children):
        link, kind, parent = key
        kids = sorted(children[key])
        ok = [by_id[k] for k in kids if eligible(by_id[k], opts)]
        if len(ok) < 2 or len({num(c["score"]) for c in ok}) < 2:
            continue
        sub = subs.get(link)
        pieces = []
        if kind == 0:
            if sub is None or parent != link:
                continue
        else:
            pc = by_id.get(parent)
            if pc is None or body_gone(pc.get("body")):
                continue
            chain = [pc]
            a = pc
            for _ in range(max_depth):
                if is_top(a):
                    break
                b = by_id.get(b36(strip_prefix(a["parent_id"])))
                if b is None or body_gone(b.get("body")):
                    break
                chain.append(b)
                a = b
            pieces = [unescape(c["body"]) for c in reversed(chain)]
        if sub is not None:
            head = [unescape(sub.get("title") or "")]
            st = sub.get("selftext") or ""
            if not body_gone(st):
                head.append(unescape(st))
            pieces = head + pieces
        sr = ok[0].get("subreddit") or (sub or {}).get("subreddit") or "unknown"
        pfx = "t3_" if kind == 0 else "t1_"
        meta = {"subreddit": sr, "link_id": "t3_" + strip_prefix(ok[0]["link_id"]).lower(),
                "parent_id": pfx + strip_prefix(ok[0]["parent_id"]).lower()}
        if sub is not None and num(sub.get("score")) is not None:
            meta["submission_score"] = num(sub["score"])
        groups.append({
            "id": "reddit/%s/%s%s" % (sr, pfx, strip_prefix(ok[0]["parent_id"]).lower()),
            "context": "\n\n".join(p for p in pieces if p != ""),
            "responses": [(strip_prefix(c["id"]).lower(), num(c["score"]),
                           num(c.get("created_utc")), unescape(c["body"])) for c in ok],
            "meta": meta,
        })
    return groups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-depth", type=int, default=3)
    ap.add_argument("--min-score", type=float)
    ap.add_argument("--subreddits")
    ap.add_argument("--keep-all", action="store_true")
    ap.add_argument("comments")
    ap.add_argument("submissions", nargs="?")
    opts = ap.parse_args()
    comments = load(opts.comments, ("id", "link_id", "parent_id"))
    submissions = []
    if opts.submissions:
        submissions = [s for s in load(opts.submissions, ()) if isinstance(s.get("id") or s.get("name"), str)]
    want = expected(comments, submissions, opts)
    got = []
    for line in sys.stdin:
        g = json.loads(line)
        assert g["source"] == "reddit", g["source"]
        got.append({
            "id": g["id"],
            "context": g["context"],
            "responses": [(r["id"], float(r["score"]),
                           float(r["created_utc"]) if "created_utc" in r else None, r["text"])
                          for r in g["responses"]],
            "meta": {k: (float(v) if k == "submission_score" else v)
                     for k, v in g["meta"].items()},
        })
    bad = 0
    if [g["id"] for g in got] != [g["id"] for g in want]:
        ws, gs = {g["id"] for g in want}, {g["id"] for g in got}
        print("group ids differ: missing %s, extra %s" % (sorted(ws - gs)[:10], sorted(gs - ws)[:10]))
        if ws == gs:
            print("(same set, different order)")
        bad = 1
    else:
        for w, g in zip(want, got):
            for field in ("context", "responses", "meta"):
                if w[field] != g[field]:
                    print("%s: %s differs\n  want %r\n  got  %r" % (w["id"], field, w[field], g[field]))
                    bad += 1
                    if bad > 5:
                        return 1
    n_resp = sum(len(g["responses"]) for g in want)
    print("reference: %d groups, %d responses; pmp: %d groups -> %s" %
          (len(want), n_resp, len(got), "MATCH" if not bad else "MISMATCH"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
