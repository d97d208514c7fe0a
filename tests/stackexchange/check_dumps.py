#!/usr/bin/python3
"""Checks `pmp-extract stackexchange` on real data dumps against an independent
computation: xml.etree.iterparse for the rows, html.parser for the visible text,
plain Python for the scores.

For every Posts.xml under $PMP_SHARED/stackexchange (and each matching Votes.xml):
which questions make groups, which answers (by Id, in Id order) each group has,
every score, created_utc, the group id and meta fields, and that the words of every
text equal the words html.parser sees in the HTML (markup characters that our text
rendering adds, such as list dashes and backticks, are ignored on both sides).
Also: output byte-identical across --mem budgets (with many spilled runs), and the
same output from a .zst/.gz copy and from stdin (with --site).

Usage: check_dumps.py PMP_BIN SHARED TMP
"""
import glob
import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime, timezone
from html.entities import name2codepoint
from html.parser import HTMLParser

BLOCK = {"p", "div", "br", "hr", "li", "ul", "ol", "pre", "blockquote", "table", "tr",
         "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd", "section",
         "article", "header", "footer", "figure", "figcaption", "details", "summary",
         "aside", "nav", "main", "center", "address", "form", "fieldset", "caption"}
DROPPED = {"script", "style", "noscript", "iframe", "object", "embed", "svg", "video",
           "audio", "canvas", "template", "head"}


class Words(HTMLParser):
    """Visible text. Named entities are decoded when HTML 4 defines them (libxml2's
    HTML parser knows those); HTML5-only names stay as written, as in ours."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED:
            self.skip += 1
        if tag in BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in DROPPED and self.skip:
            self.skip -= 1
        if tag in BLOCK:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)

    def handle_entityref(self, name):
        if name in name2codepoint:
            self.handle_data(chr(name2codepoint[name]))
        else:
            self.handle_data("&" + name + ";")

    def handle_charref(self, name):
        v = int(name[1:], 16) if name[:1] in "xX" else int(name)
        self.handle_data(chr(v))


MARKUP = re.compile(r"[`|>]")


def words(text):
    """Words with the characters our rendering may add removed, dashes alone
    (list markers) dropped."""
    return [w for w in MARKUP.sub("", text).split() if w != "-"]


def html_words(html):
    p = Words()
    p.feed(html)
    p.close()
    return words("".join(p.parts))


def first_diff(a, b):
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return f"at word {i}:\n    ours {a[max(0, i - 3):i + 6]}\n    ref  {b[max(0, i - 3):i + 6]}"


def pmp_score(upvotes, accepted):
    if upvotes < 0:
        return -1
    return math.floor(math.log2(1 + upvotes) + 0.5) + (1 if accepted else 0)


def epoch(date):
    d = datetime.strptime(date[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(d.timestamp())


def reference(posts, votes):
    questions, answers = {}, defaultdict(list)
    for _, el in ET.iterparse(posts):
        if el.tag == "row":
            t = el.get("PostTypeId")
            if t == "1":
                questions[int(el.get("Id"))] = dict(el.attrib)
            elif t == "2":
                answers[int(el.get("ParentId"))].append(dict(el.attrib))
            el.clear()
    up = defaultdict(int)
    if votes:
        for _, el in ET.iterparse(votes):
            if el.tag == "row":
                if el.get("VoteTypeId") == "2":
                    up[int(el.get("PostId"))] += 1
                el.clear()
    groups = {}
    for qid in sorted(questions):
        q = questions[qid]
        acc = int(q["AcceptedAnswerId"]) if q.get("AcceptedAnswerId") else None
        resp = []
        for a in sorted(answers.get(qid, []), key=lambda a: int(a["Id"])):
            w = html_words(a["Body"])
            if not w:
                continue
            aid = int(a["Id"])
            u = up[aid] if votes else int(a["Score"])
            resp.append({"id": str(aid), "score": pmp_score(u, aid == acc), "words": w,
                         "created_utc": epoch(a["CreationDate"]), "raw": int(a["Score"]),
                         "upvotes": u})
        if len(resp) >= 2:
            groups[qid] = (q, resp)
    orphans = sum(len(v) for k, v in answers.items() if k not in questions)
    return groups, orphans


def run(pmp, args, stdin=None):
    p = subprocess.run([pmp, "stackexchange", "-q", "--json"] + args, stdin=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: pmp-extract {' '.join(args)}: {p.stderr.decode()}")
    return p.stdout, json.loads(p.stderr.decode().strip().splitlines()[-1])


def compare(name, out, stats, groups, orphans, site, with_votes):
    errors = []
    lines = out.decode().splitlines()
    got_ids = []
    for line in lines:
        g = json.loads(line)
        qid = int(g["id"].rsplit("/", 1)[1])
        got_ids.append(qid)
        if g["id"] != f"{site}/q/{qid}" or g["source"] != "stackexchange":
            errors.append(f"{qid}: id/source {g['id']} {g['source']}")
        if qid not in groups:
            errors.append(f"{qid}: group not expected")
            continue
        q, resp = groups[qid]
        if [r["id"] for r in g["responses"]] != [r["id"] for r in resp]:
            errors.append(f"{qid}: answers {[r['id'] for r in g['responses']]} != "
                          f"{[r['id'] for r in resp]}")
            continue
        title = q.get("Title", "")
        if not g["context"].startswith(title + "\n\n"):
            errors.append(f"{qid}: context does not start with the title")
        elif words(g["context"][len(title) + 2:]) != html_words(q["Body"]):
            errors.append(f"{qid}: question text words differ")
        m = g["meta"]
        if m["question_id"] != str(qid) or m.get("accepted") != q.get("AcceptedAnswerId"):
            errors.append(f"{qid}: meta ids {m}")
        if m["upvotes_from"] != ("votes" if with_votes else "score"):
            errors.append(f"{qid}: upvotes_from")
        tags = [t for t in re.split(r"[<>|]", q.get("Tags", "")) if t]
        if m["tags"] != tags:
            errors.append(f"{qid}: tags {m['tags']} != {tags}")
        for r, e, ma in zip(g["responses"], resp, m["answers"]):
            if r["score"] != e["score"]:
                errors.append(f"{qid}/{r['id']}: score {r['score']} != {e['score']}")
            if r.get("created_utc") != e["created_utc"]:
                errors.append(f"{qid}/{r['id']}: created_utc")
            if ma["id"] != e["id"] or ma["score"] != e["raw"] or ma["upvotes"] != e["upvotes"]:
                errors.append(f"{qid}/{r['id']}: meta answer {ma}")
            if words(r["text"]) != e["words"]:
                errors.append(f"{qid}/{r['id']}: text words differ: {first_diff(words(r['text']), e['words'])}")
    if got_ids != sorted(groups):
        missing = sorted(set(groups) - set(got_ids))
        errors.append(f"group ids differ or not in Id order; missing {missing[:10]}")
    if stats["groups"] != len(groups) or stats["orphans"] != orphans:
        errors.append(f"stats {stats['groups']} groups / {stats['orphans']} orphans, "
                      f"expected {len(groups)} / {orphans}")
    for e in errors[:15]:
        print(f"  {name}: {e}")
    return len(errors)


def main():
    pmp = os.path.join(sys.argv[1], "pmp-extract")
    shared = os.path.join(sys.argv[2], "stackexchange")
    tmp = sys.argv[3]
    if not os.path.isdir(shared):
        print("skip: no shared StackExchange dumps")
        return 77
    os.makedirs(tmp, exist_ok=True)
    failures = 0
    checked = 0
    for posts in sorted(glob.glob(os.path.join(shared, "*Posts.xml"))):
        base = os.path.basename(posts)
        site = base.split("-")[0]
        votes = posts[: -len("Posts.xml")] + "Votes.xml"
        variants = [None] + ([votes] if os.path.exists(votes) else [])
        for v in variants:
            groups, orphans = reference(posts, v)
            args = ([ "--votes", v] if v else []) + [posts]
            out, stats = run(pmp, args)
            name = base + (" --votes" if v else "")
            n = compare(name, out, stats, groups, orphans, site, bool(v))
            # Byte-identical whatever the budget: 64K spills dozens of runs.
            for mem in ["64K", "1M"]:
                out2, st2 = run(pmp, ["--mem", mem, "--tmp", tmp] + args)
                if out2 != out:
                    print(f"  {name}: output differs with --mem {mem}")
                    n += 1
                if mem == "64K" and st2["runs"] < 10:
                    print(f"  {name}: --mem 64K spilled only {st2['runs']} runs")
                    n += 1
            print(f"{name}: {len(groups)} groups, "
                  f"{sum(len(r) for _, r in groups.values())} answers: "
                  f"{'ok' if n == 0 else f'{n} errors'}")
            failures += n
            checked += 1
    # The same bytes from a compressed copy, and from stdin with --site.
    posts = sorted(glob.glob(os.path.join(shared, "*Posts.xml")))[0]
    site = os.path.basename(posts).split("-")[0]
    ref, _ = run(pmp, [posts])
    gz = os.path.join(tmp, site + "-Posts.xml.gz")
    with open(posts, "rb") as f, gzip.open(gz, "wb") as g:
        shutil.copyfileobj(f, g)
    if run(pmp, [gz])[0] != ref:
        print("  gzip copy: output differs")
        failures += 1
    with open(posts, "rb") as f:
        if run(pmp, ["--site", site, "-"], stdin=f)[0] != ref:
            print("  stdin with --site: output differs")
            failures += 1
    os.remove(gz)
    print(f"{checked} dump runs checked, {failures} errors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
