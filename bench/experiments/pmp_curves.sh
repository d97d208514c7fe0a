#!/bin/bash
# The paper's PMP experiment (Askell et al. 2021, §4) at this machine's scale, end to end
# and resumable (every step is skipped when its output is complete; pmp-curve resumes
# its own cells). Results and commands: docs/experiments.md.
#   bench/experiments/pmp_curves.sh [WORK_DIR]   (default build/experiments)
#   QUICK=1 bench/experiments/pmp_curves.sh /tmp/pmp-smoke   (a smoke test: minutes)
# Steps: groups from every source, cleaned (pmp-dedup: near-duplicates, and anything
# overlapping the finetuning sets hh-rlhf and the left-out sites), split by key (the
# groups' split_key: one Reddit thread, one Wikipedia page, one hh opening turn on one
# side) -> 8k BPE on the PMP text -> LM pre-training (--objective lm) on the distinct
# texts -> PMP from the LM, REPS runs per arm (seeds 1..REPS: other weights for the new
# head and another data order): ranked on all sources (pmp-rank), ranked on StackExchange
# + Reddit only (pmp-rank-sr: no Wikipedia revert pairs), binary (pmp-binary), ranked
# from random weights (pmp-rank-scratch) -> the finetuning recipe chosen on a validation
# split of the hh pool, at every finetuning size (16, 64 and 256 pairs) -> pmp-curve with
# the runs as replicates (--init NAME=RUN1,RUN2,RUN3) and --baseline lm (the LM with a new
# reward head drawn per seed: an LM has no trained head, and one random head shared by
# every seed would hide the head's luck in the baseline), on (a) hh-rlhf
# harmless and (b) each of four StackExchange sites left out of PMP, pooled by
# `pmp-curve summary`.
#
# Knobs (environment): QUICK=1 (a smoke test: 2 runs per arm, STEP_SCALE=0.02, 2 seeds,
# sizes 0,16, one site, one recipe without a step floor, 64 eval pairs), STEP_SCALE=F
# (every pre-training step count times F), EVAL_PAIRS (0: all; the curves' eval pairs),
# REPS (3), SEEDS (5), SIZES (0,16,64,256,1024), LOSO_SIZES (0,16,64,256),
# TARGETS ("a b"), SITES, RECIPE=LR:EPOCHS:MIN_STEPS (skip the validation sweep),
# RECIPES (the sweep's candidates), THREADS (2), JOBS (2).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${PMP_BIN:-$ROOT/build/bin}"
DATA="${PMP_SHARED:-$ROOT/../shared/data}"
W="${1:-$ROOT/build/experiments}"
[ -d "$DATA" ] || { echo "pmp_curves: no shared data at $DATA" >&2; exit 77; }
for p in pmp-extract pmp-dedup pmp-bpe pmp-tokenize pmp-shard pmp-train pmp-curve; do
  [ -x "$BIN/$p" ] || { echo "pmp_curves: $BIN/$p is missing (build it first)" >&2; exit 1; }
done
mkdir -p "$W"; W="$(cd "$W" && pwd)"; cd "$W"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$W/experiment.log" >&2; }
done_() { [ -e "$1" ]; }
T0=$(date +%s)
QUICK=${QUICK:-}
if [ -n "$QUICK" ]; then
  : "${REPS:=2}" "${STEP_SCALE:=0.02}" "${SEEDS:=2}" "${SIZES:=0,16}" "${LOSO_SIZES:=0,16}"
  : "${SITES:=beer}" "${RECIPES:=1e-3:2:1}" "${VAL_SIZES:=16}" "${EVAL_PAIRS:=64}"
fi
THREADS=${THREADS:-2}
JOBS=${JOBS:-2}
REPS=${REPS:-3}
STEP_SCALE=${STEP_SCALE:-1}
EVAL_PAIRS=${EVAL_PAIRS:-0}
MODEL="--layers 2 --heads 4 --width 128 --context 256"
CUT="--max-context-tokens 160 --max-response-tokens 96"
SEEDS=${SEEDS:-5}
SIZES=${SIZES:-0,16,64,256,1024}
LOSO_SIZES=${LOSO_SIZES:-0,16,64,256}
VAL_SIZES=${VAL_SIZES:-16,64,256}
TARGETS=${TARGETS:-"a b"}
SITES=${SITES:-"beer cardano dba.meta quantumcomputing"}
want() { case " $TARGETS " in *" $1 "*) return 0;; esac; return 1; }
scaled() { python3 -c "import sys,math; print(max(1, math.ceil(int(sys.argv[1]) * float(sys.argv[2]))))" "$1" "$STEP_SCALE"; }
# NAME -> "NAME-1,NAME-2,...": the replicate runs of one arm, as --init takes them
runs() { local d=$1 s=$2 out="" r; for r in $(seq 1 "$REPS"); do out="$out${out:+,}$d$s-$r"; done; echo "$out"; }
log "start: REPS=$REPS SEEDS=$SEEDS SIZES=$SIZES STEP_SCALE=$STEP_SCALE TARGETS=$TARGETS ${QUICK:+(QUICK)}"

# 1. groups from every source (StackExchange with votes where the dump has them), and hh
if ! done_ raw.jsonl; then
  log "extract"
  : > raw.tmp
  for f in "$DATA"/stackexchange/*-Posts.xml; do
    v="${f%-Posts.xml}-Votes.xml"
    if [ -f "$v" ]; then "$BIN/pmp-extract" stackexchange -q --votes "$v" "$f" >> raw.tmp
    else "$BIN/pmp-extract" stackexchange -q "$f" >> raw.tmp; fi
  done
  for f in "$DATA"/reddit/RC_*.zst; do "$BIN/pmp-extract" reddit -q "$f" >> raw.tmp; done
  for f in "$DATA"/wikipedia/*; do "$BIN/pmp-extract" wikipedia -q "$f" >> raw.tmp; done
  "$BIN/pmp-extract" hh -q "$DATA/hhh/hh-rlhf-harmless-base-test.jsonl.gz" > hh.jsonl
  mv raw.tmp raw.jsonl
fi
# 2. clean: near-duplicates removed, and every group that overlaps the finetuning data
#    (hh, all of it: pool and eval) — the left-out sites are cut per site in (b)
if ! done_ pmp.jsonl; then
  log "dedup (against hh)"
  "$BIN/pmp-dedup" -q --near 0.8 --against hh.jsonl --report dedup-report.json raw.jsonl > pmp.tmp
  mv pmp.tmp pmp.jsonl
fi
# the PMP mix without Wikipedia revert pairs: StackExchange + Reddit only
done_ pmp-sr.jsonl || { grep -v '^{"source":"wikipedia"' pmp.jsonl > pmp-sr.tmp; mv pmp-sr.tmp pmp-sr.jsonl; }
# the LM's text: the PMP sources' groups and each Wikipedia page's last revision as a
# document; not the revert regions (cuts of those pages, vandalism), not hh (a target).
# The documents go through pmp-dedup with the groups (near duplicates of a group or of
# each other, overlap with hh); on ../shared/data nothing is dropped.
if ! done_ lm-text.jsonl; then
  for f in "$DATA"/wikipedia/*; do "$BIN/pmp-extract" wikipedia -q --text "$f"; done > lm-docs.tmp
  "$BIN/pmp-dedup" -q --near 0.8 --against hh.jsonl pmp-sr.jsonl lm-docs.tmp > lm-text.tmp
  rm -f lm-docs.tmp
  mv lm-text.tmp lm-text.jsonl
fi
log "groups: raw $(wc -l < raw.jsonl), clean pmp $(wc -l < pmp.jsonl) (se+reddit $(wc -l < pmp-sr.jsonl)), hh $(wc -l < hh.jsonl)"

# 3. an 8k byte-level BPE on the PMP text
done_ tok.json || { log "bpe"; "$BIN/pmp-bpe" train -q --vocab-size 8192 --special '<|endoftext|>' --groups -o tok.json pmp.jsonl; }

# 4. shards, split by each group's split_key: PMP 5 % held out; hh 25 % = the fixed eval set
tokenize() { done_ "$2/manifest.json" || "$BIN/pmp-tokenize" -q -t tok.json $CUT --split "$3" -o "$2" "$1"; }
tokenize pmp.jsonl pmp-shards eval=0.05
tokenize pmp-sr.jsonl pmp-sr-shards eval=0.05
tokenize hh.jsonl hh-shards eval=0.25
done_ lm-text-shards/manifest.json ||
  "$BIN/pmp-tokenize" -q -t tok.json --text --chunk-tokens 256 --split eval=0.05 -o lm-text-shards lm-text.jsonl

# 5. the LM (one run: every PMP arm starts from it), then REPS PMP runs per arm
PMP_STEPS=${PMP_STEPS:-$(scaled 600)}
DOCS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["groups"])' lm-text-shards/manifest.json)
LM_STEPS=${LM_STEPS:-$(scaled $(( (DOCS + 15) / 16 )))}
train() { # DIR NAME ARGS... (DIR: where the PMP shards are, relative to the cwd)
  local data=$1 name=$2; shift 2
  if ! done_ "$name/done.json"; then
    log "train $name"
    "$BIN/pmp-train" $MODEL --threads $THREADS --data "$data" --eval "$data/eval" --batch-pairs 16 \
      --eval-every 200 --ckpt-every 100 --out "$name" --resume --json -q "$@" 2> "$name.json.tmp"
    mkdir -p "$name"; mv "$name.json.tmp" "$name/done.json"
  fi
}
train lm-text-shards lm --objective lm --steps $LM_STEPS --lr 1e-3
PMP="--steps $PMP_STEPS --lr 5e-4"
for r in $(seq 1 "$REPS"); do
  train pmp-shards pmp-rank-$r --objective rank --init lm --reset-head --seed $r $PMP
  want a || continue
  train pmp-sr-shards pmp-rank-sr-$r --objective rank --init lm --reset-head --seed $r $PMP
  train pmp-shards pmp-binary-$r --objective rank --binarize --init lm --reset-head --seed $r $PMP
  train pmp-shards pmp-rank-scratch-$r --objective rank --seed $r $PMP
done

# 6. the finetuning recipe, chosen on a validation split carved from the hh pool (never
#    the reported eval set): the pool minus its hash fold [0.25, 0.5) trains, that fold
#    evaluates; inits lm and pmp-rank (its first run), at every size the curves use up to
#    256 (16 and 64 included: the min-steps floor is part of the recipe), 5 seeds; the
#    best mean validation accuracy over all sizes wins (ties: the earlier one)
RECIPES=${RECIPES:-"5e-4:2:30 1e-3:2:30 1e-3:2:1 1e-3:4:1 1e-3:8:1"}
if [ -n "${RECIPE:-}" ]; then
  CHOSEN=$(echo "$RECIPE" | tr : ' ')
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
  for rc in $RECIPES; do
    IFS=: read -r lr ep ms <<< "$rc"
    log "validation recipe lr=$lr epochs=$ep min-steps=$ms"
    "$BIN/pmp-curve" --train hh-val --eval hh-val/eval --target hh-val \
      --init lm=lm:new-head --init pmp-rank=pmp-rank-1 --baseline lm --sizes $VAL_SIZES --seeds $SEEDS \
      --jobs $JOBS --threads $THREADS $MODEL --batch-pairs 16 --lr $lr --min-steps $ms --epochs $ep \
      --eval-pairs $EVAL_PAIRS \
      -o "val/lr$lr-e$ep-m$ms" -q --json 2>> experiment.log
  done
  CHOSEN=$(python3 - $RECIPES <<'PY'
import csv,sys,statistics as st
best=None
for r in sys.argv[1:]:
    lr,ep,ms=r.split(":")
    acc=[float(x["accuracy"]) for x in csv.DictReader(open(f"val/lr{lr}-e{ep}-m{ms}/curve.csv"))]
    m=st.mean(acc); print(f"  lr={lr} epochs={ep} min-steps={ms}: validation accuracy {m:.4f} over {len(acc)} cells",file=sys.stderr)
    if best is None or m>best[0]+1e-9: best=(m,lr,ep,ms)
print(best[1],best[2],best[3])
PY
)
  log "recipe chosen on validation: lr, epochs, min-steps = $CHOSEN"
fi
read -r LR EPOCHS MINSTEPS <<< "$CHOSEN"
FT="--batch-pairs 16 --lr $LR --min-steps $MINSTEPS --epochs $EPOCHS --boot 2000 --eval-pairs $EVAL_PAIRS"
TAG="lr$LR-e$EPOCHS-m$MINSTEPS"

# 7. target (a): the curve on hh harmless, every arm's runs as replicates
if want a; then
  log "curve hh"
  "$BIN/pmp-curve" --train hh-shards --eval hh-shards/eval --target hh-harmless \
    --init scratch=scratch --init lm=lm:new-head --init pmp-rank=$(runs "" pmp-rank) \
    --init pmp-rank-newhead=$(runs "" pmp-rank):new-head --init pmp-rank-sr=$(runs "" pmp-rank-sr) \
    --init pmp-binary=$(runs "" pmp-binary) --init pmp-rank-scratch=$(runs "" pmp-rank-scratch) \
    --baseline lm --sizes $SIZES --seeds $SEEDS --jobs $JOBS --threads $THREADS $MODEL $FT \
    -o "curve-hh-$TAG" --json 2>> experiment.log
fi

# 8. target (b): StackExchange leave-one-site-out. For each site: PMP (rank, binary; REPS
#    runs each) from the LM on every other group, cleaned against the site, then the curve
#    on that site (40 % of its groups by key = the eval set, the rest the pool). The LM
#    and the BPE saw the site's text (never its votes), as a web-text LM would; the PMP
#    models never saw the site.
want b || SITES=""
for site in $SITES; do
  d=loso/$site; mkdir -p "$d"
  if ! done_ "$d/pmp/manifest.json"; then
    grep "\"id\":\"$site.stackexchange.com/" pmp.jsonl > "$d/site.jsonl"
    grep -v "\"id\":\"$site.stackexchange.com/" pmp.jsonl |
      "$BIN/pmp-dedup" -q --near 0.8 --against "$d/site.jsonl" --report "$d/dedup-report.json" > "$d/pmp.jsonl"
    "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.4 -o "$d/site" "$d/site.jsonl"
    "$BIN/pmp-tokenize" -q -t tok.json $CUT --split eval=0.05 -o "$d/pmp" "$d/pmp.jsonl"
  fi
  for r in $(seq 1 "$REPS"); do
    train "$d/pmp" "$d/pmp-rank-$r" --objective rank --init lm --reset-head --seed $r $PMP
    train "$d/pmp" "$d/pmp-binary-$r" --objective rank --binarize --init lm --reset-head --seed $r $PMP
  done
  log "curve $site"
  "$BIN/pmp-curve" --train "$d/site" --eval "$d/site/eval" --target "se-$site" \
    --init scratch=scratch --init lm=lm:new-head --init pmp-rank=$(runs "$d/" pmp-rank) \
    --init pmp-rank-newhead=$(runs "$d/" pmp-rank):new-head --init pmp-binary=$(runs "$d/" pmp-binary) \
    --baseline lm --sizes $LOSO_SIZES --seeds $SEEDS --jobs $JOBS --threads $THREADS \
    $MODEL $FT -o "curve-se-$site-$TAG" --json 2>> experiment.log
done
# the sites pooled: the site is the top unit of the intervals
if want b && [ -n "$SITES" ]; then
  "$BIN/pmp-curve" summary $(for s in $SITES; do echo "curve-se-$s-$TAG"; done) -o "curve-se-pooled-$TAG" \
    --baseline lm -q
  log "pooled: curve-se-pooled-$TAG/summary.csv"
fi
log "done in $(( $(date +%s) - T0 )) s"
