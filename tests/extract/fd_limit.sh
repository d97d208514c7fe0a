#!/bin/sh
# The external group-by under a low open-file limit (issue 30): with a tiny --mem
# the extractors spill thousands of runs, far more than `ulimit -n 48` allows
# open at once; the group-by merges while it adds (bounded fan-in) and the
# output is byte-identical to an unconstrained run. Before the fix, the run
# stopped at about 1,018 runs under ulimit -n 1024 ("Too many open files").
set -eu
X="$PMP_BIN/pmp-extract"
D="$PMP_SHARED"
[ -f "$D/reddit/RC_2006-01.zst" ] || { echo "no shared data: skip"; exit 77; }
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T/spill"
fail() { echo "FAIL: $*" >&2; exit 1; }
runs_of() { sed -n 's/.*"\(spill_runs\|runs\)":\([0-9]*\).*/\2/p' "$1"; }

echo "== reddit: --mem 1K under ulimit -n 32"
"$X" reddit -q "$D/reddit/RC_2006-01.zst" > "$T/free.jsonl"
( ulimit -n 32; "$X" reddit -q --json --mem 1K --tmp "$T/spill" "$D/reddit/RC_2006-01.zst" \
    > "$T/low.jsonl" 2> "$T/low.json" ) || { cat "$T/low.json"; fail "reddit under ulimit -n 32"; }
cmp "$T/free.jsonl" "$T/low.jsonl" || fail "reddit output differs under the limit"
runs=$(runs_of "$T/low.json"); echo "$runs runs"
[ "$runs" -gt 1000 ] || fail "expected thousands of runs, got $runs"

echo "== stackexchange with votes (two group-bys at once): --mem 16K under ulimit -n 48"
P="$D/stackexchange/beer.stackexchange.com-2020-Posts.xml"
V="$D/stackexchange/beer.stackexchange.com-2020-Votes.xml"
"$X" stackexchange -q --votes "$V" "$P" > "$T/free.jsonl"
( ulimit -n 48; "$X" stackexchange -q --json --mem 16K --tmp "$T/spill" --votes "$V" "$P" \
    > "$T/low.jsonl" 2> "$T/low.json" ) || { cat "$T/low.json"; fail "stackexchange under ulimit -n 48"; }
cmp "$T/free.jsonl" "$T/low.jsonl" || fail "stackexchange output differs under the limit"
runs=$(runs_of "$T/low.json"); echo "$runs runs"
[ "$runs" -gt 500 ] || fail "expected hundreds of runs, got $runs"
[ -z "$(ls -A "$T/spill")" ] || fail "files left in --tmp"

echo "== --tmp-compress: the same output from zstd runs, fewer spill bytes"
spill_of() { sed -n 's/.*"spill_bytes":\([0-9]*\).*/\1/p' "$1"; }
"$X" reddit -q --json --mem 64K --tmp "$T/spill" "$D/reddit/RC_2006-01.zst" > "$T/plain.jsonl" 2> "$T/plain.json"
"$X" reddit -q --json --mem 64K --tmp "$T/spill" --tmp-compress "$D/reddit/RC_2006-01.zst" \
    > "$T/z.jsonl" 2> "$T/z.json" || { cat "$T/z.json"; fail "reddit --tmp-compress"; }
cmp "$T/plain.jsonl" "$T/z.jsonl" || fail "reddit output differs with --tmp-compress"
zs=$(spill_of "$T/z.json"); ps=$(spill_of "$T/plain.json")
[ "$zs" -lt "$ps" ] || fail "reddit: compressed runs are not smaller"
echo "reddit spill bytes: $ps plain, $zs compressed"
( ulimit -n 48; "$X" stackexchange -q --json --mem 16K --tmp "$T/spill" --tmp-compress --votes "$V" "$P" \
    > "$T/z.jsonl" 2> "$T/z.json" ) || { cat "$T/z.json"; fail "stackexchange --tmp-compress"; }
cmp "$T/free.jsonl" "$T/z.jsonl" || fail "stackexchange output differs with --tmp-compress"
[ -z "$(ls -A "$T/spill")" ] || fail "files left in --tmp"
echo PASS
