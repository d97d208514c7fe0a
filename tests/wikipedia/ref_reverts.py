#!/usr/bin/python3
"""Independent reference for `pmp-extract wikipedia --list-reverts`.

Reads a MediaWiki history export with xml.etree.iterparse and prints every
identity revert by the rule of docs/wikipedia.md, one per line:
    page_id TAB R TAB G TAB B TAB comment_matches(0/1)
A revision's identity is its <sha1> when non-empty, else the SHA-1 of its text
(hashlib); a revision whose text is deleted has no identity. R reverts to G when
G is among the `radius` revisions before R but is not the previous revision B,
B's identity differs from R's, and G is the most recent such revision.

usage: ref_reverts.py FILE [--radius N] [--ns all|0,1,..] [--pattern RE]
FILE may be .gz, .bz2 or plain (no zstd module in the standard library: pipe
`zstd -dc` into it and pass '-').
"""
import bz2
import gzip
import hashlib
import re
import sys
import xml.etree.ElementTree as ET

DEFAULT_PATTERN = r"vandal|\brvv?\b|reverted edits by|cluebot|huggle|\(hg\)"


def local(tag):
    return tag.rsplit("}", 1)[-1]


def open_any(path):
    if path == "-":
        return sys.stdin.buffer
    with open(path, "rb") as f:
        magic = f.read(3)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")
    if magic == b"BZh":
        return bz2.open(path, "rb")
    return open(path, "rb")


def main():
    args = sys.argv[1:]
    path = args[0]
    radius, ns_sel, pattern = 15, {0}, DEFAULT_PATTERN
    i = 1
    while i < len(args):
        if args[i] == "--radius":
            radius = int(args[i + 1])
        elif args[i] == "--ns":
            ns_sel = None if args[i + 1] == "all" else {int(x) for x in args[i + 1].split(",")}
        elif args[i] == "--pattern":
            pattern = args[i + 1]
        i += 2
    rx = re.compile(pattern, re.IGNORECASE)

    ns_names = {}
    page = None
    out = sys.stdout
    for event, el in ET.iterparse(open_any(path), events=("start", "end")):
        tag = local(el.tag)
        if event == "start":
            if tag == "page":
                page = {"revs": [], "ns": None, "redirect": False, "in_rev": False}
            elif tag == "revision" and page is not None:
                page["in_rev"] = True
            continue
        if tag == "namespace" and page is None:
            if el.text:
                ns_names[el.text] = int(el.get("key"))
        elif page is not None and not page["in_rev"] and tag in ("title", "id", "ns", "redirect"):
            # page-level children only; a revision's own fields are read at </revision>
            if tag == "redirect":
                page["redirect"] = True
            elif tag not in page:
                page[tag] = el.text or ""
        elif tag == "revision":
            r = {}
            for c in el:
                ct = local(c.tag)
                if ct == "id":
                    r["id"] = c.text
                elif ct == "comment":
                    r["comment"] = c.text or ""
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
            ns = page.get("ns")
            if ns is not None:
                ns = int(ns)
            else:
                title = page.get("title", "")
                ns = ns_names.get(title.split(":", 1)[0], 0) if ":" in title else 0
            if (ns_sel is None or ns in ns_sel) and not page["redirect"]:
                revs = page["revs"]
                for k in range(2, len(revs)):
                    R, B = revs[k], revs[k - 1]
                    if R["key"] is None or B["key"] is None or B["key"] == R["key"]:
                        continue
                    for j in range(k - 2, max(0, k - radius) - 1, -1):
                        if revs[j]["key"] == R["key"]:
                            m = 1 if rx.search(R.get("comment", "")) else 0
                            out.write("%s\t%s\t%s\t%s\t%d\n" % (page["id"], R["id"], revs[j]["id"],
                                                                B["id"], m))
                            break
            page = None
            el.clear()


if __name__ == "__main__":
    main()
