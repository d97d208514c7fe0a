#!/usr/bin/env python3
"""Independent check of `pmp-train export`: read the exported model.safetensors
(parsed here with struct/json/numpy), run GPT-2 in torch float64 with Hugging Face's
conventions (Conv1D [in, out] weights, LayerNorm eps 1e-5, tanh GELU, score head at
the last token), and compare with the rewards `pmp-train score --tokens` printed.
With --lm-loss X: compare instead pmp-train's held-out LM loss X (eval_lm_loss of an
--objective lm run evaluated on the same pairs) with the mean next-token loss of the
pairs' text (context + better response: the better sequence without its end token)."""
import json
import struct
import sys

import numpy as np
import torch


def load_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        b, e = t["data_offsets"]
        arr = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(t["shape"])
        out[name] = torch.tensor(arr.astype(np.float64))
    return out


def hidden(w, cfg, tokens, prefix=""):
    """GPT-2's final hidden states; prefix: "transformer." for a model directory."""
    w = {k[len(prefix):]: v for k, v in w.items() if k.startswith(prefix)}
    C, NH = cfg["n_embd"], cfg["n_head"]
    T = len(tokens)
    x = w["wte.weight"][tokens] + w["wpe.weight"][:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    ln = lambda v, p: torch.nn.functional.layer_norm(v, (C,), w[p + ".weight"], w[p + ".bias"], 1e-5)
    for l in range(cfg["n_layer"]):
        p = f"h.{l}."
        h = ln(x, p + "ln_1")
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(C, dim=1)
        hd = C // NH
        q, k, v = (z.view(T, NH, hd).transpose(0, 1) for z in (q, k, v))
        att = (q @ k.transpose(1, 2)) / (hd ** 0.5)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        a = (att @ v).transpose(0, 1).reshape(T, C)
        x = x + a @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = ln(x, p + "ln_2")
        m = torch.nn.functional.gelu(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    return ln(x, "ln_f")


def reward(w, cfg, tokens):
    return float(hidden(w, cfg, tokens)[-1] @ w["score.weight"][0] + w["score.bias"][0])


def lm_loss(w, cfg, scores, expected):
    total, count = 0.0, 0
    for line in open(scores):
        s = json.loads(line)
        # uncut pairs only: then the LM text is exactly the better sequence minus its EOC
        assert max(len(s["better_tokens"]), len(s["worse_tokens"])) < cfg["n_ctx"], "a pair was cut"
        text = s["better_tokens"][:-1]
        logits = hidden(w, cfg, text) @ w["wte.weight"].T
        nll = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(text[1:]), reduction="sum")
        total += float(nll)
        count += len(text) - 1
    ref = total / count
    if abs(ref - expected) > 1e-4 * max(1.0, ref):
        sys.exit(f"held-out LM loss: ours {expected}, torch {ref} over {count} tokens")
    print(f"ok: held-out LM loss {expected:.6f} reproduced by torch ({ref:.6f}, {count} tokens)")


def hf_dir(d, scores):
    """A model directory as GPT2ForSequenceClassification reads it: the body under
    "transformer.", score.weight [1, C] and no bias, a batch right-padded with
    pad_token_id, the reward read at the last token that is not padding (Hugging
    Face's rule). pmp's reward is that plus config.json's pmp_score_bias."""
    w = load_safetensors(f"{d}/model.safetensors")
    cfg = json.load(open(f"{d}/config.json"))
    assert cfg["architectures"] == ["GPT2ForSequenceClassification"] and cfg["num_labels"] == 1, cfg
    V, pad = cfg["pmp_vocab_size"], cfg["pad_token_id"]
    assert pad == V and cfg["vocab_size"] == V + 1 and cfg["eos_token_id"] != pad, cfg
    assert set(w) - {"score.weight"} == {k for k in w if k.startswith("transformer.")}, sorted(w)
    assert tuple(w["score.weight"].shape) == (1, cfg["n_embd"]), w["score.weight"].shape
    assert tuple(w["transformer.wte.weight"].shape) == (V + 1, cfg["n_embd"])
    assert float(w["transformer.wte.weight"][pad].abs().max()) == 0.0, "the padding row must be zeros"
    worst, n = 0.0, 0
    for line in open(scores):
        s = json.loads(line)
        seqs = [s["better_tokens"], s["worse_tokens"]]
        L = max(map(len, seqs))
        for side, seq in zip(("better", "worse"), seqs):
            assert seq[-1] == cfg["eos_token_id"], "pmp reads the reward at its end-of-context token"
            ids = torch.tensor(seq + [pad] * (L - len(seq)))
            last = int((torch.arange(L) * (ids != pad)).argmax())
            logits = hidden(w, cfg, ids.tolist(), "transformer.") @ w["score.weight"][0]
            ref = float(logits[last]) + cfg["pmp_score_bias"]
            err = abs(ref - s[side]) / max(1.0, abs(ref))
            worst, n = max(worst, err), n + 1
            if err > 1e-4:
                sys.exit(f"pair {s['pair']} {side}: pmp {s[side]}, the directory read as Hugging Face does {ref}")
    print(f"ok: {n} rewards reproduced from the model directory, worst relative error {worst:.2e}")


def main():
    if sys.argv[1] == "--hf-dir":
        return hf_dir(sys.argv[2], sys.argv[3])
    model, config, scores = sys.argv[1:4]
    w = load_safetensors(model)
    cfg = json.load(open(config))
    if len(sys.argv) == 6 and sys.argv[4] == "--lm-loss":
        return lm_loss(w, cfg, scores, float(sys.argv[5]))
    worst = 0.0
    n = 0
    for line in open(scores):
        s = json.loads(line)
        for side in ("better", "worse"):
            ref = reward(w, cfg, s[side + "_tokens"])
            err = abs(ref - s[side]) / max(1.0, abs(ref))
            worst = max(worst, err)
            n += 1
            if err > 1e-4:
                sys.exit(f"pair {s['pair']} {side}: ours {s[side]}, torch {ref}")
    print(f"ok: {n} rewards reproduced by torch, worst relative error {worst:.2e}")


if __name__ == "__main__":
    main()
