#!/bin/bash
# Data-parallel pmp-train over MPI (trainer/model/dist.c, pmp_model.h): 2 ranks give 1 rank's loss curve
# (same global batch) to fp32 tolerance over 40 steps; an MPI run is bit-identical to
# itself, and killed with kill -9 then resumed it ends with the uninterrupted run's
# checkpoint bytes; --allreduce overlap gives the fused sum's bits on 2 ranks and a run
# keeps its mode; resuming on another number of ranks continues the same global batches
# (2 -> 1 -> 2 ranks within fp32 tolerance of 2 throughout, recorded, repeatable); a rank
# that dies ends the job with an error instead of a hang. Skips (77) without mpirun or
# without MPI in the build.
set -euo pipefail
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v mpirun >/dev/null 2>&1 || { echo "skip: no mpirun"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# under ASan: Open MPI leaks at exit from components it dlopen'ed and unloaded (stacks
# LeakSanitizer cannot unwind, so no suppression matches); leak checking of pmp's own
# code is the single-process tests' job
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
MPI="mpirun -np 2 --oversubscribe"
"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 320 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json -o shards groups.jsonl
SMALL="--layers 2 --heads 2 --width 32 --context 64 --batch-pairs 4 --threads 1 --seed 7 --data shards"

$MPI "$B/pmp-train" $SMALL --steps 40 --out two -q || fail "mpirun -np 2"
grep -q '"ranks":2' two/config.json || { echo "skip: pmp-train was built without MPI"; exit 77; }
"$B/pmp-train" $SMALL --steps 40 --out one -q || fail "one rank"
[ "$(grep -c '"loss"' two/log.jsonl)" -eq 40 ] || fail "rank 0 should log 40 steps (and only rank 0)"
/usr/bin/python3 - one/log.jsonl two/log.jsonl <<'PYEOF' || fail "loss curves differ"
import json, sys
a, b = ([json.loads(l) for l in open(f) if '"loss"' in l] for f in sys.argv[1:3])
worst = max(abs(x["loss"] - y["loss"]) / max(1e-3, abs(x["loss"])) for x, y in zip(a, b))
assert all(x["tokens"] == y["tokens"] for x, y in zip(a, b)), "the global batches differ"
if worst > 1e-4:
    sys.exit(f"worst relative loss difference {worst:.2e}")
print(f"ok: 2 ranks = 1 rank over {len(a)} steps, worst relative loss difference {worst:.1e}")
PYEOF

# bit-identical to itself; kill -9 (of one rank, at a checkpoint or later) + resume
$MPI "$B/pmp-train" $SMALL --steps 300 --ckpt-every 10 --out ref -q || fail "reference MPI run"
$MPI "$B/pmp-train" $SMALL --steps 300 --ckpt-every 10 --out ref2 -q || fail "second MPI run"
cmp -s ref/checkpoints/step-000000300 ref2/checkpoints/step-000000300 || fail "two MPI runs differ"
for victim in 0 1; do
  rm -rf k
  $MPI "$B/pmp-train" $SMALL --steps 300 --ckpt-every 10 --out "$T/k" -q 2>/dev/null &
  job=$!
  # any checkpoint (older ones are pruned: --keep 3)
  for _ in $(seq 400); do compgen -G "k/checkpoints/step-0*" >/dev/null && break; sleep 0.05; done
  # the ranks (argv[0] is pmp-train's path), not mpirun, whose command line names it too;
  # by this test's own directory, never another test's pmp-train (extend.sh's --out k)
  pid=$(pgrep -f "^[^ ]*/pmp-train .*--out $T/k( |\$)" | sed -n "$((victim + 1))p" || true)
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rc=0; timeout 60 bash -c "wait $job" 2>/dev/null || rc=$?
  wait $job 2>/dev/null || rc=$?
  [ $rc -ne 124 ] || fail "the job hung after a rank was killed"
  [ ! -e k/checkpoints/step-000000300 ] || fail "the run ended before the kill: nothing was tested"
  $MPI "$B/pmp-train" --resume --out k -q || fail "MPI resume after killing rank $victim"
  cmp -s ref/checkpoints/step-000000300 k/checkpoints/step-000000300 \
    || fail "killed (rank $victim) and resumed: checkpoint bytes differ"
done

# --allreduce overlap (the blocks summed during the backward pass): on 2 ranks every
# element is the same a + b as in the fused sum, so the weights are the same bits, with
# gradient accumulation too (only the last micro-batch's backward overlaps)
for mb in 1 2; do
  $MPI "$B/pmp-train" $SMALL --batch-pairs 8 --micro-batches $mb --steps 60 --out f$mb --json -q 2> f$mb.json \
    || fail "fused, micro-batches $mb"
  $MPI "$B/pmp-train" $SMALL --batch-pairs 8 --micro-batches $mb --steps 60 --allreduce overlap --out o$mb \
    --json -q 2> o$mb.json || fail "overlap, micro-batches $mb"
  h() { grep -o '"params_xxh64":"[0-9a-f]*"' "$1"; }
  [ -n "$(h f$mb.json)" ] && [ "$(h f$mb.json)" = "$(h o$mb.json)" ] \
    || fail "overlap and fused weights differ (micro-batches $mb): $(h f$mb.json) $(h o$mb.json)"
  grep -q '"allreduce":"overlap"' o$mb/config.json || fail "config.json should record the mode"
done
# a run keeps its mode: another one on resume is refused naming the flag
if $MPI "$B/pmp-train" --resume --out o1 --steps 70 --allreduce fused -q 2> m.err; then
  fail "resume of an overlap run with --allreduce fused accepted"; fi
grep -q "started with --allreduce overlap, now --allreduce fused" m.err || fail "mode refusal: $(cat m.err)"
if "$B/pmp-train" $SMALL --steps 1 --allreduce ring --out x -q 2> u.err; then fail "--allreduce ring accepted"; fi
grep -q "fused or overlap" u.err || fail "bad --allreduce: $(cat u.err)"

# a rank that dies: the job ends with an error, not a hang
rm -rf d
$MPI "$B/pmp-train" $SMALL --steps 100000 --ckpt-every 1000 --out "$T/d" -q 2>/dev/null &
job=$!
# both ranks up and training (config.json is written after RUN/lock is taken); a loaded
# machine may take seconds to start them
for _ in $(seq 1200); do
  [ "$(pgrep -f "^[^ ]*/pmp-train .*--out $T/d( |\$)" | wc -l)" -ge 2 ] && [ -e d/config.json ] && break; sleep 0.05
done
sleep 0.5
# while it runs, a second training of the same directory is refused (RUN/lock)
if "$B/pmp-train" $SMALL --steps 10 --out d --resume -q 2> lock.err; then fail "a second training of d/ started"; fi
grep -q "being trained by another pmp-train" lock.err || fail "lock refusal: $(cat lock.err)"
kill -9 "$(pgrep -f "^[^ ]*/pmp-train .*--out $T/d( |\$)" | tail -n 1)"
start=$(date +%s); rc=0
while kill -0 $job 2>/dev/null; do
  [ $(( $(date +%s) - start )) -lt 60 ] || { kill -9 $job; fail "mpirun still running 60 s after a rank died"; }
  sleep 0.2
done
wait $job || rc=$?
[ $rc -ne 0 ] || fail "a job whose rank died exited 0"

# Elastic resume: 2 ranks -> 1 rank -> 2 ranks (each segment extends the plan the same
# way in the reference, which stays on 2 ranks) ends within fp32 tolerance of it, records
# the changes in config.json, and the same changes twice give the same bytes.
E="$SMALL --warmup 2 --ckpt-every 5 --lr 1e-3"
$MPI "$B/pmp-train" $E --steps 10 --out eref -q || fail "elastic reference"
$MPI "$B/pmp-train" --resume --out eref --steps 20 -q && $MPI "$B/pmp-train" --resume --out eref --steps 30 -q \
  || fail "elastic reference, extended"
for d in el el2; do
  $MPI "$B/pmp-train" $E --steps 10 --out $d -q || fail "$d on 2 ranks"
  "$B/pmp-train" --resume --out $d --steps 20 2> $d.err || fail "$d resumed on 1 rank: $(cat $d.err)"
  $MPI "$B/pmp-train" --resume --out $d --steps 30 -q || fail "$d back on 2 ranks"
done
grep -q "resuming at step 10 on 1 MPI rank (the run had 2)" el.err || fail "the rank change should be said: $(cat el.err)"
grep -q '"rank_changes":\[{"step":10,"from":2,"to":1},{"step":20,"from":1,"to":2}\]' el/config.json \
  || fail "config.json must record the rank changes: $(cat el/config.json)"
cmp -s el/checkpoints/step-000000030 el2/checkpoints/step-000000030 || fail "the same rank changes twice differ"
for d in eref el; do "$B/pmp-train" export $d -o $d.safetensors --config-out $d.json -q; done
/usr/bin/python3 - eref.safetensors el.safetensors eref/log.jsonl el/log.jsonl <<'PYEOF' || fail "elastic resume drifted"
import json, struct, sys
import numpy as np
def load(p):
    d = open(p, "rb").read()
    n = struct.unpack("<Q", d[:8])[0]
    h = json.loads(d[8:8 + n])
    return {k: np.frombuffer(d[8 + n + t["data_offsets"][0]:8 + n + t["data_offsets"][1]], "<f4").astype(float)
            for k, t in h.items() if k != "__metadata__"}
a, b = load(sys.argv[1]), load(sys.argv[2])
rel = (sum(((a[k] - b[k]) ** 2).sum() for k in a) / sum((a[k] ** 2).sum() for k in a)) ** 0.5
la, lb = ([json.loads(l) for l in open(f)] for f in sys.argv[3:5])
assert [x["step"] for x in la] == [x["step"] for x in lb]
loss = max(abs(x["loss"] - y["loss"]) / max(1e-3, abs(x["loss"])) for x, y in zip(la, lb))
assert la[:10] == lb[:10] or all(x["loss"] == y["loss"] for x, y in zip(la[:10], lb[:10]))
print(f"2 -> 1 -> 2 ranks vs 2 ranks throughout: relative L2 weight difference {rel:.2e}, "
      f"worst relative loss difference {loss:.2e}")
sys.exit(0 if rel <= 1e-5 and loss <= 1e-4 else 1)
PYEOF
echo ok
