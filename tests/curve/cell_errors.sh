#!/bin/sh
# A failed pmp-curve cell reaches the user once, through the program (issue 28: the
# library never prints; the forked child sends its error up a pipe): the message
# names the cell and says why, the exit status and --json "error" come from the
# cell's own error code (bad input here, not the unclassified "fail"), and with
# --jobs the other cells that fail while the sweep stops are each reported once.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 320 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q --tokenizer tok.json --split eval=0.3 -o shards groups.jsonl
echo 'not a model' > junk.safetensors   # no config.json beside it: the cell's run refuses it
mkdir empty-run                          # no checkpoint in it
CURVE="--train shards --eval shards/eval --init scratch=scratch --init bad=junk.safetensors
       --sizes 0 --seeds 1 --min-steps 2 --layers 2 --heads 2 --width 32 --context 64
       --batch-pairs 4 --threads 2"

rc=0; "$B/pmp-curve" $CURVE -o c --jobs 1 -q --json 2> e1.txt || rc=$?
[ $rc -eq 1 ] || fail "a failed cell: exit $rc, want 1: $(cat e1.txt)"
[ "$(grep -c 'bad-r0-n0-s0' e1.txt)" -eq 1 ] || fail "the cell's error once: $(cat e1.txt)"
grep -q '^pmp-curve: error: cell c/cells/bad-r0-n0-s0: .*junk.safetensors.*config.json' e1.txt \
  || fail "the message names the cell and the reason: $(cat e1.txt)"
grep -q '"error":"input"' e1.txt || fail "--json error: the cell's code (input): $(cat e1.txt)"
grep -q 'error is above' e1.txt && fail "no pointer to an error printed elsewhere: $(cat e1.txt)"

# three cells at once, two fail: each failure said once
rc=0; "$B/pmp-curve" $CURVE --init bad2=empty-run -o c2 --jobs 3 -q 2> e3.txt || rc=$?
[ $rc -eq 1 ] || fail "two failed cells: exit $rc, want 1: $(cat e3.txt)"
[ "$(grep -c 'cell c2/cells/bad-r0-n0-s0: ' e3.txt)" -eq 1 ] || fail "bad once: $(cat e3.txt)"
[ "$(grep -c 'cell c2/cells/bad2-r0-n0-s0: .*empty-run' e3.txt)" -eq 1 ] || fail "bad2 once: $(cat e3.txt)"
[ "$(grep -vc '^pmp-curve: ' e3.txt)" -eq 0 ] || fail "every line from the program: $(cat e3.txt)"
echo ok
