#!/bin/bash
# bench/stackexchange/bench.sh — MB/s of `pmp-extract stackexchange` on a >= 1 GB
# Posts.xml (real rows replicated with shifted Ids, built in $PMP_TMP), the ratio to
# a bare libxml2 SAX2 parse of the same file in the same run, peak RSS with the
# default --mem and with --mem 64M, and byte-identical output across --mem.
# Runs are interleaved (baseline, default, 64M) and reported as medians of wall
# and CPU (user+sys) time: the machine is shared, CPU time is the steadier one.
# Env: PMP_SE_BENCH_BYTES (default 1100000000), PMP_SE_BENCH_RUNS (default 3).
set -euo pipefail
: "${PMP_BIN:?}" "${PMP_SRC:?}" "${PMP_SHARED:?}" "${PMP_TMP:?}"
BYTES=${PMP_SE_BENCH_BYTES:-1100000000}
RUNS=${PMP_SE_BENCH_RUNS:-3}
[ -d "$PMP_SHARED/stackexchange" ] || { echo "skip: no shared StackExchange dumps"; exit 77; }
mkdir -p "$PMP_TMP"
POSTS="$PMP_TMP/bench.stackexchange.com-Posts.xml"
if [ ! -f "$POSTS" ] || [ "$(stat -c %s "$POSTS")" -lt "$BYTES" ]; then
  /usr/bin/python3 "$PMP_SRC/bench/stackexchange/make_posts.py" "$PMP_SHARED" "$POSTS" "$BYTES"
fi
SIZE=$(stat -c %s "$POSTS")
PMP="$PMP_BIN/pmp-extract"
BASE="$PMP_BIN/bench_sax_baseline"

# timed NAME CMD...: appends "wall cpu rss_kb" to $PMP_TMP/NAME.times
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$PMP_TMP/time.out" "$@"
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$PMP_TMP/time.out" >> "$PMP_TMP/$name.times"
}

rm -f "$PMP_TMP"/*.times "$PMP_TMP"/*.sha
for i in $(seq "$RUNS"); do
  timed base "$BASE" "$POSTS" > /dev/null
  timed default "$PMP" stackexchange -q --tmp "$PMP_TMP" "$POSTS" > "$PMP_TMP/out.jsonl"
  sha256sum < "$PMP_TMP/out.jsonl" | cut -d' ' -f1 >> "$PMP_TMP/default.sha"
  timed mem64 "$PMP" stackexchange -q --json --mem 64M --tmp "$PMP_TMP" "$POSTS" \
    > "$PMP_TMP/out.jsonl" 2> "$PMP_TMP/mem64.stats"
  sha256sum < "$PMP_TMP/out.jsonl" | cut -d' ' -f1 >> "$PMP_TMP/mem64.sha"
done
rm -f "$PMP_TMP/out.jsonl"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { awk -v c="$2" '{print $c}' "$PMP_TMP/$1.times" | median; }

echo "input: $POSTS ($SIZE bytes), $RUNS runs each, medians"
printf "%-38s %9s %9s %9s %9s %10s\n" "" "wall s" "cpu s" "MB/s wall" "MB/s cpu" "peak RSS"
for n in base default mem64; do
  case $n in
    base) label="libxml2 SAX2 parse (peer)";;
    default) label="pmp-extract stackexchange";;
    mem64) label="pmp-extract stackexchange --mem 64M";;
  esac
  w=$(col $n 1); c=$(col $n 2); r=$(col $n 3)
  awk -v l="$label" -v w="$w" -v c="$c" -v r="$r" -v s="$SIZE" \
    'BEGIN {printf "%-38s %9.2f %9.2f %9.1f %9.1f %7.0f MB\n", l, w, c, s / 1e6 / w, s / 1e6 / c, r / 1024}'
done
for n in default mem64; do
  awk -v n="$n" -v bw="$(col base 1)" -v bc="$(col base 2)" -v w="$(col $n 1)" -v c="$(col $n 2)" \
    'BEGIN {printf "ratio %s / SAX2 parse: %.2fx (wall), %.2fx (cpu)  [target >= 0.3x]\n", n, bw / w, bc / c}'
done
echo "runs spilled with --mem 64M: $(grep -o '"runs":[0-9]*' "$PMP_TMP/mem64.stats" | cut -d: -f2)"
if [ "$(sort -u "$PMP_TMP/default.sha" "$PMP_TMP/mem64.sha" | wc -l)" -eq 1 ]; then
  echo "output identical across runs and --mem values: $(head -1 "$PMP_TMP/default.sha")"
else
  echo "FAIL: output differs across --mem values"; exit 1
fi
