#!/bin/bash
# pmp-dedup on bad input and bad flags: messages name FILE:LINE, exit 1 for bad input
# (the output then ends with a {"pmp_error": ...} line that pmp-tokenize refuses),
# 2 for usage; an input that ends in a failed stage's record is refused; a --tmp
# that is not a directory fails at the start; evaluation n-grams past --mem fail; --skip-bad counts; stdin, files and compressed files.
set -u
D=$PMP_BIN/pmp-dedup
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {   # want-rc grep-pattern-in-stderr args... (stdin from $IN)
    local want=$1 pat=$2; shift 2
    "$D" "$@" < "${IN:-/dev/null}" > "$T/out" 2> "$T/err"; local rc=$?
    [ "$rc" = "$want" ] || { cat "$T/err"; fail "pmp-dedup $*: exit $rc, want $want"; }
    grep -q -- "$pat" "$T/err" || { cat "$T/err"; fail "pmp-dedup $*: stderr lacks '$pat'"; }
}
g() { printf '{"source":"s","id":"%s","context":"%s","responses":[{"text":"%s","score":1},{"text":"b","score":0}]}\n' "$@"; }
{ g 1 "one two three" "a"; g 2 "four five six" "a"; g 3 "ONE   two three" "A"; } > "$T/good.jsonl"
{ g 1 "x y" "a"; echo '{"source":"s","id":"2","context":"c","responses":[}'; g 3 "z w" "a"; } > "$T/bad.jsonl"

expect 2 "expected a Jaccard" --near 1.5 "$T/good.jsonl"
expect 2 "expected a Jaccard" --near nan "$T/good.jsonl"
expect 2 "bad value" --perms 0 "$T/good.jsonl"
expect 2 "does not divide" --bands 7 "$T/good.jsonl"
expect 2 "exclude each other" --near 0.9 --no-near "$T/good.jsonl"
expect 2 "only one of the inputs" - -
expect 1 "bad.jsonl:2:" "$T/bad.jsonl"
[ "$(head -1 "$T/out" | grep -c '"id":"1"')" = 1 ] || fail "the group before the bad line was not written"
tail -1 "$T/out" | grep -q '^{"pmp_error":".*bad.jsonl:2:' || fail "no failure record at the end of the output"
"$PMP_BIN/pmp-dedup" -q < "$T/out" > /dev/null 2> "$T/err2"; [ $? = 1 ] && grep -q "stage that wrote this input failed" "$T/err2" ||
    fail "pmp-dedup accepts a failed stage's output"
expect 0 "bad_lines=1" --skip-bad "$T/bad.jsonl"
[ "$(wc -l < "$T/out")" = 2 ] || fail "--skip-bad: want 2 groups out"
expect 1 "missing.jsonl" "$T/missing.jsonl"
printf '{"chosen":"x","rejected":"y"}\nplain text line\n' > "$T/ev_mixed"
expect 1 "ev_mixed:2:" --against "$T/ev_mixed" "$T/good.jsonl"
printf '{"chosen":"x","rejected":1}\n' > "$T/ev_hh"
expect 1 "ev_hh:1:.*rejected" --against "$T/ev_hh" "$T/good.jsonl"
printf '{"foo":1}\n' > "$T/ev_obj"
expect 1 "ev_obj:1:.*neither a group" --against "$T/ev_obj" "$T/good.jsonl"
head -c 100 /dev/urandom | gzip > "$T/trunc.gz"; head -c 30 "$T/trunc.gz" > "$T/t.gz"
expect 1 "t.gz" --against "$T/t.gz" "$T/good.jsonl"

# exact duplicate (case and whitespace): group 3 goes; stdin = file = zstd file
IN="$T/good.jsonl" expect 0 "exact_duplicates=1"
[ "$(wc -l < "$T/out")" = 2 ] || fail "exact duplicate kept"
cp "$T/out" "$T/stdin.out"
zstd -q -f "$T/good.jsonl" -o "$T/good.jsonl.zst"
expect 0 "groups_in=3" "$T/good.jsonl.zst"
cmp -s "$T/out" "$T/stdin.out" || fail "compressed input gives another output"
# kept groups are byte-for-byte what was read (unknown fields survive)
printf '{"source":"s","id":"u","split_key":"k1","context":"c","responses":[{"text":"a","score":1,"x":[1]},{"text":"b","score":0}],"meta":{"z":1}}\n' > "$T/u.jsonl"
"$D" -q "$T/u.jsonl" > "$T/u.out" && cmp -s "$T/u.jsonl" "$T/u.out" || fail "a kept group was not written byte for byte"
# a repeated response is dropped and the group re-serialised
printf '{"source":"s","id":"r","context":"c","responses":[{"text":"a","score":1},{"text":"A ","score":3},{"text":"b","score":0}]}\n' > "$T/r.jsonl"
"$D" -q "$T/r.jsonl" > "$T/r.out" || fail "repeated response"
python3 -c "import json,sys; g=json.load(open(sys.argv[1])); assert [r['text'] for r in g['responses']]==['a','b'], g" "$T/r.out" ||
    fail "the repeated response was not dropped"
# --mem too small for the indexes: the run goes on external (tests/dedup/external.sh),
# with the same output; a --tmp that is not a directory fails at the start
for i in $(seq 1 3000); do g "$i" "words $i and more $i" "r$i"; done > "$T/many.jsonl"
"$D" -q "$T/many.jsonl" > "$T/many.mem" || fail "many.jsonl in memory"
"$D" -q --mem 64K "$T/many.jsonl" > "$T/many.ext" && cmp -s "$T/many.mem" "$T/many.ext" ||
    fail "--mem 64K: the external mode's output differs"
expect 1 "temporary directory" --mem 64K --tmp "$T/many.jsonl" "$T/many.jsonl"
[ ! -s "$T/out" ] || fail "a bad --tmp failed after writing"
echo "one two three four five six seven eight nine ten eleven twelve thirteen fourteen" > "$T/ev_text"
expect 1 "evaluation n-grams need" --mem 1K --against "$T/ev_text" "$T/good.jsonl"
echo "bad_input: ok"
