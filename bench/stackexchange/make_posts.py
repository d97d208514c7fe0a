#!/usr/bin/python3
"""Writes a large Posts.xml for the benchmark by replicating the rows of the real
dumps in SHARED/stackexchange with shifted Ids (Id, ParentId, AcceptedAnswerId),
so every copy is a distinct set of questions and answers with real bodies.

Usage: make_posts.py SHARED OUT MIN_BYTES
"""
import glob
import os
import re
import sys

ID_ATTRS = re.compile(rb' (Id|ParentId|AcceptedAnswerId)="(\d+)"')


def main():
    shared, out, min_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sites = []
    for path in sorted(glob.glob(os.path.join(shared, "stackexchange", "*Posts.xml"))):
        with open(path, "rb") as f:
            sites.append([l for l in f.read().split(b"\n") if l.lstrip().startswith(b"<row ")])
    if not sites:
        return 77
    written = 0
    tmp = out + ".part"
    with open(tmp, "wb") as f:
        f.write(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        copy = 0
        while written < min_bytes:
            for s, rows in enumerate(sites):
                shift = copy * 1_000_000 + s * 100_000   # real Ids are < 100000
                for r in rows:
                    line = ID_ATTRS.sub(lambda m: b' %s="%d"' % (m.group(1), int(m.group(2)) + shift), r)
                    f.write(line)
                    f.write(b"\n")
                    written += len(line) + 1
            copy += 1
        f.write(b"</posts>\n")
    os.replace(tmp, out)
    print(f"{out}: {written} bytes of rows, {copy} copies of {len(sites)} dumps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
