#!/bin/bash
# pmp-tokenize --resume checks that it continues over the input it started on: a run
# killed half-way and resumed on a cut of its input, on an input with one changed line
# before the cursor, or on another file, is refused with a message saying what
# differs; resumed on the same input (even by another path or through stdin) it ends
# with the bytes of an uninterrupted run. Before: resuming on `head -n 1000` of the
# input ended `complete: true` with 1000 of 2307 groups.
. "$PMP_SRC/tests/shards/lib.sh"
T=$PMP_TMP; rm -rf "$T"; mkdir -p "$T"; cd "$T"
make_tokenizer tok.tiktoken
gen_groups 150 11 > in.jsonl
ARGS=(-q -t tok.tiktoken --shard-size 24K --split eval=0.3)
"$BIN/pmp-tokenize" "${ARGS[@]}" -o ref in.jsonl || fail "reference run"
grep -q '"prefix_xxh64"' ref/manifest.json || fail "no input prefix hash recorded"
grep -q "\"size\": $(wc -c < in.jsonl)," ref/manifest.json || fail "no input size recorded"
killed() {   # a run killed after its first shards are committed
  rm -rf run
  PMP_FAULT=kill@12 "$BIN/pmp-tokenize" "${ARGS[@]}" -o run in.jsonl 2>/dev/null & wait $! || true
  c=$(sed -n 's/.*"cursor": \([0-9]*\).*/\1/p' run/manifest.json)
  [ "${c:-0}" -gt 0 ] && [ "$c" -lt 150 ] || fail "the killed run should have a cursor in (0, 150), has '$c'"
}
refused() {  # what, then the resume command's input arguments
  local what=$1; shift
  if "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o run "$@" 2> r.err; then fail "$what: resume accepted"; fi
  grep -q "different input" r.err || { cat r.err; fail "$what: the refusal does not say the input differs"; }
  grep -q '"complete": true' run/manifest.json && fail "$what: the directory was marked complete"
  return 0
}
killed; head -n 20 in.jsonl > short.jsonl
refused "a cut of the input (a file)" short.jsonl
head -n 20 in.jsonl | refused "a cut of the input (stdin)" -
grep -q "ends after 20 groups" r.err || { cat r.err; fail "the cut should be named by its length"; }
# one changed line before the cursor (same size: a changed letter)
sed '3s/a/b/' in.jsonl > changed.jsonl; cmp -s in.jsonl changed.jsonl && fail "sed changed nothing"
cat changed.jsonl | refused "a changed line before the cursor" -
grep -q "prefix_xxh64" r.err || { cat r.err; fail "the changed prefix should be named"; }
gen_groups 150 12 > other.jsonl
refused "another file" other.jsonl
# the same content by another path and through stdin: accepted, same bytes as uninterrupted
cp in.jsonl copy.jsonl
"$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o run copy.jsonl || fail "resume on a copy of the input"
tree_sums ref | sed 's/ .*//' > ref.sums
killed; cat in.jsonl | "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o run - || fail "resume through stdin"
"$BIN/pmp-shard" verify -q run run/eval || fail "resumed run does not verify"
for f in $(cd ref && ls shard-* eval/shard-*); do cmp -s "ref/$f" "run/$f" || fail "$f differs after resume"; done
echo "resume: cut, changed and other inputs refused; the same input resumes to the same shards"
