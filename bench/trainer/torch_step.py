#!/usr/bin/python3
"""PyTorch peer of pmp-bench-train: the same model (torch_pm.py), rank loss, batch
and optimizer (AdamW, decay on matrices only, clip 1.0) on the CPU.
usage: torch_step.py PRESET V T PAIRS THREADS STEPS   -> one JSON line
"""
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_pm  # noqa: E402

PRESETS = {"tiny": (4, 4, 256), "small": (6, 6, 384), "gpt2": (12, 12, 768)}


def blas_libs():
    """The BLAS shared objects this process has mapped (resolved symlinks)."""
    seen = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in path or "lapack" in path:
                seen.add(os.path.realpath(path))
    return sorted(seen)


def main():
    preset, V, T, pairs, threads, steps = sys.argv[1], *map(int, sys.argv[2:7])
    torch.set_num_threads(threads)
    L, NH, C = PRESETS[preset]
    cfg = (L, NH, C, T, V)
    p = torch_pm.init_params(cfg, torch.float32, seed=1)
    decay = [p[n] for n in torch_pm.NAMES if n in torch_pm.DECAY]
    nodecay = [p[n] for n in torch_pm.NAMES if n not in torch_pm.DECAY]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    # sequence s: token at position t = (s*131 + t*31 + 7) % (V-1), EOC = V-1 last;
    # sequences 2k (better) and 2k+1 (worse) share the context (first T/2 tokens)
    nc = T // 2
    rows = []
    for s in range(2 * pairs):
        ctx_seq = s - (s % 2)
        row = [((ctx_seq * 131 + t * 31 + 7) % (V - 1)) for t in range(nc)]
        row += [((s * 131 + t * 31 + 7) % (V - 1)) for t in range(nc, T - 1)]
        rows.append(row + [V - 1])
    tok = torch.tensor(rows, dtype=torch.long)
    times, loss = [], None
    for step in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        h = torch_pm.trunk(p, cfg, tok)
        r = h[:, -1] @ p["rw"] + p["rb"][0]
        loss = F.softplus(-(r[0::2] - r[1::2])).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
        opt.step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times[1:])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"impl": "torch", "torch": torch.__version__, "preset": preset, "V": V,
                      "T": T, "pairs": pairs, "threads": threads, "steps": steps,
                      "median_step_s": round(med, 6), "last_loss": round(loss.item(), 6),
                      "peak_rss_mb": round(rss, 1), "blas": blas_libs()}))


if __name__ == "__main__":
    main()
