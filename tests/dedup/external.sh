#!/bin/bash
# pmp-dedup's external mode (docs/dedup.md "Memory"): a --mem far too small for the
# indexes makes the run spill (from the first group with --mem 1K, after some groups
# kept in memory with a larger one, with the oversized-bucket path forced by
# --big-bucket 2); each run's output must be byte-identical to the in-memory run's and
# its report's counts equal, on
#  - the samples/ of every source, and the synthetic near-duplicate and contamination
#    sets, whose external outputs tests/dedup/reference.py also checks against the
#    brute-force Jaccard and n-gram references;
#  - ../shared/data (every source, and all of them as one stream; skipped when absent).
# Failures: a bad line past the switch gives the in-memory run's output (the groups
# before it, then the {"pmp_error": ...} record); a run killed while spilling leaves no
# file in --tmp (every temporary file is unlinked when created) and an output that
# holds only the groups decided before the switch.
set -u
D=$PMP_BIN/pmp-dedup
X=$PMP_BIN/pmp-extract
R="python3 $PMP_SRC/tests/dedup/reference.py"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T/tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -z "$(ls -A "$T/tmp")" ] || fail "tmp not empty"

same_counts() {   # two --report files: every count equal (not the index figures)
    python3 - "$1" "$2" <<'EOF' || return 1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("total", "sources", "evaluation", "input"):
    if a[k] != b[k]:
        sys.exit("report %s differs: %s vs %s" % (k, a[k], b[k]))
if not b["external"]["used"]:
    sys.exit("the external mode was not used")
EOF
}

# name, then pmp-dedup arguments (the input last): in memory, then external three ways,
# with the two budgets in $MEMS (the first small enough to switch at once, the second
# after some groups; with --against, both above what the evaluation n-grams need)
MEMS="1K 48K"
compare() {
    local name=$1; shift
    "$D" -q --report "$T/$name.mem.rep" "$@" > "$T/$name.mem" || fail "$name: pmp-dedup in memory"
    local i=0 m1 m2
    read -r m1 m2 <<< "$MEMS"
    for ext in "--mem $m1" "--mem $m2" "--mem $m1 --big-bucket 2"; do
        i=$((i + 1))
        # shellcheck disable=SC2086
        "$D" -q --tmp "$T/tmp" $ext --report "$T/$name.ext$i.rep" "$@" > "$T/$name.ext$i" ||
            fail "$name: pmp-dedup $ext"
        cmp -s "$T/$name.mem" "$T/$name.ext$i" || fail "$name: $ext gives another output than in memory"
        same_counts "$T/$name.mem.rep" "$T/$name.ext$i.rep" || fail "$name: $ext: report counts"
        [ -z "$(ls -A "$T/tmp")" ] || fail "$name: $ext left files in --tmp: $(ls "$T/tmp")"
    done
    echo "$name: $(wc -l < "$T/$name.mem") of $(grep -c . "${@: -1}") groups kept, the same in the external mode"
}

# samples/, every source, and all of them as one stream
S=$PMP_SRC/samples
"$X" stackexchange -q "$S/stackexchange/cooking.example.com/Posts.xml" > "$T/s-se.jsonl" || fail "extract samples se"
"$X" reddit -q "$S/reddit/RS_sample.ndjson" "$S/reddit/RC_sample.ndjson.zst" > "$T/s-reddit.jsonl" || fail "extract samples reddit"
"$X" wikipedia -q "$S/wikipedia/history.xml" > "$T/s-wiki.jsonl" || fail "extract samples wikipedia"
"$X" hh -q "$S/hh/sample.jsonl.gz" > "$T/s-hh.jsonl" || fail "extract samples hh"
cat "$T"/s-*.jsonl "$T"/s-*.jsonl > "$T/s-all.jsonl"   # twice: exact duplicates too
for s in se reddit wiki hh all; do compare "samples-$s" "$T/s-$s.jsonl"; done

# synthetic sets, and the reference's verdict on the external outputs
$R gen-near 11 "$T/near.jsonl" || fail "generator"
compare near "$T/near.jsonl"
$R check-near "$T/near.jsonl" "$T/near.ext1" --assert-recall || fail "reference check of the external output"
$R to-docs "$T/near.jsonl" "$T/near-docs.jsonl" || fail "to-docs"
compare near-docs "$T/near-docs.jsonl"
$R gen-contam 12 "$T/c.jsonl" "$T/eval.jsonl" || fail "generator (contamination)"
MEMS="2M 5M" compare contam --against "$T/eval.jsonl" "$T/c.jsonl"
$R check-contam "$T/c.jsonl" "$T/contam.ext1" "$T/eval.jsonl" "$T/contam.ext1.rep" || fail "reference check (contamination, external)"
compare near07 --near 0.7 "$T/near.jsonl"
compare nonear --no-near "$T/near.jsonl"
compare threads -j1 --batch 7 "$T/near.jsonl"

# a bad line past the switch: the same output as in memory, failure record included
{ head -600 "$T/near.jsonl"; echo '{"source":"s","id":"bad","context":"c","responses":[}'; tail -n +601 "$T/near.jsonl"; } > "$T/bad.jsonl"
"$D" -q "$T/bad.jsonl" > "$T/bad.mem" 2> /dev/null; [ $? = 1 ] || fail "bad line in memory: exit"
"$D" -q --mem 1K --tmp "$T/tmp" "$T/bad.jsonl" > "$T/bad.ext" 2> "$T/bad.err"; [ $? = 1 ] || fail "bad line, external: exit"
grep -q "bad.jsonl:601:" "$T/bad.err" || fail "bad line, external: message $(cat "$T/bad.err")"
cmp -s "$T/bad.mem" "$T/bad.ext" || fail "bad line: the external output differs from the in-memory one"
tail -1 "$T/bad.ext" | grep -q '^{"pmp_error"' || fail "bad line, external: no failure record"
[ "$(wc -l < "$T/bad.ext")" -gt 100 ] || fail "bad line, external: the groups before it were not written"

# killed while spilling (the input is a pipe left open): nothing in --tmp, no output
mkfifo "$T/fifo"
"$D" -q --mem 1K --tmp "$T/tmp" "$T/fifo" > "$T/killed.out" 2> /dev/null & pid=$!
exec 3> "$T/fifo"
cat "$T/near.jsonl" >&3
for _ in $(seq 100); do
    n=$(ls -l "/proc/$pid/fd" 2> /dev/null | grep -c "$T/tmp/pmp-groupby-.*(deleted)")
    [ "$n" -ge 3 ] && break; sleep 0.1
done
[ "$n" -ge 3 ] || fail "no spill files open while spilling ($n)"
[ -z "$(ls -A "$T/tmp")" ] || fail "spill files visible in --tmp: $(ls "$T/tmp")"
kill -9 "$pid"; wait "$pid" 2> /dev/null; exec 3>&-
[ -z "$(ls -A "$T/tmp")" ] || fail "a killed run left files in --tmp"
[ ! -s "$T/killed.out" ] || fail "a run killed before the end of its input wrote groups"

# ../shared/data
if [ -d "${PMP_SHARED:-}/stackexchange" ]; then
    SD=$PMP_SHARED
    "$X" stackexchange -q "$SD"/stackexchange/*-Posts.xml > "$T/se.jsonl" || fail "extract se"
    "$X" reddit -q "$SD"/reddit/RC_*.zst > "$T/reddit.jsonl" || fail "extract reddit"
    "$X" wikipedia -q "$SD"/wikipedia/*.xml* > "$T/wiki.jsonl" || fail "extract wikipedia"
    cat "$T/se.jsonl" "$T/reddit.jsonl" "$T/wiki.jsonl" > "$T/all.jsonl"
    for s in wiki all; do compare "shared-$s" "$T/$s.jsonl"; done
    MEMS="28M 31M" compare shared-against --against "$SD/hhh/hh-rlhf-harmless-base-test.jsonl.gz" --ngram 8 "$T/all.jsonl"
else
    echo "../shared/data absent: its part skipped"
fi
echo "external: ok"
