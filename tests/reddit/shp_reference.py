#!/usr/bin/python3
"""Independent reference for Stanford SHP's rules (pmp-extract reddit --preset shp
followed by pmp-tokenize --preset shp), written from SHP's dataset card with
Python's json module: the pairs (post, preferred comment, other comment) it keeps.

usage: shp_reference.py synth-rs RC.ndjson > RS.ndjson
           a made-up submissions file for the threads of a real comments month (none
           is published for the shared months): self-post or link, NSFW or not, scores
           on both sides of 10, and every third post written by the author of one of
           its top-level comments (so the OP rule has something to drop)
       shp_reference.py check RC.ndjson RS.ndjson < export.jsonl
           export.jsonl: pmp-shard export --format trl of the shards; exit 0 if its
           (group, chosen_id, rejected_id) set equals ours, 1 with a diff otherwise
       shp_reference.py count RC.ndjson RS.ndjson
           prints how many posts, comments and pairs each rule keeps

SHP's rules (the card, "How was the data collected?"):
  post: a self-post (is_self), not NSFW (over_18), score >= 10
  comments: top-level (parent is the post), score >= 2, author not [deleted],
    not a moderator (distinguished == "moderator"), not the post's author
  pair A > B: score_A > score_B, A written no earlier than B (SHP's own
    seconds_difference, preferred minus other, is >= 0), score_A >= 2 * score_B
Plus pmp's documented default eligibility (docs/reddit.md): bodies not empty,
[deleted] or [removed]; not AutoModerator; not stickied; a score present.
"""
import json
import sys

DELETED = ("[deleted]", "[removed]")


def strip(s):
    return s[3:] if len(s) > 3 and s[:3] in ("t1_", "t3_") else s


def num(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def read(path):
    with open(path, "rb") as f:
        return [json.loads(l) for l in f if l.strip()]


def synth_rs(rc_path):
    first = {}
    for d in read(rc_path):
        link = strip(d["link_id"])
        t = num(d.get("created_utc")) or 0
        if link not in first:
            first[link] = [t, d.get("subreddit", ""), None]
        first[link][0] = min(first[link][0], t)
        if d.get("parent_id", "").startswith("t3_") and first[link][2] is None:
            first[link][2] = d.get("author")
    out = sys.stdout
    for link, (t, sr, top_author) in first.items():
        n = int(link, 36)
        is_self = n % 5 != 0
        d = {"id": link, "title": "Question %s?" % link, "subreddit": sr,
             "selftext": "Details of %s." % link if is_self else "",
             "is_self": is_self, "over_18": n % 7 == 0, "score": (n * 7) % 41,
             "num_comments": 2, "created_utc": int(t) - 60,
             "author": top_author if (n % 3 == 0 and top_author) else "op_%s" % link}
        out.write(json.dumps(d) + "\n")


def eligible(c, post):
    s = num(c.get("score"))
    body = c.get("body")
    if s is None or not isinstance(body, str) or not body.strip() or body in DELETED:
        return False
    a = c.get("author")
    if a in ("[deleted]", "AutoModerator") or c.get("stickied") is True:
        return False
    if c.get("distinguished") == "moderator":
        return False
    if isinstance(a, str) and a and a == post.get("author"):
        return False
    return s >= 2


def shp_pairs(rc_path, rs_path, stats=None):
    posts = {}
    for d in read(rs_path):
        posts.setdefault(strip(d.get("id") or d.get("name")), d)
    kept_posts = {k for k, p in posts.items()
                  if p.get("is_self") is True and p.get("over_18") is not True
                  and (num(p.get("score")) or 0) >= 10}
    by_post, seen = {}, set()
    for c in read(rc_path):
        cid = strip(c["id"])
        if cid in seen:
            continue
        seen.add(cid)
        if not c.get("parent_id", "").startswith("t3_"):
            continue
        pid = strip(c["parent_id"])
        if pid in kept_posts and eligible(c, posts[pid]):
            by_post.setdefault(pid, []).append(c)
    pairs = set()
    for pid, cs in by_post.items():
        for a in cs:
            for b in cs:
                sa, sb = num(a["score"]), num(b["score"])
                ta, tb = num(a.get("created_utc")), num(b.get("created_utc"))
                if sa > sb and ta is not None and tb is not None and ta >= tb and sa >= 2 * sb:
                    pairs.add((pid, strip(a["id"]), strip(b["id"])))
    if stats is not None:
        stats.update(posts=len(posts), shp_posts=len(kept_posts),
                     shp_comments=sum(len(v) for v in by_post.values()),
                     shp_posts_with_pairs=len({p[0] for p in pairs}), shp_pairs=len(pairs))
    return pairs


def main():
    if sys.argv[1] == "synth-rs":
        synth_rs(sys.argv[2])
        return 0
    if sys.argv[1] == "count":
        st = {}
        shp_pairs(sys.argv[2], sys.argv[3], st)
        print(json.dumps(st))
        return 0
    want = shp_pairs(sys.argv[2], sys.argv[3])
    got = set()
    for l in sys.stdin:
        d = json.loads(l)
        g = d["group"]
        assert "/t3_" in g, "a non-top-level group under --preset shp: " + g
        got.add((g.rsplit("/t3_", 1)[1], d["chosen_id"], d["rejected_id"]))
    if got == want:
        print("shp_reference: %d pairs agree" % len(want))
        return 0
    print("shp_reference: only in pmp:", sorted(got - want)[:10])
    print("shp_reference: only in reference:", sorted(want - got)[:10])
    print("counts: pmp %d, reference %d" % (len(got), len(want)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
