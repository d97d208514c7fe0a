"""The pmp preference model written independently in PyTorch.

Used as the peer in the step benchmark (bench_trainer.sh -> torch_step.py) and as
the reference in the parity test (tests/trainer/torch_parity.py). Same architecture
and losses as trainer/ (see docs/trainer.md): GPT-2 blocks, tied LM head, reward
head on the final-LayerNorm state at each sequence's readout token; sequences of
equal length are run as one [b, T] batch, so a packed batch becomes a few groups.
"""
import math

import torch
import torch.nn.functional as F

NAMES = ["wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
         "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb", "rw", "rb"]
DECAY = {"wte", "wpe", "qkvw", "attprojw", "fcw", "fcprojw", "rw"}


def shapes(L, NH, C, T, V):
    return [("wte", (V, C)), ("wpe", (T, C)), ("ln1w", (L, C)), ("ln1b", (L, C)),
            ("qkvw", (L, 3 * C, C)), ("qkvb", (L, 3 * C)), ("attprojw", (L, C, C)),
            ("attprojb", (L, C)), ("ln2w", (L, C)), ("ln2b", (L, C)),
            ("fcw", (L, 4 * C, C)), ("fcb", (L, 4 * C)), ("fcprojw", (L, C, 4 * C)),
            ("fcprojb", (L, C)), ("lnfw", (C,)), ("lnfb", (C,)), ("rw", (C,)), ("rb", (1,))]


def unflatten(flat, cfg):
    """flat: 1-D tensor in the C layout -> dict of leaf tensors needing grad."""
    out, off = {}, 0
    for name, shp in shapes(*cfg):
        n = math.prod(shp)
        out[name] = flat[off:off + n].reshape(shp).clone().requires_grad_(True)
        off += n
    assert off == flat.numel(), (off, flat.numel())
    return out


def init_params(cfg, dtype=torch.float32, seed=0):
    L = cfg[0]
    g = torch.Generator().manual_seed(seed)
    p = {}
    for name, shp in shapes(*cfg):
        if name in ("ln1w", "ln2w", "lnfw"):
            t = torch.ones(shp, dtype=dtype)
        elif name.endswith("b"):
            t = torch.zeros(shp, dtype=dtype)
        else:
            sd = 0.02 / math.sqrt(2 * L) if name in ("attprojw", "fcprojw") else 0.02
            t = torch.randn(shp, generator=g, dtype=dtype) * sd
        p[name] = t.requires_grad_(True)
    return p


def trunk(p, cfg, tok):
    """tok [b, T] long -> final-LayerNorm states [b, T, C]."""
    L, NH, C = cfg[0], cfg[1], cfg[2]
    b, T = tok.shape
    hs = C // NH
    x = p["wte"][tok] + p["wpe"][:T]
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for l in range(L):
        h = F.layer_norm(x, (C,), p["ln1w"][l], p["ln1b"][l], 1e-5)
        qkv = F.linear(h, p["qkvw"][l], p["qkvb"][l])
        q, k, v = qkv.split(C, dim=-1)
        q = q.view(b, T, NH, hs).transpose(1, 2)
        k = k.view(b, T, NH, hs).transpose(1, 2)
        v = v.view(b, T, NH, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, T, C)
        x = x + F.linear(y, p["attprojw"][l], p["attprojb"][l])
        h = F.layer_norm(x, (C,), p["ln2w"][l], p["ln2b"][l], 1e-5)
        h = F.gelu(F.linear(h, p["fcw"][l], p["fcb"][l]), approximate="tanh")
        x = x + F.linear(h, p["fcprojw"][l], p["fcprojb"][l])
    return F.layer_norm(x, (C,), p["lnfw"], p["lnfb"], 1e-5)


def forward(p, cfg, batch, coefs):
    """batch: dict with tokens, seq_start, readout, targets, label, pair_better,
    pair_worse (python lists, absolute token indices as in pmp_batch).
    coefs: (rank_coef, binary_coef, lm_coef). Returns (loss, rewards [B],
    seq_logprob [B]) as tensors."""
    starts = batch["seq_start"]
    B = len(starts) - 1
    # Each sequence written out whole: a sequence that shares its first P positions
    # with a root (pmp's shared context) gets them back, without targets there.
    root = batch.get("root", [-1] * B)
    shared = batch.get("shared", [0] * B)
    seqs, tgts, ro = [], [], []
    for s in range(B):
        own = batch["tokens"][starts[s]:starts[s + 1]]
        P = shared[s]
        pre = batch["tokens"][starts[root[s]]:starts[root[s]] + P] if P else []
        seqs.append(pre + own)
        tgts.append([-1] * P + batch["targets"][starts[s]:starts[s + 1]])
        ro.append(P + batch["readout"][s] - starts[s])
    # group sequences of equal length into one [b, T] run
    groups = {}
    for s in range(B):
        groups.setdefault(len(seqs[s]), []).append(s)
    rows = [None] * B
    for T, idx in groups.items():
        tok = torch.tensor([seqs[s] for s in idx], dtype=torch.long)
        h = trunk(p, cfg, tok)
        for i, s in enumerate(idx):
            rows[s] = h[i]
    hr = torch.stack([rows[s][ro[s]] for s in range(B)])
    r = hr @ p["rw"] + p["rb"][0]
    rank_c, bin_c, lm_c = coefs[:3]
    center_c = coefs[3] if len(coefs) > 3 else 0.0
    loss = r.new_zeros(())
    P = len(batch["pair_better"])
    if P and rank_c:
        # TRL's RewardTrainer: -logsigmoid(r_chosen - r_rejected - margin)
        d = r[batch["pair_better"]] - r[batch["pair_worse"]]
        if "pair_margin" in batch:
            d = d - torch.tensor(batch["pair_margin"], dtype=r.dtype)
        loss = loss - rank_c * F.logsigmoid(d).mean()
    if P and center_c:
        # TRL: center_rewards_coefficient * mean((r_chosen + r_rejected) ** 2)
        c = r[batch["pair_better"]] + r[batch["pair_worse"]]
        loss = loss + center_c * (c ** 2).mean()
    lab = [(s, batch["label"][s]) for s in range(B) if batch["label"][s] != 0]
    if lab and bin_c:
        idx = torch.tensor([s for s, _ in lab])
        y = torch.tensor([float(v) for _, v in lab], dtype=r.dtype)
        loss = loss + bin_c * F.softplus(-y * r[idx]).mean()
    seq_lp = r.new_zeros(B)
    pos = [(s, t) for s in range(B) for t in range(len(seqs[s])) if tgts[s][t] >= 0]
    if pos:
        hs = torch.stack([rows[s][t] for s, t in pos])
        logp = torch.log_softmax(hs @ p["wte"].T, dim=-1)
        tgt = torch.tensor([tgts[s][t] for s, t in pos])
        lp = logp.gather(1, tgt[:, None])[:, 0]
        if lm_c:
            loss = loss + lm_c * (-lp.mean())
        sid = torch.tensor([s for s, _ in pos])
        cnt = torch.zeros(B, dtype=lp.dtype).index_add_(0, sid, torch.ones_like(lp))
        seq_lp = torch.zeros(B, dtype=lp.dtype).index_add_(0, sid, lp.detach()) / cnt.clamp(min=1)
    return loss, r, seq_lp
