#!/usr/bin/env python3
"""Independent check of a keyed split and of `pmp-shard leaks`.

    leaks_check.py GROUPS.jsonl DIR FRACTION key|id LEAKS.json

From the input groups (Python's json), each group's side is recomputed from the rule
in docs/tokenize.md (XXH64 of the split key, or of the id for `id` and for groups
without a key, seed 0x706d702d73706c74, below FRACTION * 2^64: eval), and compared
with the groups DIR and DIR/eval hold (read with formats/python/pmp_shards.py). The
leak counts are recomputed from the shards (keys as stored, contexts as token
sequences) and compared with LEAKS.json, what `pmp-shard leaks --json` printed.
Prints the counts as one line."""
import ctypes
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "formats", "python"))
import pmp_shards  # noqa: E402

_xxh = ctypes.CDLL("libxxhash.so.0")
_xxh.XXH64.restype = ctypes.c_uint64
_xxh.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
SPLIT_SEED = 0x706D702D73706C74


def in_eval(key, fraction):
    b = key.encode("utf-8")
    return _xxh.XXH64(b, len(b), SPLIT_SEED) / 2.0**64 < fraction


def side_groups(d):
    out = []   # (source, id, key or None, context tokens)
    for s in pmp_shards.load_dir(d):
        for g in range(len(s.ids)):
            ctx = tuple(int(t) for t in s.tokens[s.ctx_off[g]:s.ctx_end[g]])
            out.append((s.sources[g], s.ids[g], s.split_keys[g], ctx))
    return out


def main():
    groups_path, d, fraction, by, leaks_path = sys.argv[1:6]
    fraction = float(fraction)
    want = {0: [], 1: []}
    with open(groups_path, encoding="utf-8") as f:
        for line in f:
            g = json.loads(line)
            key = g["id"] if by == "id" else g.get("split_key") or g["id"]
            want[int(in_eval(key, fraction))].append(g["id"])
    sides = [side_groups(d), side_groups(os.path.join(d, "eval"))]
    for i, name in enumerate(("train", "eval")):
        got = [x[1] for x in sides[i]]
        if got != want[i]:
            sys.exit(f"{name}: {len(got)} groups, the rule puts {len(want[i])} there"
                     f" (first difference: {next((a, b) for a, b in zip(got + [None], want[i] + [None]) if a != b)})")
    keys = [{(k if k is not None else i) for _, i, k, _ in s} for s in sides]
    ctxs = [{c for *_, c in s if c} for s in sides]
    exp = {"shared_split_keys": len(keys[0] & keys[1]),
           "train_split_keys": len(keys[0]), "eval_split_keys": len(keys[1])}
    for i, name in enumerate(("train", "eval")):
        o = 1 - i
        exp[name] = {
            "groups": len(sides[i]),
            "groups_sharing_split_key": sum((k if k is not None else gid) in keys[o] for _, gid, k, _ in sides[i]),
            "groups_identical_context": sum(bool(c) and c in ctxs[o] for *_, c in sides[i]),
        }
    got = json.load(open(leaks_path))
    for k, v in exp.items():
        if got.get(k) != v:
            sys.exit(f"pmp-shard leaks: {k} = {got.get(k)}, expected {v}")
    print(json.dumps(exp))


if __name__ == "__main__":
    main()
