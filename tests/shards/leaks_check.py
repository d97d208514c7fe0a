#!/usr/bin/env python3
"""Independent check of a keyed split and of `pmp-shard leaks`.

    leaks_check.py GROUPS.jsonl DIR FRACTION key|id LEAKS.json

From the input groups (Python's json), each group's side is recomputed from the rule
in docs/tokenize.md (XXH64 of the split key, or of the id for `id` and for groups
without a key, seed 0x706d702d73706c74, below FRACTION * 2^64: eval), and compared
with the groups DIR and DIR/eval hold (read with formats/python/pmp_shards.py). The
leak counts are recomputed from the shards (keys as stored, contexts as token
sequences) and compared with LEAKS.json, what `pmp-shard leaks --json` printed.

Near-duplicate contexts: from the input groups' context texts (not the shards: the
groups are not truncated here), with the words and 5-word shingles of
tests/dedup/reference.py (pmp-dedup's documented normalisation), the exact Jaccard of
every pair of distinct contexts across the split that shares a shingle, by brute force
over an inverted index. MinHash estimates, so the count is checked as pmp-dedup's
reference checks its rule 4: the groups counted must include at least 95% of those
whose best Jaccard with the other side is >= near + 0.05, and at most 1% of those
below near - 0.2 (a count between the two bounds). Prints the counts as one line."""
import ctypes
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "formats", "python"))
import pmp_shards  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "dedup"))
import reference  # noqa: E402

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


def best_jaccard(texts, other):
    """For each distinct context of texts, its largest exact Jaccard with a context of
    other (0 when none shares a shingle); contexts without words are left out."""
    sets = {t: reference.shingles(reference.words(t), 5) for t in set(texts) | set(other)}
    index = {}
    for t in set(other):
        for sh in sets[t]:
            index.setdefault(sh, []).append(t)
    best = {}
    for t in set(texts):
        a = sets[t]
        if not a:
            continue
        cands = {u for sh in a for u in index.get(sh, ())}
        best[t] = max((len(a & sets[u]) / len(a | sets[u]) for u in cands), default=0.0)
    return best


def check_near(sides_text, got, near):
    """The count of near-duplicate contexts against the brute-force bounds."""
    out = {}
    for i, name in enumerate(("train", "eval")):
        best = best_jaccard(sides_text[i], sides_text[1 - i])
        js = [best[t] for t in sides_text[i] if t in best]
        hi = sum(j >= near + 0.05 for j in js)
        lo = sum(j < near - 0.2 for j in js)
        c = got[name]["groups_near_duplicate_context"]
        out[name] = {"near_duplicate_context": c, "jaccard_above": hi, "grey": len(js) - hi - lo, "below": lo}
        if c < 0.95 * hi or c > len(js) - lo + 0.01 * lo:
            sys.exit(f"pmp-shard leaks: {name} near-duplicate contexts = {c}; brute force: {hi} at"
                     f" J >= {near + 0.05:.2f}, {len(js) - lo} at J >= {near - 0.2:.2f} of {len(js)}")
    return out


def main():
    groups_path, d, fraction, by, leaks_path = sys.argv[1:6]
    fraction = float(fraction)
    want = {0: [], 1: []}
    texts = {0: [], 1: []}
    with open(groups_path, encoding="utf-8") as f:
        for line in f:
            g = json.loads(line)
            key = g["id"] if by == "id" else g.get("split_key") or g["id"]
            want[int(in_eval(key, fraction))].append(g["id"])
            texts[int(in_eval(key, fraction))].append(g["context"])
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
        g = got.get(k)
        if isinstance(v, dict) and isinstance(g, dict):
            g = {kk: g.get(kk) for kk in v}
        if g != v:
            sys.exit(f"pmp-shard leaks: {k} = {got.get(k)}, expected {v}")
    if "near" in got:
        exp["near"] = check_near(texts, got, got["near"])
    print(json.dumps(exp))


if __name__ == "__main__":
    main()
