#!/usr/bin/env python3
"""Independent check of `pmp-extract hh`: recompute the groups from the raw
hh-rlhf file with Python's json module and compare with the program's output."""
import gzip
import json
import sys

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
    print(f"ok: {len(want)} groups, skipped {skipped}")


if __name__ == "__main__":
    main()
