#!/usr/bin/python3
"""Independent, deliberately naive BPE trainer (full recount every merge) to
check pmp-bpe train's merges. Same rules as docs/tokenizer.md: ids 0-255 are
the bytes, merge k makes id 256+k; the pair with the highest count wins, ties
to the smaller left id, then the smaller right id; a pair whose joined bytes
already are a token is skipped; stop below min_frequency.
  ref_train.py CORPUS N_MERGES PATTERN  -> one merge per line: hex(left) hex(right)
PATTERN must mean the same in Python's re as in PCRE2 (ASCII classes only)."""
import re, sys
from collections import Counter

corpus, n_merges, pattern = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rx = re.compile(pattern.encode())
words = Counter()
with open(corpus, "rb") as f:
    for line in f:
        line = line.rstrip(b"\n")
        pos = 0
        for m in rx.finditer(line):
            assert m.start() == pos, "pattern must cover the text"
            words[m.group()] += 1
            pos = m.end()
        assert pos == len(line)
tok = {i: bytes([i]) for i in range(256)}
known = set(tok.values())
seqs = {w: list(w) for w in words}
out = []
while len(out) < n_merges:
    pc = Counter()
    for w, f in words.items():
        s = seqs[w]
        for i in range(len(s) - 1):
            pc[(s[i], s[i + 1])] += f
    best = None
    for (a, b), c in sorted(pc.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1])):
        if tok[a] + tok[b] not in known:
            best = (a, b, c)
            break
    if best is None or best[2] < 2:
        break
    a, b, _ = best
    z = 256 + len(out)
    tok[z] = tok[a] + tok[b]
    known.add(tok[z])
    out.append((a, b))
    for w in words:
        s, n, i = seqs[w], [], 0
        while i < len(s):
            if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                n.append(z)
                i += 2
            else:
                n.append(s[i])
                i += 1
        seqs[w] = n
for a, b in out:
    print(tok[a].hex(), tok[b].hex())
