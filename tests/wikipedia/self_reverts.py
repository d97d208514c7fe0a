#!/usr/bin/python3
"""Self-reverts and mwreverts' revert definition, computed independently of pmp.

usage: self_reverts.py FILE [--radius N]     (FILE .gz/.bz2/plain, or '-')
Prints one JSON object:
  ours: identity reverts by docs/wikipedia.md's rule (as tests/wikipedia/ref_reverts.py),
    "reverts_matched" (comment matches the default pattern), "self_reverts" (of those,
    R's user is B's user, B the revision just before R) and "kept" (matched minus self):
    what pmp-extract wikipedia reports as reverts / self_reverts / reverts_kept;
    "self_reverts_any_comment": the same over every identity revert (--any-revert).
  mwreverts: the mediawiki-utilities mwreverts Detector (radius 15): a revision whose
    checksum is among the last `radius` revisions' reverts to the most recent such one
    when at least one revision lies between ("reverteds"); counted are the reverts,
    the reverted revisions, and self-reverts in its two usual readings: every reverted
    revision by the reverting user ("all"), or at least one ("any").
Only namespace 0, redirects skipped (pmp's default).
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from ref_reverts import DEFAULT_PATTERN, local, open_any  # noqa: E402
import hashlib  # noqa: E402


def pages(path):
    page = None
    for event, el in ET.iterparse(open_any(path), events=("start", "end")):
        tag = local(el.tag)
        if event == "start":
            if tag == "page":
                page = {"revs": [], "ns": "0", "redirect": False, "in_rev": False}
            elif tag == "revision" and page is not None:
                page["in_rev"] = True
            continue
        if page is not None and not page["in_rev"] and tag in ("ns", "redirect"):
            if tag == "redirect":
                page["redirect"] = True
            else:
                page["ns"] = el.text or "0"
        elif tag == "revision":
            r = {"user": "", "comment": ""}
            for c in el:
                ct = local(c.tag)
                if ct == "comment":
                    r["comment"] = c.text or ""
                elif ct == "contributor":
                    for u in c:
                        if local(u.tag) in ("username", "ip") and u.text:
                            r["user"] = u.text
                elif ct == "text":
                    r["deleted"] = c.get("deleted") is not None
                    r["text"] = c.text or ""
                elif ct == "sha1":
                    r["sha1"] = c.text or ""
            if r.get("deleted"):
                r["key"] = None
            elif r.get("sha1"):
                r["key"] = ("sha1", r["sha1"])
            else:
                r["key"] = ("text", hashlib.sha1(r.get("text", "").encode("utf-8")).hexdigest())
            r.pop("text", None)
            page["revs"].append(r)
            page["in_rev"] = False
            el.clear()
        elif tag == "page":
            if page["ns"] == "0" and not page["redirect"]:
                yield page["revs"]
            page = None
            el.clear()


def main():
    path = sys.argv[1]
    radius = int(sys.argv[sys.argv.index("--radius") + 1]) if "--radius" in sys.argv else 15
    rx = re.compile(DEFAULT_PATTERN, re.IGNORECASE)
    st = {"revisions": 0, "ours": {"reverts": 0, "reverts_matched": 0, "self_reverts": 0, "kept": 0,
                   "self_reverts_any_comment": 0},
          "mwreverts": {"reverts": 0, "reverted_revisions": 0, "self_all": 0, "self_any": 0,
                        "reverts_matched": 0, "self_all_matched": 0}}
    o, m = st["ours"], st["mwreverts"]
    for revs in pages(path):
        st["revisions"] += len(revs)
        for k in range(2, len(revs)):
            R, B = revs[k], revs[k - 1]
            if R["key"] is None or B["key"] is None or B["key"] == R["key"]:
                continue
            for j in range(k - 2, max(0, k - radius) - 1, -1):
                if revs[j]["key"] == R["key"]:
                    o["reverts"] += 1
                    o["self_reverts_any_comment"] += bool(R["user"]) and R["user"] == B["user"]
                    if rx.search(R["comment"]):
                        o["reverts_matched"] += 1
                        if R["user"] and R["user"] == B["user"]:
                            o["self_reverts"] += 1
                        else:
                            o["kept"] += 1
                    break
        # mwreverts.Detector: a history of the last `radius` (checksum, revision);
        # a revision whose checksum is in it reverts to the most recent one, the
        # revisions after that one being the reverteds (none: no revert).
        history = []
        for n, R in enumerate(revs):
            key = R["key"] if R["key"] is not None else ("deleted", n)
            idx = next((i for i in range(len(history) - 1, -1, -1) if history[i][0] == key), None)
            if idx is not None:
                reverteds = [r for _, r in history[idx + 1:]]
                if reverteds:
                    m["reverts"] += 1
                    m["reverted_revisions"] += len(reverteds)
                    by_self = [bool(R["user"]) and r["user"] == R["user"] for r in reverteds]
                    m["self_all"] += all(by_self)
                    m["self_any"] += any(by_self)
                    if rx.search(R["comment"]):
                        m["reverts_matched"] += 1
                        m["self_all_matched"] += all(by_self)
            history.append((key, R))
            if len(history) > radius:
                history.pop(0)
    print(json.dumps(st))


if __name__ == "__main__":
    main()
