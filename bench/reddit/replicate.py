#!/usr/bin/python3
"""Write >= MIN_MB of pushshift NDJSON to stdout by replicating real months with
shifted ids: copy k adds k * 36**7 to every id, parent_id and link_id (prefixes
kept), so every copy is a new set of threads with the same shape and text.

usage: replicate.py MIN_MB RC_a.ndjson [RC_b.ndjson ...] > big.ndjson
"""
import re
import sys

ID = re.compile(rb'"(id|parent_id|link_id)":\s*"(t[13]_)?([0-9a-z]+)"')
SHIFT = 36 ** 7


def b36(n):
    s = b""
    while True:
        n, d = divmod(n, 36)
        s = b"0123456789abcdefghijklmnopqrstuvwxyz"[d:d + 1] + s
        if n == 0:
            return s


def main():
    min_bytes = float(sys.argv[1]) * 1e6
    # each line as text pieces around its ids, parsed once
    templates = []
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            for line in f:
                pieces, ids, pos = [], [], 0
                for m in ID.finditer(line):
                    pieces.append(line[pos:m.start(3)])
                    ids.append(int(m.group(3), 36))
                    pos = m.end(3)
                pieces.append(line[pos:])
                templates.append((pieces, ids))
    out = sys.stdout.buffer
    written, k = 0, 0
    while written < min_bytes:
        chunk = []
        for pieces, ids in templates:
            parts = [pieces[0]]
            for i, v in enumerate(ids):
                parts.append(b36(v + k * SHIFT))
                parts.append(pieces[i + 1])
            chunk.append(b"".join(parts))
        data = b"".join(chunk)
        out.write(data)
        written += len(data)
        k += 1
    sys.stderr.write("replicate.py: %d copies, %.1f MB\n" % (k, written / 1e6))


if __name__ == "__main__":
    main()
