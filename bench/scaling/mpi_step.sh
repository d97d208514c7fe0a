#!/bin/bash
# pmp-train data parallelism on this host: step time on 1 rank (2 threads) and on 2 MPI
# ranks (1 thread each) with the same global batch, the allreduce's share of a step
# (allreduce_ms of the log lines: the sum itself plus the wait for the slower rank),
# and the gradient size; the same 2 ranks with --allreduce overlap (the blocks summed
# during the backward pass) against the fused sum; then the scaling to 8 and 64 ranks
# estimated from them over a 10 and a 100 Gb/s network (docs/scaling.md).
# Usage: mpi_step.sh [STEPS]
set -euo pipefail
STEPS=${1:-40}
B="$PMP_BIN"; D="$PMP_SHARED"; T="$PMP_TMP"
HH="$D/hhh/hh-rlhf-harmless-base-test.jsonl.gz"
[ -f "$HH" ] || { echo "skip: no shared data"; exit 77; }
command -v mpirun >/dev/null 2>&1 || { echo "skip: no mpirun"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# under ASan: Open MPI's own exit-time allocations, as in tests/trainer/mpi.sh
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
rm -rf "$T"; mkdir -p "$T"; cd "$T"
"$B/pmp-extract" hh -q "$HH" > g.jsonl
"$B/pmp-bpe" train -q --vocab-size 8192 --special '<|endoftext|>' --groups -o tok.json g.jsonl
"$B/pmp-tokenize" -q -t tok.json --max-context-tokens 160 --max-response-tokens 96 -o shards g.jsonl
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
     "flags: $(grep -m1 -o -w 'avx512f\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in "exp:--layers 2 --heads 4 --width 128 --context 256" "tiny:--model tiny --context 128" \
             "small:--model small --context 256"; do
  name=${shape%%:*}; flags=${shape#*:}
  common="$flags --data shards --batch-pairs 16 --steps $STEPS --ckpt-every 0 --seed 3"
  "$B/pmp-train" $common --threads 2 --out "one-$name" --json -q 2> "one-$name.json"
  mpirun --oversubscribe -np 2 --bind-to core "$B/pmp-train" $common --threads 1 --out "two-$name" --json -q 2> "two-$name.json"
  mpirun --oversubscribe -np 2 --bind-to core "$B/pmp-train" $common --threads 1 --allreduce overlap \
    --out "ov-$name" --json -q 2> "ov-$name.json"
  /usr/bin/python3 - "$name" "one-$name" "two-$name" "ov-$name" <<'PYEOF'
import json, re, statistics as st, sys
name, one, two, ov = sys.argv[1:5]
def steps(d):
    return [json.loads(l) for l in open(f"{d}/log.jsonl") if '"loss"' in l][5:]   # after warm-up
a, b, c = steps(one), steps(two), steps(ov)
t1 = st.median(x["ms"] for x in a); t2 = st.median(x["ms"] for x in b)
ar = st.median(x["allreduce_ms"] for x in b)
t3 = st.median(x["ms"] for x in c); ar3 = st.median(x["allreduce_ms"] for x in c)
h = [re.search(r'"params_xxh64":"(\w+)"', open(f"{d}.json").read()).group(1) for d in (two, ov)]
cfg = json.load(open(f"{one}/config.json"))
L, C, V, T = cfg["layers"], cfg["width"], cfg["vocab"], cfg["context"]
params = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C + C + 1
mb = params * 4 / 1e6
print(f"{name}: {params/1e6:.2f} M params ({mb:.1f} MB of fp32 gradients); median step 1 rank x 2 threads "
      f"{t1:.1f} ms, 2 ranks x 1 thread {t2:.1f} ms ({t1/t2:.2f}x), of which allreduce {ar:.2f} ms "
      f"({100*ar/t2:.1f}%)")
print(f"  --allreduce overlap: median step {t3:.1f} ms ({t2/t3:.2f}x of fused), {ar3:.2f} ms in MPI calls; "
      f"weights {'identical to' if h[0] == h[1] else 'DIFFERENT from'} fused")
# estimate: ring allreduce 2 (N-1)/N * bytes / bandwidth + 2 (N-1) * 10 us latency; compute per
# rank = this machine's 2-thread step (one 2-core host per rank, weak scaling: batch per rank fixed)
for gbps in (10, 100):
    row = []
    for n in (8, 64):
        comm = 2 * (n - 1) / n * params * 4 * 8 / (gbps * 1e9) * 1e3 + 2 * (n - 1) * 0.01
        row.append(f"{n} ranks: allreduce {comm:.1f} ms, efficiency {t1 / (t1 + comm):.0%}")
    print(f"  {gbps} Gb/s: " + "; ".join(row))
PYEOF
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
