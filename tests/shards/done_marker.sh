#!/bin/bash
# The completion markers of the multi-file recipes (docs/scaling.md): every task runs
# scripts/pmp-part.sh, which writes PARTS/NAME.done only when its extraction and
# tokenization are complete. Four StackExchange dumps; one task is killed (SIGKILL to its
# whole process group, as Slurm or a lost host does) in the middle of pmp-extract,
# another in the middle of pmp-tokenize (PMP_FAULT=kill@N), two finish. Then:
#  - nothing of the killed tasks looks complete: no marker, no NAME.jsonl for the killed
#    extract (only NAME.jsonl.tmp), an incomplete shard directory that merge refuses;
#  - rerunning every task skips the two finished ones (their files untouched) and redoes
#    the killed ones;
#  - the parts and the merged directory are byte-identical to an uninterrupted run.
set -uo pipefail
B="$PMP_BIN"; D="${PMP_SHARED:-/nonexistent}"; T="$PMP_TMP"
PART="$PMP_SRC/scripts/pmp-part.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -d "$D/stackexchange" ] || { echo "skip: no shared data"; exit 77; }
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
SE="$D/stackexchange"
NAMES="beer.stackexchange.com-2020 coffee.stackexchange.com-2015 dba.meta.stackexchange.com cardano.stackexchange.com"
"$B/pmp-bpe" convert -q -t "$D/bpe/gpt2" -o tok.json || fail "tokenizer"
TOK=(-q -j 1 --tokenizer "$PWD/tok.json" --split eval=0.1 --max-context-tokens 128 --max-response-tokens 64)
# task PARTS NAME [BIN]: one task of the recipe, in its own session (a process group to kill)
task() { PMP_BIN=${3:-$B} setsid -w "$PART" "$1" "$2" -- stackexchange -q "$SE/$2-Posts.xml" -- "${TOK[@]}"; }
digest() { (cd "$1" && find . -type f | sort | xargs sha256sum); }

# the uninterrupted run, in ref/ (the manifests record the relative input path, parts/NAME.jsonl)
mkdir ref && cd ref || exit 1
for n in $NAMES; do task parts "$n" 2> /dev/null || fail "reference task $n"; done
"$B/pmp-shard" merge -q $(for n in $NAMES; do echo "parts/$n"; done) -o merged || fail "reference merge"
cd .. || exit 1

# programs that get killed: pmp-extract after 30 kB of output, pmp-tokenize at its 4th I/O call
mkdir -p kill-extract kill-tokenize
cat > kill-extract/pmp-extract <<EOS
#!/bin/bash
"$B/pmp-extract" "\$@" | head -c 30000
kill -KILL 0
EOS
printf '#!/bin/bash\nPMP_FAULT=kill@4 exec "%s/pmp-tokenize" "$@"\n' "$B" > kill-tokenize/pmp-tokenize
chmod +x kill-extract/pmp-extract kill-tokenize/pmp-tokenize
ln -s "$B/pmp-tokenize" kill-extract/pmp-tokenize
ln -s "$B/pmp-extract" kill-tokenize/pmp-extract
ABS=$PWD
# the interrupted run, in run/ (at ref/'s depth: the manifests hold the relative tokenizer path)
mkdir run && cd run || exit 1

task parts beer.stackexchange.com-2020 || fail "task beer"
task parts coffee.stackexchange.com-2015 || fail "task coffee"
task parts dba.meta.stackexchange.com "$ABS/kill-extract" 2> /dev/null; rc=$?
[ $rc -eq 137 ] || fail "the task killed in pmp-extract: exit $rc, expected 137"
task parts cardano.stackexchange.com "$ABS/kill-tokenize" 2> /dev/null; rc=$?
[ $rc -eq 137 ] || fail "the task killed in pmp-tokenize: exit $rc, expected 137"

# nothing of the killed tasks looks complete
for n in dba.meta.stackexchange.com cardano.stackexchange.com; do
    [ -e "parts/$n.done" ] && fail "$n: a marker after a kill"
done
[ -e parts/dba.meta.stackexchange.com.jsonl ] && fail "a killed extract left NAME.jsonl"
[ -s parts/dba.meta.stackexchange.com.jsonl.tmp ] || fail "the killed extract wrote nothing: the kill was not midway"
[ -d parts/dba.meta.stackexchange.com ] && fail "tokenize ran after a killed extract"
[ -s parts/cardano.stackexchange.com.jsonl ] || fail "cardano's groups are missing"
if "$B/pmp-shard" merge -q parts/cardano.stackexchange.com -o bad 2> bad.err; then
    fail "merge accepted the directory of a killed pmp-tokenize"
fi
[ -e parts/beer.stackexchange.com-2020.done ] && [ -e parts/coffee.stackexchange.com-2015.done ] ||
    fail "finished tasks without a marker"

# the rerun of every task: the finished ones skipped and untouched, the killed ones redone
before=$(digest parts/beer.stackexchange.com-2020; digest parts/coffee.stackexchange.com-2015
         sha256sum parts/*.done; stat -c '%n %Y' parts/*.done)
for n in $NAMES; do task parts "$n" 2>> rerun.err || fail "rerun of $n: $(cat rerun.err)"; done
after=$(digest parts/beer.stackexchange.com-2020; digest parts/coffee.stackexchange.com-2015
        sha256sum parts/beer.stackexchange.com-2020.done parts/coffee.stackexchange.com-2015.done
        stat -c '%n %Y' parts/beer.stackexchange.com-2020.done parts/coffee.stackexchange.com-2015.done)
[ "$before" = "$after" ] || fail "the rerun touched a finished task"
[ "$(grep -c 'skipped' rerun.err)" = 2 ] || fail "expected 2 tasks skipped: $(cat rerun.err)"
grep -q "beer.stackexchange.com-2020: complete" rerun.err && grep -q "coffee.stackexchange.com-2015: complete" rerun.err ||
    fail "the finished tasks were not the ones skipped: $(cat rerun.err)"
for n in $NAMES; do
    [ -e "parts/$n.done" ] || fail "$n: no marker after the rerun"
    diff -r "../ref/parts/$n" "parts/$n" > /dev/null || fail "$n: the part differs from the uninterrupted run"
    cmp -s "../ref/parts/$n.jsonl" "parts/$n.jsonl" || fail "$n: the groups differ from the uninterrupted run"
done
[ -e parts/dba.meta.stackexchange.com.jsonl.tmp ] && fail "the stale .tmp survived the rerun"
"$B/pmp-shard" merge -q $(for n in $NAMES; do echo "parts/$n"; done) -o merged || fail "merge"
diff -r ../ref/merged merged > /dev/null || fail "the merged directory differs from the uninterrupted run"
echo "ok: 2 finished tasks skipped, 2 killed tasks redone, merged output byte-identical"
