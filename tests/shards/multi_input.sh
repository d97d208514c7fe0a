#!/bin/bash
# pmp-tokenize A B C: several inputs are one stream. The shards equal those of one run
# on the concatenation (cat A B C); a run killed at a spread of I/O calls (some of them
# in the second file) and continued with --resume ends byte-identical to the
# uninterrupted multi-input run; --resume refuses other inputs (fewer, a changed size,
# another order); errors name the file and line; "-" at most once.
. "$(dirname "$0")/lib.sh"
STEP=${1:-5}
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
gen_groups 200 7 > "$T/all.jsonl"
head -n 70 "$T/all.jsonl" > "$T/a.jsonl"
sed -n '71,150p' "$T/all.jsonl" | gzip -c > "$T/b.jsonl.gz"
tail -n +151 "$T/all.jsonl" > "$T/c.jsonl"
ARGS=(-q -t "$T/tok.tiktoken" --shard-size 16K --split eval=0.3 --max-pairs-per-group 3)
IN=("$T/a.jsonl" "$T/b.jsonl.gz" "$T/c.jsonl")

# shard files and manifests without their "input" section (which names the files)
content_sums() {
    (cd "$1" && find . -type f -name 'shard-*' | LC_ALL=C sort | xargs sha256sum
     for m in manifest.json eval/manifest.json; do
         sed -e '/"input": {/,/^  },$/d' -e '/"manifest_xxh64"/d' "$m" | sha256sum
     done)
}

"$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/cat" "$T/all.jsonl" || fail "run on the concatenation"
"$BIN/pmp-tokenize" "${ARGS[@]}" --json -o "$T/ref" "${IN[@]}" 2> "$T/ref.json" || fail "multi-input run"
[ "$(ls "$T/ref" | grep -c '^shard-')" -ge 3 ] || fail "expected several train shards"
content_sums "$T/cat" > "$T/cat.sums"
content_sums "$T/ref" > "$T/multi.sums"
cmp -s "$T/cat.sums" "$T/multi.sums" || { diff "$T/cat.sums" "$T/multi.sums" | head; fail "multi-input shards differ from the concatenation's"; }
"$BIN/pmp-shard" verify -q "$T/ref" "$T/ref/eval" || fail "multi-input output does not verify"
grep -q '"files": \[' "$T/ref/manifest.json" || fail "manifest does not list the inputs"
grep -q "\"size\": *$(stat -c %s "$T/b.jsonl.gz")}" "$T/ref/manifest.json" || fail "manifest lacks the sizes"
grep -q "a.jsonl + .*b.jsonl.gz + .*c.jsonl" "$T/ref.json" || fail "summary does not name the inputs"
# the same groups read from stdin in the middle
gzip -dc "$T/b.jsonl.gz" | "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/stdin" "$T/a.jsonl" - "$T/c.jsonl" ||
    fail "multi-input run with stdin"
content_sums "$T/stdin" > "$T/stdin.sums"
cmp -s "$T/cat.sums" "$T/stdin.sums" || fail "with - as the second input: differs"

tree_sums "$T/ref" > "$T/ref.sums"
OPS=$(sed -n 's/.*"io_ops":\([0-9]*\).*/\1/p' "$T/ref.json")
A_GROUPS=70
n=0 second=0
for ((k = 1; k <= OPS; k += STEP)); do
    rm -rf "$T/run"
    PMP_FAULT=kill@$k "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/run" "${IN[@]}" 2>/dev/null &
    wait $!
    rc=$?
    [ $rc -eq 137 ] || fail "kill@$k: expected death by SIGKILL, exit $rc"
    if [ -f "$T/run/manifest.json" ]; then
        c=$(sed -n 's/.*"cursor": \([0-9]*\).*/\1/p' "$T/run/manifest.json")
        [ "${c:-0}" -gt $A_GROUPS ] && [ "${c:-0}" -le 150 ] && second=$((second + 1))
    fi
    "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "${IN[@]}" || fail "resume after kill@$k"
    tree_sums "$T/run" > "$T/got.sums"
    cmp -s "$T/ref.sums" "$T/got.sums" || { diff "$T/ref.sums" "$T/got.sums" | head; fail "kill@$k + resume: differs"; }
    n=$((n + 1))
done
echo "kill points resumed: $n of $OPS ($second with the cursor in the second file)"
[ $second -ge 1 ] || fail "no kill landed in the second file"

# --resume refuses other inputs
rm -rf "$T/run"
PMP_FAULT=kill@$((OPS / 2)) "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/run" "${IN[@]}" 2>/dev/null &
wait $!
grep -q '"complete": false' "$T/run/manifest.json" || fail "the kill did not interrupt the run"
expect_refused() {   # $1 = message part, then the inputs
    local want=$1; shift
    "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "$@" 2> "$T/err" && fail "resume with other inputs ($*) succeeded"
    grep -q -- "$want" "$T/err" || { cat "$T/err"; fail "expected '$want'"; }
}
expect_refused "the run read 3 inputs" "$T/a.jsonl" "$T/b.jsonl.gz"
expect_refused "the run read 3 inputs" "$T/all.jsonl"
cp "$T/c.jsonl" "$T/c2.jsonl"; echo >> "$T/c2.jsonl"
expect_refused "c2.jsonl is $(stat -c %s "$T/c2.jsonl") bytes" "$T/a.jsonl" "$T/b.jsonl.gz" "$T/c2.jsonl"
expect_refused "different input" "$T/c.jsonl" "$T/b.jsonl.gz" "$T/a.jsonl"
"$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "${IN[@]}" || fail "resume with the right inputs"
tree_sums "$T/run" > "$T/got.sums"
cmp -s "$T/ref.sums" "$T/got.sums" || fail "resume after refusals: differs"

# errors name the file and its line; "-" once
{ head -n 5 "$T/c.jsonl"; echo '{"source":"s"}'; } > "$T/bad.jsonl"
"$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/bad" "$T/a.jsonl" "$T/bad.jsonl" 2> "$T/err" && fail "bad line accepted"
grep -q "bad.jsonl:6: " "$T/err" || { cat "$T/err"; fail "error does not name bad.jsonl:6"; }
"$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/two" - - < /dev/null 2> "$T/err"
[ $? -eq 2 ] || fail "two stdin inputs: expected a usage error"
echo "multi-input: ok"
