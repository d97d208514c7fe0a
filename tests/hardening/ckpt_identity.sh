#!/bin/sh
# Issue 29: a checkpoint names its run (its config section carries the run's flags and
# run_id, a hash of them and of the training data), so resume, score and export refuse
# one copied in from another run; and every fall back to an older checkpoint is said on
# stderr and in --json. Before: a step-2 checkpoint of a --seed 7 (or another --lr) run
# copied into a run's checkpoints/ was resumed with exit 0 and no warning; with the
# newest checkpoint truncated, `score` and `export` used the previous one without a word.
. "$PMP_SRC/tests/hardening/lib.sh"
setup_shards
R="$SMALL --data shards --steps 4 --ckpt-every 2 --keep 5"
"$B/pmp-train" $R --seed 1 --out run -q || fail "run"
"$B/pmp-train" $R --seed 7 --out seed7 -q || fail "seed7"
"$B/pmp-train" $R --seed 1 --lr 1e-3 --out lr -q || fail "lr"
"$B/pmp-train" $R --seed 1 --data other --out data2 -q || fail "data2"
for other in seed7 lr data2; do
    rm -rf r; cp -r run r
    cp "$other/checkpoints/step-000000004" r/checkpoints/step-000000006
    expect_refused "resume onto $other's checkpoint" "checkpoint of another run" \
        "$B/pmp-train" --resume --out r --steps 8 -q
    expect_refused "score with $other's checkpoint" "checkpoint of another run" \
        "$B/pmp-train" score r --data shards --pairs 1
    expect_refused "score $other's checkpoint named as a file" "checkpoint of another run" \
        "$B/pmp-train" score r/checkpoints/step-000000006 --data shards --pairs 1
    expect_refused "export with $other's checkpoint" "checkpoint of another run" \
        "$B/pmp-train" export r -o r.safetensors
    [ ! -e r.safetensors ] || fail "export wrote r.safetensors"
done
# the run's own checkpoints still work, and a checkpoint outside a run directory is taken
"$B/pmp-train" score run --data shards --pairs 1 -q > /dev/null || fail "score of the run itself"
cp seed7/checkpoints/step-000000004 loose
"$B/pmp-train" score loose --data shards --pairs 1 -q > /dev/null || fail "score of a loose checkpoint"
# a damaged newest checkpoint: the fall back is said, on stderr and in --json
rm -rf r; cp -r run r
head -c 1000 r/checkpoints/step-000000004 > cut && mv cut r/checkpoints/step-000000004
"$B/pmp-train" score --json r --data shards --pairs 1 > /dev/null 2> score.err || fail "score after a damaged checkpoint"
grep -q "skipping damaged checkpoint.*step-000000004" score.err || fail "score: not said on stderr: $(cat score.err)"
grep -q '"checkpoint_step":2,"checkpoint_fallbacks":1' score.err || fail "score --json: $(cat score.err)"
"$B/pmp-train" export --json r -o r.safetensors 2> export.err || fail "export after a damaged checkpoint"
grep -q "skipping damaged checkpoint" export.err || fail "export: not said on stderr: $(cat export.err)"
grep -q '"checkpoint_fallbacks":1' export.err || fail "export --json: $(cat export.err)"
"$B/pmp-train" --resume --out r --json 2> resume.err || fail "resume after a damaged checkpoint"
grep -q "skipping damaged checkpoint" resume.err || fail "resume: not said on stderr: $(cat resume.err)"
grep -q '"checkpoint_fallbacks":1' resume.err || fail "resume --json: $(cat resume.err)"
echo "checkpoints of another run refused by resume, score, export; fall backs said"
