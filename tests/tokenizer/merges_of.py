#!/usr/bin/python3
"""Prints the merges of a tokenizer.json as hex(left) hex(right), undoing
GPT-2's byte spelling with an independent table (not pmp's code)."""
import json, sys

def byte_table():
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cps, n = {}, 0
    for b in range(256):
        if b in keep:
            cps[chr(b)] = b
        else:
            cps[chr(256 + n)] = b
            n += 1
    return cps

t = byte_table()
m = json.load(open(sys.argv[1], encoding="utf-8"))["model"]["merges"]
for e in m:
    a, b = e.split(" ") if isinstance(e, str) else e
    print(bytes(t[c] for c in a).hex(), bytes(t[c] for c in b).hex())
