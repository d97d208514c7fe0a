#!/usr/bin/env python3
"""Independent check of `pmp-extract hh`: recompute the groups from the raw
hh-rlhf file with Python's json module and compare with the program's output.
The split key is recomputed here too: the first human turn, whitespace runs made one
space, hashed with the system's libxxhash (docs/records.md, "Split keys")."""
import ctypes
import gzip
import json
import re
import sys

_xxh = ctypes.CDLL("libxxhash.so.0")
_xxh.XXH64.restype = ctypes.c_uint64
_xxh.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]


def split_key(context):
    end = context.find(ASSISTANT)
    head = context[:end] if end >= 0 else context
    h = head.find("Human:")
    turn = head[h + len("Human:"):] if h >= 0 else head
    norm = " ".join(w for w in re.split(r"[ \t\n\r\v\f]+", turn) if w).encode("utf-8")
    return "hh/%016x" % _xxh.XXH64(norm, len(norm), 0)

ASSISTANT = "\n\nAssistant:"


def expected_groups(path, name):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    groups, skipped = [], {"identical": 0, "no_assistant_turn": 0, "different_prefix": 0}
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            d = json.loads(line)
            ch, rj = d["chosen"], d["rejected"]
            if ch == rj:
                skipped["identical"] += 1
                continue
            ic, ir = ch.rfind(ASSISTANT), rj.rfind(ASSISTANT)
            if ic < 0 or ir < 0:
                skipped["no_assistant_turn"] += 1
                continue
            ctx_c, ctx_r = ch[: ic + len(ASSISTANT)], rj[: ir + len(ASSISTANT)]
            if ctx_c != ctx_r:
                skipped["different_prefix"] += 1
                continue
            groups.append({
                "source": "hh",
                "id": f"hh/{name}/{lineno}",
                "split_key": split_key(ctx_c),
                "context": ctx_c,
                "responses": [
                    {"id": "chosen", "text": ch[len(ctx_c):], "score": 1},
                    {"id": "rejected", "text": rj[len(ctx_c):], "score": 0},
                ],
            })
    return groups, skipped


def main():
    src, out, stats_path, name = sys.argv[1:5]
    want, skipped = expected_groups(src, name)
    with open(out, encoding="utf-8") as f:
        got = [json.loads(l) for l in f]
    if len(got) != len(want):
        sys.exit(f"group count: got {len(got)}, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            sys.exit(f"group {i + 1} differs:\n got  {json.dumps(g)[:300]}\n want {json.dumps(w)[:300]}")
    stats = json.loads(open(stats_path).read().strip().splitlines()[-1])
    for k, v in skipped.items():
        if stats[f"skipped_{k}"] != v:
            sys.exit(f"stats skipped_{k}: got {stats[f'skipped_{k}']}, expected {v}")
    if stats["groups"] != len(want):
        sys.exit("stats groups disagree")
    keys = {}
    for w in want:
        keys[w["split_key"]] = keys.get(w["split_key"], 0) + 1
    shared = sum(n for n in keys.values() if n > 1)
    print(f"ok: {len(want)} groups, skipped {skipped}; {len(keys)} split keys, "
          f"{shared} groups share theirs with another")


if __name__ == "__main__":
    main()
