#!/bin/bash
# pmp-extract SOURCE A B ...: several inputs in one run, read in the order given.
# hh, stackexchange, wikipedia: the output is the concatenation of the separate runs'
# outputs. reddit: the RS_ and RC_ files of several months are one joined input, the
# same output as one run on the concatenated RS files and the concatenated RC files
# (threads spanning months are joined). --votes-beside picks each site's Votes.xml;
# errors name the file and its line; "-" at most once.
set -u
X=$PMP_BIN/pmp-extract
S=$PMP_SRC/samples
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
same() { cmp -s "$1" "$2" || { diff "$1" "$2" | head -5; fail "$3"; }; }

# hh: two files (ids carry the file name, so the second is a renamed copy)
cp "$S/hh/sample.jsonl.gz" "$T/other.jsonl.gz"
"$X" hh -q "$S/hh/sample.jsonl.gz" > "$T/h1" && "$X" hh -q "$T/other.jsonl.gz" > "$T/h2" || fail "hh single runs"
"$X" hh -q --json "$S/hh/sample.jsonl.gz" "$T/other.jsonl.gz" > "$T/hm" 2> "$T/hm.json" || fail "hh multi"
cat "$T/h1" "$T/h2" > "$T/hc"
same "$T/hc" "$T/hm" "hh: two inputs differ from the two runs"
grep -q '"groups":'"$(wc -l < "$T/hc")" "$T/hm.json" || fail "hh: summary does not count both inputs"
grep -q 'sample.jsonl.gz + ' "$T/hm.json" || fail "hh: summary does not name both inputs"

# stackexchange: two sites, with and without --votes-beside
SE=$S/stackexchange/cooking.example.com
mkdir -p "$T/se"
cp "$SE/Posts.xml" "$T/se/beer.example.com-Posts.xml"
cp "$SE/Votes.xml" "$T/se/beer.example.com-Votes.xml"
"$X" stackexchange -q "$SE/Posts.xml" > "$T/s1" &&
    "$X" stackexchange -q "$T/se/beer.example.com-Posts.xml" > "$T/s2" || fail "se single runs"
"$X" stackexchange -q "$SE/Posts.xml" "$T/se/beer.example.com-Posts.xml" > "$T/sm" || fail "se multi"
cat "$T/s1" "$T/s2" > "$T/sc"
same "$T/sc" "$T/sm" "stackexchange: two inputs differ from the two runs"
grep -q '"id":"beer.example.com/q/' "$T/sm" || fail "stackexchange: the second site's name"
"$X" stackexchange -q --votes "$SE/Votes.xml" "$SE/Posts.xml" > "$T/v1" &&
    "$X" stackexchange -q --votes "$T/se/beer.example.com-Votes.xml" "$T/se/beer.example.com-Posts.xml" > "$T/v2" ||
    fail "se single runs with --votes"
"$X" stackexchange -q --votes-beside "$SE/Posts.xml" "$T/se/beer.example.com-Posts.xml" > "$T/vm" ||
    fail "se multi --votes-beside"
cat "$T/v1" "$T/v2" > "$T/vc"
same "$T/vc" "$T/vm" "stackexchange --votes-beside differs from --votes per site"
"$X" stackexchange -q --votes "$SE/Votes.xml" "$SE/Posts.xml" "$T/se/beer.example.com-Posts.xml" \
    > /dev/null 2> "$T/err"
[ $? -eq 2 ] && grep -q -- "--votes-beside" "$T/err" || fail "--votes with two inputs: expected a usage error"
cp "$SE/Posts.xml" "$T/se/novotes.example.com-Posts.xml"
"$X" stackexchange -q --votes-beside "$SE/Posts.xml" "$T/se/novotes.example.com-Posts.xml" > /dev/null 2> "$T/err"
[ $? -eq 1 ] && grep -q "novotes.example.com-Votes.xml" "$T/err" || fail "--votes-beside without the file"

# wikipedia: the sample under two names
cp "$S/wikipedia/history.xml" "$T/history2.xml"
"$X" wikipedia -q "$S/wikipedia/history.xml" > "$T/w1" && "$X" wikipedia -q "$T/history2.xml" > "$T/w2" ||
    fail "wikipedia single runs"
"$X" wikipedia -q "$S/wikipedia/history.xml" "$T/history2.xml" > "$T/wm" || fail "wikipedia multi"
cat "$T/w1" "$T/w2" > "$T/wc"
same "$T/wc" "$T/wm" "wikipedia: two inputs differ from the two runs"

# reddit: the sample split into two "months" of RS and RC, read as one joined input
zstd -q -dc --long=31 "$S/reddit/RC_sample.ndjson.zst" > "$T/RC_all.ndjson"
head -n 8 "$T/RC_all.ndjson" > "$T/RC_2019-04.ndjson"
tail -n +9 "$T/RC_all.ndjson" | zstd -q -c > "$T/RC_2019-05.ndjson.zst"
head -n 1 "$S/reddit/RS_sample.ndjson" > "$T/RS_2019-04.ndjson"
tail -n +2 "$S/reddit/RS_sample.ndjson" > "$T/RS_2019-05.ndjson"
"$X" reddit -q --submissions "$S/reddit/RS_sample.ndjson" "$T/RC_all.ndjson" > "$T/rc" || fail "reddit single"
"$X" reddit -q "$T/RS_2019-04.ndjson" "$T/RC_2019-04.ndjson" "$T/RS_2019-05.ndjson" \
    "$T/RC_2019-05.ndjson.zst" > "$T/rm" || fail "reddit multi"
same "$T/rc" "$T/rm" "reddit: RS_/RC_ of two months differ from the joined input"
"$X" reddit -q --submissions "$T/RS_2019-04.ndjson" --submissions "$T/RS_2019-05.ndjson" \
    --comments "$T/RC_2019-04.ndjson" "$T/RC_2019-05.ndjson.zst" > "$T/rm2" || fail "reddit multi by flags"
same "$T/rc" "$T/rm2" "reddit: --submissions/--comments twice differ from the joined input"
[ -s "$T/rc" ] || fail "reddit: no groups from the sample"
SH=${PMP_SHARED:-/nonexistent}/reddit
if [ -f "$SH/RC_2005-12.zst" ] && [ -f "$SH/RC_2006-01.zst" ]; then
    zstd -q -dc --long=31 "$SH/RC_2005-12.zst" "$SH/RC_2006-01.zst" | "$X" reddit -q - > "$T/sc" ||
        fail "reddit shared, concatenated"
    "$X" reddit -q "$SH/RC_2005-12.zst" "$SH/RC_2006-01.zst" > "$T/sm" || fail "reddit shared, two months"
    same "$T/sc" "$T/sm" "reddit: two shared months differ from their concatenation"
    echo "reddit shared months: $(wc -l < "$T/sm") groups"
fi
# errors name the file and line; "-" at most once
{ head -n 3 "$T/RC_2019-04.ndjson"; echo '{"id":"zz1","body":"x",}'; } > "$T/RC_bad.ndjson"
"$X" reddit -q "$T/RC_2019-04.ndjson" "$T/RC_bad.ndjson" > /dev/null 2> "$T/err"
[ $? -eq 1 ] && grep -q "RC_bad.ndjson:4: invalid JSON line" "$T/err" || { cat "$T/err"; fail "reddit: error names the file"; }
{ zcat "$S/hh/sample.jsonl.gz" | head -n 2; echo '{"chosen": 3}'; } > "$T/hh_bad.jsonl"
"$X" hh -q "$S/hh/sample.jsonl.gz" "$T/hh_bad.jsonl" > /dev/null 2> "$T/err"
[ $? -eq 1 ] && grep -q "hh_bad.jsonl:3" "$T/err" || { cat "$T/err"; fail "hh: error names the file"; }
for src in hh reddit stackexchange wikipedia; do
    "$X" $src -q - - < /dev/null > /dev/null 2> "$T/err"
    [ $? -eq 2 ] || fail "$src: two stdin inputs: expected a usage error"
done
echo "multi-input extract: ok"
