#!/bin/sh
# The whole `pmp-extract reddit` on >= 1 GB of NDJSON (the shared months replicated
# with shifted ids, replicate.py), 1 thread: MB/s of uncompressed NDJSON from a plain
# file and from a --long=31 .zst, next to `zstd -dc --long=31` alone on the same
# .zst (the floor any extractor reading it pays), and peak RSS with --mem 64M.
# Medians of REPS runs (default 3), peers interleaved in the same run. The machine
# is shared, so besides wall time the CPU time (user+sys) of each run is reported:
# MB/s per CPU-second is what one thread sustains when it has a core to itself.
set -eu
MB=${1:-1100}
REPS=${2:-3}
[ -f "$PMP_SHARED/reddit/RC_2005-12.zst" ] || { echo "no shared data: skip"; exit 77; }
X="$PMP_BIN/pmp-extract"
T="$PMP_TMP"; mkdir -p "$T"
BIG="$T/RC_big.ndjson"
if [ ! -s "$BIG" ] || [ "$(stat -c %s "$BIG")" -lt $((MB * 1000000)) ]; then
    zstd -q -dc --long=31 "$PMP_SHARED/reddit/RC_2005-12.zst" > "$T/a.ndjson"
    zstd -q -dc --long=31 "$PMP_SHARED/reddit/RC_2006-01.zst" > "$T/b.ndjson"
    /usr/bin/python3 "$PMP_SRC/bench/reddit/replicate.py" "$MB" "$T/a.ndjson" "$T/b.ndjson" > "$BIG"
    rm -f "$BIG.zst"
fi
[ -s "$BIG.zst" ] || zstd -q -T2 -3 --long=31 "$BIG" -o "$BIG.zst"
SIZE=$(stat -c %s "$BIG")
echo "input: $BIG, $(awk "BEGIN{printf \"%.1f\", $SIZE/1e6}") MB NDJSON, $(wc -l < "$BIG") lines; .zst $(stat -c %s "$BIG.zst") bytes"

# run NAME CMD... : "wall_s rss_kib cpu_s" of one run, appended to $T/NAME.times
run() {
    name=$1; shift
    /usr/bin/time -f "%e %M %U %S" -o "$T/time.out" "$@" > /dev/null 2> "$T/$name.err" ||
        { echo "FAIL: $name"; cat "$T/$name.err"; exit 1; }
    awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$T/time.out" >> "$T/$name.times"
}
rm -f "$T"/*.times
for r in $(seq "$REPS"); do
    run zstd_dc sh -c "zstd -q -dc --long=31 '$BIG.zst'"
    run extract_plain "$X" reddit -q --tmp "$T" "$BIG"
    run extract_zst "$X" reddit -q --tmp "$T" "$BIG.zst"
    run extract_mem64 "$X" reddit -q --json --mem 64M --tmp "$T" "$BIG.zst"
    run plain_mem64 "$X" reddit -q --json --mem 64M --tmp "$T" "$BIG"
done
median() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
z=$(cut -d' ' -f1 "$T/zstd_dc.times" | median)
zc=$(cut -d' ' -f3 "$T/zstd_dc.times" | median)
printf "%-16s %8s %8s %8s %9s %9s %10s %10s\n" "median of $REPS" "wall s" "MB/s" "cpu s" "MB/cpu-s" "RSS MB" "wall/zstd" "cpu/zstd"
for n in zstd_dc extract_plain extract_zst extract_mem64 plain_mem64; do
    s=$(cut -d' ' -f1 "$T/$n.times" | median)
    c=$(cut -d' ' -f3 "$T/$n.times" | median)
    rss=$(cut -d' ' -f2 "$T/$n.times" | sort -n | tail -1)
    awk -v n="$n" -v s="$s" -v c="$c" -v rss="$rss" -v size="$SIZE" -v z="$z" -v zc="$zc" \
        'BEGIN{printf "%-16s %8.2f %8.1f %8.2f %9.1f %9.1f %10.2f %10.2f\n", n, s, size/1e6/s, c, size/1e6/c, rss/1024, s/z, c/zc}'
done
echo "(zstd_dc, extract_zst, extract_mem64 read the .zst; extract_plain, plain_mem64 the NDJSON."
echo " Decoding a --long=31 .zst holds the window in memory, here the whole $SIZE-byte content:"
echo " that is the RSS of zstd -dc itself; plain_mem64 shows what --mem 64M bounds.)"
echo "extract_mem64 stats: $(tail -1 "$T/extract_mem64.err")"
echo "plain_mem64 stats: $(tail -1 "$T/plain_mem64.err")"
a=$("$X" reddit -q --mem 64M --tmp "$T" "$BIG" | md5sum)
b=$("$X" reddit -q --mem 4G --tmp "$T" "$BIG" | md5sum)
[ "$a" = "$b" ] || { echo "FAIL: --mem 64M and --mem 4G outputs differ"; exit 1; }
echo "--mem 64M (spilling) and --mem 4G outputs identical: $a"
