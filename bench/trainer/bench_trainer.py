#!/usr/bin/python3
"""Trainer step benchmark: pmp (C, OpenMP + OpenBLAS) vs PyTorch on the CPU, in the same
run, 1 and 2 threads, for the tiny / small / gpt2 shapes of issue 8; plus the OpenBLAS
SGEMM peak on this machine. Prints medians, ratios, GFLOP/s, share of the SGEMM
peak and peak RSS; the runs alternate pmp / torch so background load hits both.
env: PMP_BIN (pmp-bench-train), PMP_SRC; PMP_BENCH_CONFIGS=tiny,small,gpt2 to choose;
PMP_BENCH_ROUNDS (default 2) runs per implementation and thread count.
"""
import json
import os
import statistics
import subprocess
import sys

BIN = os.path.join(os.environ.get("PMP_BIN", "build/bin"), "pmp-bench-train")
HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
CONFIGS = {  # preset: (V, T, pairs, steps per run)
    "tiny": (8192, 128, 8, 4),
    "small": (16384, 256, 8, 3),
    "gpt2": (50257, 256, 2, 2),
}
want = os.environ.get("PMP_BENCH_CONFIGS", "tiny,small,gpt2").split(",")
rounds = int(os.environ.get("PMP_BENCH_ROUNDS", "2"))


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


have_torch = subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode == 0
if not have_torch:
    print("note: /usr/bin/python3 cannot import torch; PyTorch columns left empty")

# The SGEMM peak is sampled next to every measurement (the machine is shared, so a
# single early sample can land in a busy moment) and the best sample counts.
sgemm = {1: [], 2: []}


def sample_peak(th):
    sgemm[th].append(run([BIN, "sgemm", "2048", str(th), "3"])["gflops"])


rows = []
for name in want:
    V, T, pairs, steps = CONFIGS[name]
    for th in (1, 2):
        args = [name, str(V), str(T), str(pairs), str(th), str(steps)]
        ours, whole, theirs = [], [], []
        for r in range(rounds):
            order = ["pmp", "whole", "torch"] if r % 2 == 0 else ["torch", "whole", "pmp"]
            sample_peak(th)
            for impl in order:
                if impl == "pmp":
                    ours.append(run([BIN, "step"] + args + ["1"]))
                elif impl == "whole":
                    whole.append(run([BIN, "step"] + args + ["0"]))
                elif have_torch:
                    theirs.append(run([PY, os.path.join(HERE, "torch_step.py")] + args))
        o = statistics.median(x["median_step_s"] for x in ours)
        w = statistics.median(x["median_step_s"] for x in whole)
        t = statistics.median(x["median_step_s"] for x in theirs) if theirs else float("nan")
        gf = ours[0]["flops_per_step"] / o / 1e9
        peak = max(sgemm[th])
        rows.append((name, V, T, pairs, th, o, w, t, t / o, t / w, gf, gf / peak,
                     max(x["peak_rss_mb"] for x in ours),
                     max((x["peak_rss_mb"] for x in theirs), default=float("nan"))))
        print(f"{name:5s} V={V} T={T} pairs={pairs} threads={th}: pmp {o:.3f} s/step "
              f"(whole sequences {w:.3f}), torch {t:.3f} s/step, speedup {t / o:.2f}x "
              f"({t / w:.2f}x), pmp {gf:.1f} GFLOP/s = {100 * gf / peak:.0f}% of SGEMM peak "
              f"{peak:.1f}", flush=True)
print()
for th in (1, 2):
    print(f"OpenBLAS SGEMM 2048^3, {th} thread(s): best {max(sgemm[th]):.1f} GFLOP/s, "
          f"median {statistics.median(sgemm[th]):.1f} over {len(sgemm[th])} samples")
print("BLAS (pmp):  ", ours[0]["blas"])
if theirs:
    print("BLAS (torch):", ", ".join(theirs[0]["blas"]), "| torch", theirs[0]["torch"])
print()
print("| preset | V | T | pairs | threads | pmp s/step | pmp whole-seq s/step | torch s/step "
      "| speedup | speedup whole-seq | pmp GFLOP/s | % SGEMM peak (best) | pmp RSS MB "
      "| torch RSS MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.3f} | {r[6]:.3f} | "
          f"{r[7]:.3f} | {r[8]:.2f}x | {r[9]:.2f}x | {r[10]:.1f} | {100 * r[11]:.0f}% | "
          f"{r[12]:.0f} | {r[13]:.0f} |")
sys.exit(0)
