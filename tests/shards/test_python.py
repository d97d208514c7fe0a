"""Checks pmp_shards.py (see python.sh). argv: TMPDIR BINDIR."""
import json
import math
import subprocess
import sys

import numpy as np

import pmp_shards

T, BIN = sys.argv[1], sys.argv[2]
groups = [json.loads(l) for l in open(T + "/in.jsonl", encoding="utf-8")]


def concat(dirpath):
    shards = pmp_shards.load_dir(dirpath)
    assert len(shards) >= 2, "expected several shards"
    out = []
    for s in shards:
        for g in range(len(s.ids)):
            r0, r1 = s.group_resp[g], s.group_resp[g + 1]
            p0, p1 = s.group_pairs[g], s.group_pairs[g + 1]
            out.append(dict(
                id=s.ids[g], source=s.sources[g], meta=s.metas[g],
                ctx=s.tokens[s.ctx_off[g]:s.ctx_end[g]], ctx_orig=int(s.ctx_orig[g]),
                resp=[s.tokens[s.resp_off[r]:s.resp_end[r]] for r in range(r0, r1)],
                resp_orig=[int(x) for x in s.resp_orig[r0:r1]],
                scores=list(s.scores[r0:r1]), created=list(s.created_utc[r0:r1]),
                rids=s.resp_ids[r0:r1],
                pairs=[(int(a - r0), int(b - r0)) for a, b in s.pairs[p0:p1]]))
    return out


def want_pairs(g, gap=0.0, time_rule=False):
    """The pairing policy of docs/tokenize.md, restated."""
    rs = g["responses"]
    out = []
    for i in range(len(rs)):
        for j in range(i + 1, len(rs)):
            si, sj = rs[i]["score"], rs[j]["score"]
            if si == sj:
                continue
            a, b = (i, j) if si > sj else (j, i)
            if abs(si - sj) < gap:
                continue
            ta, tb = rs[a].get("created_utc"), rs[b].get("created_utc")
            if time_rule and ta is not None and tb is not None:
                if not (ta >= tb or rs[a]["score"] >= 2 * rs[b]["score"]):
                    continue
            out.append((a, b))
    return out


def encode(texts):
    inp = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts).encode("utf-8")
    res = subprocess.run([BIN + "/pmp-bpe", "encode", "-q", "--jsonl", "-t", T + "/tok.tiktoken"],
                         input=inp, stdout=subprocess.PIPE, check=True)
    return [np.array([int(x) for x in l.split()], dtype=np.uint32)
            for l in res.stdout.decode().split("\n")[:-1]]


# 1. untruncated, all pairs: fields, tokens and pairs
got = concat(T + "/all")
assert len(got) == len(groups), (len(got), len(groups))
texts = []
for g in groups:
    texts.append(g["context"])
    texts.extend(r["text"] for r in g["responses"])
ids = encode(texts)
k = 0
for g, h in zip(groups, got):
    assert h["id"] == g["id"] and h["source"] == g["source"]
    assert (h["meta"] is None) == ("meta" not in g)
    if h["meta"] is not None:
        assert json.loads(h["meta"]) == g["meta"]
    assert np.array_equal(h["ctx"], ids[k]), g["id"]
    k += 1
    for r, (resp, tok) in enumerate(zip(g["responses"], h["resp"])):
        assert np.array_equal(tok, ids[k]), (g["id"], r)
        k += 1
        assert h["scores"][r] == resp["score"]
        c = resp.get("created_utc")
        assert (math.isnan(h["created"][r]) if c is None else h["created"][r] == c)
        assert h["rids"][r] == resp.get("id")
    assert h["pairs"] == want_pairs(g), (g["id"], h["pairs"], want_pairs(g))

# the same as pmp-shard cat
cat = [json.loads(l) for l in open(T + "/all.cat", encoding="utf-8")]
assert [c["id"] for c in cat] == [h["id"] for h in got]
assert [[r["score"] for r in c["responses"]] for c in cat] == [h["scores"] for h in got]

# 2. truncation and gap + time rule
got = concat(T + "/trunc")
k = 0
ntrunc = 0
for g, h in zip(groups, got):
    full = ids[k]; k += 1
    assert np.array_equal(h["ctx"], full[-20:]), g["id"]
    assert h["ctx_orig"] == len(full)
    ntrunc += len(full) > 20
    for r in range(len(g["responses"])):
        full = ids[k]; k += 1
        assert np.array_equal(h["resp"][r], full[:15]), (g["id"], r)
        assert h["resp_orig"][r] == len(full)
    assert h["pairs"] == want_pairs(g, 3.0, True), g["id"]
man = pmp_shards.load_manifest(T + "/trunc")
assert man["stats"]["contexts_truncated"] == ntrunc > 0
assert man["stats"]["pairs_dropped_time"] > 0 and man["stats"]["pairs_dropped_gap"] > 0

# 3. at most 2 pairs per group, a subset of all, in enumeration order
got = concat(T + "/cap")
for g, h in zip(groups, got):
    w = want_pairs(g)
    assert len(h["pairs"]) == min(2, len(w))
    pos = [w.index(p) for p in h["pairs"]]
    assert pos == sorted(pos)

# 4. damage is caught by the Python reader too
p = T + "/all/shard-000000.pmps"
data = bytearray(open(p, "rb").read())
data[100] ^= 1
open(T + "/bad.pmps", "wb").write(data)
try:
    pmp_shards.load_shard(T + "/bad.pmps")
    raise SystemExit("flip not detected")
except pmp_shards.ShardError as e:
    assert "block 0" in str(e), e
# 5. a shard of several blocks: all groups, in order, pairs as the policy says (K=8)
big = [json.loads(l) for l in open(T + "/big.jsonl", encoding="utf-8")]
shards = pmp_shards.load_dir(T + "/big")
assert len(shards) == 1 and shards[0].footer["blocks"] >= 3, shards[0].footer
s = shards[0]
assert s.ids == [g["id"] for g in big]
for g, gi in zip(big, range(len(big))):
    n = s.group_pairs[gi + 1] - s.group_pairs[gi]
    assert n == min(8, len(want_pairs(g))), g["id"]
assert len(s.pairs) == s.footer["pairs"]
# pmp-shard pair K (binary search over the index, one block) agrees with the reader
ks = list(range(0, len(s.pairs), max(1, len(s.pairs) // 97))) + [len(s.pairs) - 1]
res = subprocess.run([BIN + "/pmp-shard", "pair", T + "/big"] + [str(k) for k in ks],
                     stdout=subprocess.PIPE, check=True)
for k, line in zip(ks, res.stdout.decode().splitlines()):
    j = json.loads(line)
    g = int(s.pair_group[k])
    r0 = int(s.group_resp[g])
    assert j["pair"] == k and j["group"] == s.ids[g], (k, j)
    assert (j["better"], j["worse"]) == (int(s.pairs[k][0]) - r0, int(s.pairs[k][1]) - r0), (k, j)
    assert j["better_score"] == s.scores[s.pairs[k][0]] and j["worse_score"] == s.scores[s.pairs[k][1]]
assert len(res.stdout.decode().splitlines()) == len(ks)
print("python reader ok: %d groups" % len(groups))
