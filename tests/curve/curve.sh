#!/bin/sh
# End-to-end: pmp-curve on shards made from samples/ — the CSV schema, size 0 trains
# nothing, every init of a (size, seed) sees the same subsample, resume skips
# finished cells and redoes lost ones with the same results, a killed sweep leaves
# only whole rows, another recipe is refused, the picture is drawn. Replicates
# (--init pm=pm,pm2) cross every seed; each cell's margins agree with its row
# (tests/curve/read_margins.py, an independent reader).
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-extract" stackexchange -q "$PMP_SRC/samples/stackexchange/cooking.example.com/Posts.xml" >> groups.jsonl
"$B/pmp-extract" reddit -q "$PMP_SRC/samples/reddit/RC_sample.ndjson.zst" >> groups.jsonl
"$B/pmp-extract" wikipedia -q "$PMP_SRC/samples/wikipedia/history.xml" >> groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 320 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json --split eval=0.3 -o shards groups.jsonl
SMALL="--layers 2 --heads 2 --width 32 --context 64 --batch-pairs 4 --threads 2"
"$B/pmp-train" $SMALL --data shards --steps 10 --out pm -q --json 2> pm.json
"$B/pmp-train" $SMALL --data shards --steps 10 --seed 2 --out pm2 -q
POOL=$(sed -n 's/.*"train_pairs":\([0-9]*\).*/\1/p' pm.json)
[ "$POOL" -ge 6 ] || fail "the sample pool is too small for this test ($POOL pairs)"
CURVE="--train shards --eval shards/eval --init scratch=scratch --init pm=pm,pm2 --init pmnew=pm:new-head
       --baseline scratch --sizes 0,2,5,99 --seeds 2 --min-steps 4 --epochs 1 $SMALL"

"$B/pmp-curve" $CURVE -o c --json -q 2> c.json || { cat c.json; fail "curve"; }
grep -q '"cells":32' c.json && grep -q '"ran":32' c.json || fail "32 cells must run: $(cat c.json)"
head -1 c/curve.csv | grep -qx 'target,init,replicate,size,seed,pairs,groups,steps,eval_pairs,accuracy,accuracy_se,margin,loss,longer_wins,longer_wins_visible,params,seconds,margins_xxh64,recipe' \
  || fail "curve.csv header"
[ "$(tail -n +2 c/curve.csv | wc -l)" -eq 32 ] || fail "32 rows"
awk -F, 'NR > 1 && NF != 19 { exit 1 }' c/curve.csv || fail "every row has 19 fields"
# replicates: pm's two runs with every seed and size, replicate recorded
[ "$(awk -F, 'NR > 1 && $2 == "pm" && $3 == 1' c/curve.csv | wc -l)" -eq 8 ] || fail "replicate 1 of pm: 8 cells"
awk -F, 'NR > 1 && $2 != "pm" && $3 != 0 { exit 1 }' c/curve.csv || fail "one replicate for the others"
# size 0: no steps, no pairs; a kept head gives the same accuracy for every seed
awk -F, 'NR > 1 && $4 == 0 && ($8 != 0 || $6 != 0) { exit 1 }' c/curve.csv || fail "size 0 must train nothing"
[ "$(awk -F, 'NR > 1 && $2 == "pm" && $3 == 0 && $4 == 0 { print $10 }' c/curve.csv | sort -u | wc -l)" -eq 1 ] \
  || fail "the kept-head init at size 0 is the same model for every seed"
cmp -s c/margins/pm-r0-n0-s0.f32 c/margins/pm-r0-n0-s1.f32 || fail "the same model gives the same margins"
# size > 0: the subsample has exactly min(size, pool) pairs and the same groups for every init
awk -F, 'NR > 1 && $4 > 0 { k = $4 "," $5; v = $6 "," $7; if (k in seen && seen[k] != v) exit 1; seen[k] = v }' \
  c/curve.csv || fail "inits of one cell must share the subsample"
awk -F, 'NR > 1 && $4 == 5 && $6 != 5 { exit 1 }' c/curve.csv || fail "size 5 means 5 pairs"
awk -F, -v p="$POOL" 'NR > 1 && $4 == 99 && $6 != p { exit 1 }' c/curve.csv || fail "a size over the pool means the pool"
awk -F, 'NR > 1 && $4 == 5 && $8 != 4 { exit 1 }' c/curve.csv || fail "steps = max(min-steps, epochs*size/batch)"
awk -F, -v p="$POOL" 'NR > 1 && $4 == 99 && $8 != 25 { exit 1 }' c/curve.csv || fail "steps by size, not by pool"
[ -d c/cells/scratch-r0-n2-s0 ] && fail "cells keep results, not models"
# margins: float32 per eval pair, read back independently
python3 "$PMP_SRC/tests/curve/read_margins.py" c || fail "margins / summary disagree with curve.csv"
# summary: one row per (init, size), seeds = 2, paired differences against scratch
[ "$(tail -n +2 c/summary.csv | wc -l)" -eq 12 ] || fail "summary rows"
awk -F, 'NR > 1 && ($6 != 2 || $13 != "scratch") { exit 1 }' c/summary.csv || fail "summary columns"
awk -F, 'NR > 1 && $2 == "pm" && $5 != 2 { exit 1 }' c/summary.csv || fail "pm: 2 replicates"
if command -v gnuplot >/dev/null; then
  for p in curve diff; do
    grep -q '<svg' c/$p.svg || fail "$p.svg"
    [ "$(head -c 4 c/$p.png | tail -c 3)" = "PNG" ] || fail "$p.png"
  done
fi

# resume: drop the last 4 rows (as if those cells never finished): only they run
# again, and their rows come back the same but for the time column
head -n 29 c/curve.csv > part.csv && cp part.csv c/curve.csv
mkdir -p c/cells/pm-r1-n99-s1 && echo junk > c/cells/pm-r1-n99-s1/log.jsonl   # a half-done cell
"$B/pmp-curve" $CURVE -o c --json -q 2> r.json || { cat r.json; fail "resume"; }
grep -q '"skipped":28' r.json && grep -q '"ran":4' r.json || fail "resume must run 4 cells: $(cat r.json)"
cut -d, -f1-16,18- c/curve.csv | sort > now.txt
"$B/pmp-curve" $CURVE -o c --json -q 2> r2.json
grep -q '"ran":0' r2.json || fail "a finished curve runs nothing"

# a sweep killed at several moments: curve.csv only ever holds whole rows, and
# finishing it gives the same table
for delay in 0.3 1.0; do
  rm -rf k
  "$B/pmp-curve" $CURVE -o k -q 2>/dev/null & pid=$!
  sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  sleep 0.3   # the cells die with the sweep (PR_SET_PDEATHSIG)
  [ -f k/curve.csv ] && { awk -F, 'NF != 19 { exit 1 }' k/curve.csv || fail "partial row after kill at $delay"; }
  "$B/pmp-curve" $CURVE -o k -q 2>/dev/null || fail "resume after kill at $delay"
  cut -d, -f1-16,18- k/curve.csv | sort | cmp -s - now.txt || fail "killed at $delay and resumed: other results"
done

# another recipe in the same directory is refused, not mixed
if "$B/pmp-curve" $CURVE --lr 0.01 -o c -q 2> e.txt; then fail "another recipe must be refused"; fi
grep -q "another recipe" e.txt || fail "recipe message: $(cat e.txt)"
# usage errors
if "$B/pmp-curve" --train shards -o x 2>/dev/null; then fail "missing flags"; fi
if "$B/pmp-curve" $CURVE --init bad -o x 2>/dev/null; then fail "bad --init"; fi
if "$B/pmp-curve" $CURVE --baseline nosuch -o x 2>/dev/null; then fail "--baseline must name an init"; fi
if "$B/pmp-curve" $CURVE --init s2=scratch,pm -o x 2>/dev/null; then fail "scratch has no replicates"; fi
"$B/pmp-curve" plot c -q || fail "plot"
"$B/pmp-curve" plot c --baseline pm -q || fail "plot --baseline pm"
awk -F, 'NR > 1 && $13 != "pm" { exit 1 }' c/summary.csv || fail "plot --baseline: the summary's baseline"
# two directories pooled: targets are the top unit
"$B/pmp-curve" --train shards --eval shards/eval --target other --init scratch=scratch --init pm=pm,pm2 \
  --baseline scratch --sizes 0,2 --seeds 2 --min-steps 4 --epochs 1 $SMALL -o c2 -q || fail "second target"
"$B/pmp-curve" summary c c2 -o pooled --baseline scratch -q || fail "summary of two directories"
[ "$(awk -F, '$1 == "pooled" && $2 == "pm" && $3 == 2 { print $4 }' pooled/summary.csv)" = 2 ] || fail "pooled over 2 targets"
grep -q '^other,pm,2,' pooled/summary.csv && grep -q '^eval,pm,2,' pooled/summary.csv || fail "per-target rows"

# pmp-train plot: one data row per logged step, one per evaluation
"$B/pmp-train" $SMALL --data shards --eval shards/eval --eval-every 5 --steps 10 --out pe -q
"$B/pmp-train" plot pe -o pe.svg -q || fail "pmp-train plot"
[ "$(wc -l < pe/plot/loss.dat)" -eq "$(grep -v '"eval"' pe/log.jsonl | grep -c '"loss"')" ] || fail "loss.dat rows"
[ "$(wc -l < pe/plot/eval.dat)" -eq 2 ] || fail "eval.dat rows (evals at 5 and 10)"
if command -v gnuplot >/dev/null; then grep -q '<svg' pe.svg || fail "pe.svg"; fi
if "$B/pmp-train" plot pe -o pe.pdf 2>/dev/null; then fail "only .svg and .png"; fi
echo "curve ok"
