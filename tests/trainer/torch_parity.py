#!/usr/bin/python3
"""Parity of the C trainer with an independent PyTorch model (float64).

For each objective (rank, rank + LM, binarised rank, binary, binarised binary,
imitation, lm; pairs' common context stored once, and for two cases stored twice),
parity_dump writes random weights, a packed batch and our loss,
rewards and gradients; this script recomputes them in PyTorch and requires every
quantity within 1e-4 relative (per tensor: max abs difference / max abs value).
Exit 77 (skip) when torch cannot be imported.
usage: torch_parity.py PARITY_DUMP_BINARY SRC_DIR TMP_DIR
"""
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no peer"
    print(f"skip: cannot import torch/numpy: {e}")
    sys.exit(77)

dump, src, tmp = sys.argv[1:4]
sys.path.insert(0, os.path.join(src, "bench", "trainer"))
import torch_pm  # noqa: E402

# (objective, binarize, lm_coef, share_context[, margin, center_rewards])
CASES = [("rank", 0, 0.0, 1), ("rank", 0, 0.5, 1), ("rank", 1, 0.0, 1), ("binary", 0, 0.0, 1),
         ("binary", 1, 0.0, 1), ("imitation", 0, 0.0, 1), ("lm", 0, 0.0, 1),
         ("rank", 0, 0.5, 0), ("binary", 1, 0.0, 0),
         ("rank", 0, 0.0, 1, 1, 0.0), ("rank", 0, 0.0, 1, 0, 0.05), ("rank", 0, 0.5, 1, 1, 0.05)]
TOL = 1e-4


def rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(np.abs(b).max(), 1e-12)
    return float(np.abs(a - b).max() / scale)


torch.set_default_dtype(torch.float64)
fails = 0
for obj, binz, lmc, share, *extra in CASES:
    margin, center = extra if extra else (0, 0.0)
    d = os.path.join(tmp, f"{obj}_{binz}_{lmc}_{share}_{margin}_{center}")
    os.makedirs(d, exist_ok=True)
    subprocess.run([dump, obj, str(binz), str(lmc), str(share), d, str(margin), str(center)], check=True)
    case = json.load(open(os.path.join(d, "case.json")))
    cfg = tuple(case["cfg"])
    flat = torch.from_numpy(np.fromfile(os.path.join(d, "params.bin"), dtype=np.float32)
                            .astype(np.float64))
    ours = np.fromfile(os.path.join(d, "grads.bin"), dtype=np.float32)
    p = torch_pm.unflatten(flat, cfg)
    loss, r, slp = torch_pm.forward(p, cfg, case, case["coefs"])
    loss.backward()
    worst = [("loss", rel([case["loss"]], [loss.item()])),
             ("rewards", rel(case["rewards"], r.detach().numpy()))]
    if any(t >= 0 for t in case["targets"]):
        worst.append(("seq_logprob", rel(case["seq_logprob"], slp.numpy())))
    off = 0
    for name, shp in torch_pm.shapes(*cfg):
        n = int(np.prod(shp))
        g = p[name].grad
        ref = np.zeros(n) if g is None else g.numpy().reshape(-1)
        mine = ours[off:off + n]
        off += n
        if np.abs(ref).max() == 0:
            # a parameter the loss does not touch (e.g. the reward head under lm)
            worst.append((name, float(np.abs(mine).max())))
        else:
            worst.append((name, rel(mine, ref)))
    bad = [(k, v) for k, v in worst if not v <= TOL]
    top = max(worst, key=lambda kv: kv[1])
    shared = sum(case["shared"])
    print(f"{obj:9s} binarize={binz} lm_coef={lmc} shared={shared} margin={margin} "
          f"center={center}: loss {loss.item():.6f} "
          f"worst {top[0]} {top[1]:.2e} {'FAIL ' + str(bad) if bad else 'ok'}")
    fails += bool(bad)
sys.exit(1 if fails else 0)
