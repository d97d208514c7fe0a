#!/bin/bash
# The paper's PMP experiment (Askell et al. 2021, §4) at this machine's scale, end to end
# and resumable (every step is skipped when its output is complete; pmp-curve resumes
# its own cells). Results and commands: docs/experiments.md.
#   bench/experiments/pmp_curves.sh [WORK_DIR]   (default build/experiments)
# Steps: 8k BPE on the PMP text -> LM pre-training (--objective lm) on the distinct texts
# (pmp-tokenize --text: every StackExchange and Reddit context and response once, each
# Wikipedia page's last revision) ->
# PMP (rank, binary) from the LM, rank from scratch -> the finetuning recipe chosen on a
# validation split of the hh pool -> pmp-curve with inits scratch, lm, pmp-rank (head kept),
# pmp-rank (new head), pmp-binary (and pmp-rank-scratch on (a)) on (a) hh-rlhf harmless
# (pool and a fixed eval set) and (b) each of four StackExchange sites left out of PMP
# (bench/experiments/paired_diffs.py pools them).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${PMP_BIN:-$ROOT/build/bin}"
DATA="${PMP_SHARED:-$ROOT/../shared/data}"
W="${1:-$ROOT/build/experiments}"
[ -d "$DATA" ] || { echo "pmp_curves: no shared data at $DATA" >&2; exit 77; }
mkdir -p "$W"; W="$(cd "$W" && pwd)"; cd "$W"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$W/experiment.log" >&2; }
done_() { [ -e "$1" ]; }
T0=$(date +%s)
THREADS=${THREADS:-2}
MODEL="--layers 2 --heads 4 --width 128 --context 256"
CUT="--max-context-tokens 160 --max-response-tokens 96"
SEEDS=${SEEDS:-5}
SIZES=${SIZES:-0,16,64,256,1024}
# TARGETS="a b" (default) or one of them; RECIPE=LR:EPOCHS skips the validation sweep and
# uses that recipe (e.g. finishing (b) in a later session with the recipe (a)'s run chose:
# TARGETS=b RECIPE=1e-3:2 SITES="cardano dba.meta quantumcomputing")
TARGETS=${TARGETS:-"a b"}
want() { case " $TARGETS " in *" $1 "*) return 0;; esac; return 1; }

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
# the LM's text: the PMP sources' groups (their contexts and responses) and each
# Wikipedia page's last revision as a document. Not the revert regions: they are cuts of
# those pages, and a vandalised region is not text to learn from. Not hh: it is a target.
if ! done_ lm-text.jsonl; then
  grep -v '^{"source":"wikipedia"' pmp.jsonl > lm-text.tmp
  for f in "$DATA"/wikipedia/*; do "$BIN/pmp-extract" wikipedia -q --text "$f" >> lm-text.tmp; done
  mv lm-text.tmp lm-text.jsonl
fi
log "groups: pmp $(wc -l < pmp.jsonl), hh $(wc -l < hh.jsonl)"

# 2. an 8k byte-level BPE on the PMP text (not GPT-2's 50k: a 50k embedding would be
#    most of a 2-layer model's parameters, trained from few tokens)
done_ tok.json || { log "bpe"; "$BIN/pmp-bpe" train -q --vocab-size 8192 --special '<|endoftext|>' --groups -o tok.json pmp.jsonl; }

# 3. shards: PMP (5% held out), hh (25% of groups held out = the fixed eval set)
done_ pmp-shards/manifest.json || "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.05 -o pmp-shards pmp.jsonl
done_ hh-shards/manifest.json || "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.25 -o hh-shards hh.jsonl
#    and the LM's documents: distinct texts in chunks of the model's context
done_ lm-text-shards/manifest.json ||
  "$BIN/pmp-tokenize" -q -t tok.json --text --chunk-tokens 256 --split eval=0.05 -o lm-text-shards lm-text.jsonl

# 4. LM pre-training on the distinct texts, then PMP from the LM, about one epoch each
#    (the pilot: past one epoch overfits)
PMP_STEPS=${PMP_STEPS:-600}
DOCS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["groups"])' lm-text-shards/manifest.json)
LM_STEPS=${LM_STEPS:-$(( (DOCS + 15) / 16 ))}
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
train lm --objective lm --data lm-text-shards --eval lm-text-shards/eval --steps $LM_STEPS --lr 1e-3
[ -z "${PMP_CURVES_UNTIL_LM:-}" ] || { log "stopping after the LM (PMP_CURVES_UNTIL_LM)"; exit 0; }
if want a || [ -z "${RECIPE:-}" ]; then
train pmp-rank --objective rank --init lm --reset-head --steps $PMP_STEPS --lr 5e-4
fi
if want a; then
train pmp-binary --objective rank --binarize --init lm --reset-head --steps $PMP_STEPS --lr 5e-4
# and PMP from random weights, to separate what PMP adds from what the LM start adds
# (target (a) only: the four sites' curves would take another 40 minutes)
train pmp-rank-scratch --objective rank --steps $PMP_STEPS --lr 5e-4
fi

# 5. the finetuning recipe, chosen on a validation split carved from the hh pool (never
#    on the reported eval set): the pool's groups minus hash fold [0.25, 0.5) train,
#    that fold evaluates; inits lm and pmp-rank, sizes 64 and 256, 5 seeds; the recipe
#    with the best mean validation accuracy wins (ties: the earlier, smaller-lr one)
RECIPES=${RECIPES:-"2.5e-4:2 5e-4:2 1e-3:2 5e-4:1 5e-4:4"}
if [ -n "${RECIPE:-}" ]; then
  CHOSEN="${RECIPE%%:*} ${RECIPE##*:}"
  log "recipe given (RECIPE=$RECIPE): no validation sweep"
else
if ! done_ hh-val/manifest.json; then
  "$BIN/pmp-shard" cat -q hh-shards | python3 -c '
import json,sys
pool={json.loads(l)["id"] for l in sys.stdin}
for l in open("hh.jsonl"):
    if json.loads(l)["id"] in pool: sys.stdout.write(l)' > hh-pool.jsonl
  "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.25,fold=1 -o hh-val hh-pool.jsonl
fi
for r in $RECIPES; do
  lr=${r%%:*}; ep=${r##*:}
  log "validation recipe lr=$lr epochs=$ep"
  "$BIN/pmp-curve" --train hh-val --eval hh-val/eval --target hh-val \
    --init lm=lm --init pmp-rank=pmp-rank --sizes 64,256 --seeds $SEEDS --jobs 2 --threads $THREADS \
    $MODEL --batch-pairs 16 --lr $lr --min-steps 30 --epochs $ep -o "val/lr$lr-e$ep" -q --json 2>> experiment.log
done
CHOSEN=$(python3 - $RECIPES <<'PY'
import csv,sys,statistics as st
best=None
for r in sys.argv[1:]:
    lr,ep=r.split(":")
    acc=[float(x["accuracy"]) for x in csv.DictReader(open(f"val/lr{lr}-e{ep}/curve.csv"))]
    m=st.mean(acc); print(f"  lr={lr} epochs={ep}: validation accuracy {m:.4f} over {len(acc)} cells",file=sys.stderr)
    if best is None or m>best[0]+1e-9: best=(m,lr,ep)
print(best[1],best[2])
PY
)
log "recipe chosen on validation: lr=${CHOSEN% *} epochs=${CHOSEN#* }"
fi
LR=${CHOSEN% *}; EPOCHS=${CHOSEN#* }
FT="--batch-pairs 16 --lr $LR --min-steps 30 --epochs $EPOCHS"
INITS="--init scratch=scratch --init lm=lm --init pmp-rank=pmp-rank --init pmp-rank-newhead=pmp-rank:new-head --init pmp-binary=pmp-binary"
INITS="$INITS --init pmp-rank-scratch=pmp-rank-scratch"

# 6. target (a): the curve on hh harmless
if want a; then
log "curve hh"
"$BIN/pmp-curve" --train hh-shards --eval hh-shards/eval --target hh-harmless $INITS \
  --sizes $SIZES --seeds $SEEDS --jobs 2 --threads $THREADS $MODEL $FT -o "curve-hh-lr$LR-e$EPOCHS" --json 2>> experiment.log
fi

# 7. target (b): StackExchange leave-one-site-out. For each larger site: PMP (rank,
#    binary) from the LM on every other group, then the curve on that site (40% of its
#    groups by hash = the eval set, the rest the pool). The LM and the BPE saw the
#    site's text (never its votes), as a web-text LM would; the PMP models never saw it.
SITES=${SITES:-"beer cardano dba.meta quantumcomputing"}
LOSO_SIZES=${LOSO_SIZES:-0,16,64,256}
want b || SITES=""
for site in $SITES; do
  d=loso/$site; mkdir -p "$d"
  if ! done_ "$d/pmp/manifest.json"; then
    grep -v "\"id\":\"$site.stackexchange.com/" pmp.jsonl > "$d/pmp.jsonl"
    grep "\"id\":\"$site.stackexchange.com/" pmp.jsonl > "$d/site.jsonl"
    "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.4 -o "$d/site" "$d/site.jsonl"
    "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.05 -o "$d/pmp" "$d/pmp.jsonl"
  fi
  ( cd "$d"
    train() { local name=$1; shift
      if ! done_ "$name/done.json"; then
        log "train $site/$name"
        "$BIN/pmp-train" $MODEL --threads $THREADS --data pmp --eval pmp/eval --batch-pairs 16 --tokenizer ../../tok.json \
          --eval-every 200 --ckpt-every 100 --out "$name" --resume --json -q "$@" 2> "$name.json.tmp"
        mkdir -p "$name"; mv "$name.json.tmp" "$name/done.json"
      fi; }
    train pmp-rank --objective rank --init ../../lm --reset-head --steps $PMP_STEPS --lr 5e-4
    train pmp-binary --objective rank --binarize --init ../../lm --reset-head --steps $PMP_STEPS --lr 5e-4 )
  log "curve $site"
  "$BIN/pmp-curve" --train "$d/site" --eval "$d/site/eval" --target "se-$site" \
    --init scratch=scratch --init lm=lm --init pmp-rank=$d/pmp-rank --init pmp-rank-newhead=$d/pmp-rank:new-head \
    --init pmp-binary=$d/pmp-binary --sizes $LOSO_SIZES --seeds $SEEDS --jobs 2 --threads $THREADS \
    $MODEL $FT -o "curve-se-$site" --json 2>> experiment.log
done
! want b || python3 "$ROOT/bench/experiments/paired_diffs.py" curve-se-*/curve.csv | tee -a experiment.log
log "done in $(( $(date +%s) - T0 )) s"
