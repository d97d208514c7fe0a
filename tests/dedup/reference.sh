#!/bin/bash
# pmp-dedup against tests/dedup/reference.py (exact Jaccard by brute force, the
# documented rules in plain Python), on synthetic groups:
#  - near duplicates made by random word edits at known rates (plus case, accent
#    decomposition, punctuation and whitespace noise that normalisation must undo,
#    repeated responses and exact duplicates): every exact-rule decision matches,
#    recall >= 0.95 for J >= near + 0.05, false positives <= 1% for J <= near - 0.2,
#    at the default threshold and at 0.7;
#  - decontamination: every planted 13-gram of an hh-rlhf-style eval file is found,
#    no group without one is dropped, the report names the same items with the same
#    counts (planted 12-grams must not hit);
#  - the output is the same for 1 and 2 threads and for a small batch size;
#  - the same checks with half the groups turned into text documents.
set -u
D=$PMP_BIN/pmp-dedup
R="python3 $PMP_SRC/tests/dedup/reference.py"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }

$R gen-near 11 "$T/near.jsonl" || fail "generator"
"$D" -q --report "$T/near.rep" "$T/near.jsonl" > "$T/near.out" || fail "pmp-dedup (default --near)"
$R check-near "$T/near.jsonl" "$T/near.out" --assert-recall || fail "reference check at --near 0.8"
"$D" -q --near 0.7 "$T/near.jsonl" > "$T/near7.out" || fail "pmp-dedup --near 0.7"
$R check-near "$T/near.jsonl" "$T/near7.out" --near 0.7 --assert-recall || fail "reference check at --near 0.7"

"$D" -q -j1 "$T/near.jsonl" > "$T/near.j1" && "$D" -q -j2 --batch 7 "$T/near.jsonl" > "$T/near.j2" ||
    fail "pmp-dedup -j1 / -j2"
cmp -s "$T/near.out" "$T/near.j1" && cmp -s "$T/near.out" "$T/near.j2" || fail "output depends on threads or batch size"

$R gen-contam 12 "$T/c.jsonl" "$T/eval.jsonl" || fail "generator (contamination)"
gzip -k "$T/eval.jsonl"
"$D" -q --no-near --against "$T/eval.jsonl.gz" --report "$T/c.rep" "$T/c.jsonl" > "$T/c.out" ||
    fail "pmp-dedup --against"
$R check-contam "$T/c.jsonl" "$T/c.out" "$T/eval.jsonl" "$T/c.rep" || fail "reference check (contamination)"
# Text documents {"source", "id", "text"} (pmp-extract wikipedia --text), mixed with
# groups: half of each input as documents, the same checks.
$R to-docs "$T/near.jsonl" "$T/near-docs.jsonl" && $R to-docs "$T/c.jsonl" "$T/c-docs.jsonl" || fail "to-docs"
"$D" -q "$T/near-docs.jsonl" > "$T/near-docs.out" || fail "pmp-dedup (documents)"
$R check-near "$T/near-docs.jsonl" "$T/near-docs.out" --assert-recall || fail "reference check (documents)"
"$D" -q --no-near --against "$T/eval.jsonl.gz" --report "$T/c-docs.rep" "$T/c-docs.jsonl" > "$T/c-docs.out" ||
    fail "pmp-dedup --against (documents)"
$R check-contam "$T/c-docs.jsonl" "$T/c-docs.out" "$T/eval.jsonl" "$T/c-docs.rep" ||
    fail "reference check (contamination, documents)"
echo "reference: ok"
