#!/bin/bash
# The paper's PMP experiment (Askell et al. 2021, §4) at this machine's scale, end to end
# and resumable (every step is skipped when its output is complete; pmp-curve resumes
# its own cells). Results and commands: docs/experiments.md.
#   bench/experiments/pmp_curves.sh [WORK_DIR]   (default build/experiments)
# Steps: 8k BPE on the PMP text -> LM pre-training (--objective lm) on the PMP pairs ->
# PMP (rank, binary) from the LM -> pmp-curve on hh-rlhf harmless (finetuning pool and
# a fixed eval set) with inits scratch, lm, pmp-rank (head kept), pmp-rank (new head),
# pmp-binary.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${PMP_BIN:-$ROOT/build/bin}"
DATA="${PMP_SHARED:-$ROOT/../shared/data}"
W="${1:-$ROOT/build/experiments}"
[ -d "$DATA" ] || { echo "pmp_curves: no shared data at $DATA" >&2; exit 77; }
mkdir -p "$W"; cd "$W"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a experiment.log >&2; }
done_() { [ -e "$1" ]; }
T0=$(date +%s)
THREADS=${THREADS:-2}
MODEL="--layers 2 --heads 4 --width 128 --context 256"
CUT="--max-context-tokens 160 --max-response-tokens 96"
SEEDS=${SEEDS:-5}
SIZES=${SIZES:-0,16,64,256,1024}

# 1. groups from every source (StackExchange with votes where the dump has them)
if ! done_ pmp.jsonl; then
  log "extract"
  : > pmp.tmp
  for f in "$DATA"/stackexchange/*-Posts.xml; do
    v="${f%-Posts.xml}-Votes.xml"
    if [ -f "$v" ]; then "$BIN/pmp-extract" stackexchange -q --votes "$v" "$f" >> pmp.tmp
    else "$BIN/pmp-extract" stackexchange -q "$f" >> pmp.tmp; fi
  done
  for f in "$DATA"/reddit/RC_*.zst; do "$BIN/pmp-extract" reddit -q "$f" >> pmp.tmp; done
  for f in "$DATA"/wikipedia/*; do "$BIN/pmp-extract" wikipedia -q "$f" >> pmp.tmp; done
  mv pmp.tmp pmp.jsonl
  "$BIN/pmp-extract" hh -q "$DATA/hhh/hh-rlhf-harmless-base-test.jsonl.gz" > hh.jsonl
fi
log "groups: pmp $(wc -l < pmp.jsonl), hh $(wc -l < hh.jsonl)"

# 2. an 8k byte-level BPE on the PMP text (not GPT-2's 50k: a 50k embedding would be
#    most of a 2-layer model's parameters, trained from few tokens)
done_ tok.json || { log "bpe"; "$BIN/pmp-bpe" train -q --vocab-size 8192 --special '<|endoftext|>' --groups -o tok.json pmp.jsonl; }

# 3. shards: PMP (5% held out), hh (25% of groups held out = the fixed eval set)
done_ pmp-shards/manifest.json || "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.05 -o pmp-shards pmp.jsonl
done_ hh-shards/manifest.json || "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.25 -o hh-shards hh.jsonl

# 4. LM pre-training on the PMP pairs' text, then PMP from the LM, about one epoch
#    each (the pilot: past one epoch overfits)
LM_STEPS=${LM_STEPS:-600}; PMP_STEPS=${PMP_STEPS:-600}
train() { # NAME ARGS...
  local name=$1; shift
  if ! done_ "$name/done.json"; then
    log "train $name"
    "$BIN/pmp-train" $MODEL --threads $THREADS --data pmp-shards --eval pmp-shards/eval --batch-pairs 16 \
      --eval-every 200 --ckpt-every 100 --out "$name" --resume --json -q "$@" 2> "$name.json.tmp"
    mkdir -p "$name"; mv "$name.json.tmp" "$name/done.json"
  fi
  log "$name: $(cat "$name/done.json")"
}
train lm --objective lm --steps $LM_STEPS --lr 1e-3
train pmp-rank --objective rank --init lm --reset-head --steps $PMP_STEPS --lr 5e-4
train pmp-binary --objective rank --binarize --init lm --reset-head --steps $PMP_STEPS --lr 5e-4

# 5. the curve on hh harmless
log "curve hh"
"$BIN/pmp-curve" --train hh-shards --eval hh-shards/eval --target hh-harmless \
  --init scratch=scratch --init lm=lm --init pmp-rank=pmp-rank --init pmp-rank-newhead=pmp-rank:new-head \
  --init pmp-binary=pmp-binary --sizes $SIZES --seeds $SEEDS --jobs 2 --threads $THREADS \
  $MODEL --batch-pairs 16 --lr 5e-4 --min-steps 30 --epochs 2 -o curve-hh --json 2>> experiment.log
log "done in $(( $(date +%s) - T0 )) s"
