#!/bin/bash
# pmp-dedup on every source of ../shared/data (skipped when absent): each source's
# groups go through pmp-dedup and tests/dedup/reference.py checks every exact-rule
# decision and reports recall / false positives of the near rule on the real pairs
# (asserted like the synthetic test where a bin holds enough pairs); the PMP sources
# are decontaminated against the hh-rlhf test file, every hit checked by brute force.
set -u
[ -d "${PMP_SHARED:-}/stackexchange" ] || { echo "skip: no ../shared/data"; exit 77; }
X=$PMP_BIN/pmp-extract
D=$PMP_BIN/pmp-dedup
R="python3 $PMP_SRC/tests/dedup/reference.py"
S=$PMP_SHARED
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$X" stackexchange -q "$S"/stackexchange/*-Posts.xml > "$T/se.jsonl" || fail "extract se"
"$X" reddit -q "$S"/reddit/RC_*.zst > "$T/reddit.jsonl" || fail "extract reddit"
"$X" wikipedia -q "$S"/wikipedia/*.xml* > "$T/wiki.jsonl" || fail "extract wikipedia"
"$X" hh -q "$S/hhh/hh-rlhf-harmless-base-test.jsonl.gz" > "$T/hh.jsonl" || fail "extract hh"
for s in se reddit wiki hh; do
    "$D" --report "$T/$s.rep" "$T/$s.jsonl" > "$T/$s.out" || fail "pmp-dedup $s"
    $R check-near "$T/$s.jsonl" "$T/$s.out" --assert-recall || fail "reference check on $s"
done
# contamination of the PMP data by hh-rlhf test
gunzip -c "$S/hhh/hh-rlhf-harmless-base-test.jsonl.gz" > "$T/hh-test.jsonl"
cat "$T/se.jsonl" "$T/reddit.jsonl" "$T/wiki.jsonl" > "$T/pmp.jsonl"
"$D" --no-near --against "$S/hhh/hh-rlhf-harmless-base-test.jsonl.gz" --report "$T/contam.rep" "$T/pmp.jsonl" \
    > "$T/pmp.out" || fail "pmp-dedup --against hh test"
$R check-contam "$T/pmp.jsonl" "$T/pmp.out" "$T/hh-test.jsonl" "$T/contam.rep" || fail "contamination check"
# at 8 words some stock phrases hit: a check that is not vacuous on real text
"$D" -q --no-near --ngram 8 --against "$S/hhh/hh-rlhf-harmless-base-test.jsonl.gz" --report "$T/contam8.rep" \
    "$T/pmp.jsonl" > "$T/pmp8.out" || fail "pmp-dedup --ngram 8 --against hh test"
$R check-contam "$T/pmp.jsonl" "$T/pmp8.out" "$T/hh-test.jsonl" "$T/contam8.rep" --ngram 8 || fail "contamination check, 8-grams"
# hh test against itself: every group is contaminated
"$D" -q --no-near --against "$S/hhh/hh-rlhf-harmless-base-test.jsonl.gz" --report "$T/self.rep" "$T/hh.jsonl" > "$T/self.out" ||
    fail "hh against itself"
[ ! -s "$T/self.out" ] || fail "hh test groups survived decontamination against hh test: $(wc -l < "$T/self.out")"
echo "real: ok"
