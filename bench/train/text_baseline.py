#!/usr/bin/python3
"""Independent text-only baselines for ranked pairs, on pmp shard directories.

For each DIR (train shards, with DIR/eval), fits two logistic regressions on the
training pairs (feature of better minus feature of worse) and reports pair accuracy
on DIR/eval next to "the longer response wins":
  len      log(1 + tokens), its square
  bow+len  those plus log(1 + count) of 4096 hashed token ids and the share of the
           response's distinct tokens that occur in the context
This is the question "is there signal beyond length that a simple model can find
in this much data?", answered without pmp's trainer. numpy only.
usage: text_baseline.py DIR [DIR...]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "formats", "python"))
import pmp_shards  # noqa: E402

H = 4096


def pairs(d):
    out = []
    for s in pmp_shards.load_dir(d):
        for (b, w), g in zip(s.pairs, s.pair_group):
            ctx = s.tokens[s.ctx_off[g]:s.ctx_end[g]]
            out.append((ctx, s.tokens[s.resp_off[b]:s.resp_end[b]],
                        s.tokens[s.resp_off[w]:s.resp_end[w]]))
    return out


def feature(ctx, resp):
    f = np.zeros(H + 3)
    np.add.at(f, (resp.astype(np.uint64) * 2654435761 % H).astype(np.int64), 1.0)
    f[:H] = np.log1p(f[:H])
    n = np.log1p(len(resp))
    f[H], f[H + 1] = n, n * n / 10
    rs = set(resp.tolist())
    f[H + 2] = len(rs & set(ctx.tolist())) / (1 + len(rs))
    return f


def design(ps):
    return np.array([feature(c, b) - feature(c, w) for c, b, w in ps])


def fit(X, l2, epochs=300, lr=0.5):
    """Logistic regression through the origin on symmetric pair differences."""
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-X @ w))
        w -= lr * (-(X.T @ (1.0 - p)) / len(X) + l2 * w)
    return w


def longer_wins(ps):
    return float(np.mean([1.0 if len(b) > len(w) else 0.5 if len(b) == len(w) else 0.0
                          for _, b, w in ps]))


def main():
    rows = []
    print(f"{'shards':28s} {'train':>6s} {'eval':>5s} {'longer':>7s} {'len':>6s} {'bow+len':>8s}")
    for d in sys.argv[1:]:
        tr, ev = pairs(d), pairs(os.path.join(d, "eval"))
        Xtr, Xev = design(tr), design(ev)
        lw = longer_wins(ev)
        idx_len = [H, H + 1]
        a_len = float(np.mean(Xev[:, idx_len] @ fit(Xtr[:, idx_len], 0.01) > 0))
        a_bow = float(np.mean(Xev @ fit(Xtr, 0.1) > 0))
        rows.append((lw, a_len, a_bow))
        print(f"{os.path.basename(d.rstrip('/')):28s} {len(tr):6d} {len(ev):5d} {lw:7.3f} "
              f"{a_len:6.3f} {a_bow:8.3f}", flush=True)
    m = np.mean(rows, axis=0)
    print(f"{'mean':28s} {'':6s} {'':5s} {m[0]:7.3f} {m[1]:6.3f} {m[2]:8.3f}")


if __name__ == "__main__":
    main()
