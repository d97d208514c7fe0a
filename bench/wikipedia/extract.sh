#!/bin/sh
# pmp-extract wikipedia vs a bare libxml2 SAX2 parse (bench_sax_baseline) on the
# Anarchism history (1.05 GB of XML, 15,180 revisions), 1 thread each, both fed
# through pmp_input in 256 KiB chunks, in two setups:
#   zst:   both decompress the shared .zst themselves
#   plain: both read a pre-decompressed copy in $PMP_TMP (parse cost only)
# Runs alternate (ours, peer) REPS times; prints medians, MB/s of XML, the
# throughput ratio ours/peer (target >= 0.5) and peak RSS (target < 200 MB).
# REPS (default 3) sets the number of runs.
set -eu
X="$PMP_BIN/pmp-extract"
SAX="$PMP_BIN/bench_sax_baseline"
F="$PMP_SHARED/wikipedia/enwiki-Anarchism-history-2010.xml.zst"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
REPS=${REPS:-3}
[ -f "$F" ] || { echo "no shared data: skip"; exit 77; }
zstd -q -dc --long=27 "$F" > "$T/anarchism.xml"
MB=$(awk -v b="$(wc -c < "$T/anarchism.xml")" 'BEGIN{printf "%.2f", b/1e6}')
echo "input: $MB MB of XML; $REPS runs each, alternating"

# run NAME CMD...: appends "wall_s cpu_s rss_kb" to $T/NAME
run() {
    name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" > /dev/null 2> "$T/err" || { cat "$T/err"; exit 1; }
    awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$T/time" >> "$T/$name"
}
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { cut -d' ' -f"$2" "$T/$1"; }

for setup in zst plain; do
    in=$F; [ $setup = plain ] && in="$T/anarchism.xml"
    i=0
    while [ $i -lt "$REPS" ]; do
        run "ours_$setup" "$X" wikipedia -q "$in"
        run "sax_$setup" "$SAX" "$in"
        i=$((i + 1))
    done
done
for i in $(seq "$REPS"); do run decode_zst "$SAX" --decode-only "$F"; done

# The machine is shared: wall time includes waiting for a core, CPU time (user +
# sys) is the work done. Both are reported; ratios are peer/ours time, i.e. our
# throughput as a fraction of the bare parse's.
printf '%-6s %-22s %8s %8s %8s %8s %8s\n' setup program wall_s MB/s cpu_s MB/cpu_s rss_MB
for setup in zst plain; do
    for p in ours sax; do
        w=$(col "${p}_$setup" 1 | median); c=$(col "${p}_$setup" 2 | median)
        r=$(col "${p}_$setup" 3 | sort -n | tail -1)
        name="pmp-extract wikipedia"; [ $p = sax ] && name="libxml2 SAX2 (bare)"
        printf '%-6s %-22s %8.2f %8.1f %8.2f %8.1f %8.1f\n' $setup "$name" "$w" \
            "$(echo "$MB / $w" | bc -l)" "$c" "$(echo "$MB / $c" | bc -l)" "$(echo "$r / 1024" | bc -l)"
        eval "w_${p}_$setup=$w; c_${p}_$setup=$c; rss_${p}_$setup=$r"
    done
    eval "rw=\$(echo \"\$w_sax_$setup / \$w_ours_$setup\" | bc -l); rc=\$(echo \"\$c_sax_$setup / \$c_ours_$setup\" | bc -l)"
    printf '%-6s ratio ours/bare-parse throughput: wall %.2f, cpu %.2f (target >= 0.5)\n' $setup "$rw" "$rc"
done
d=$(col decode_zst 1 | median)
printf 'zst decode alone (pmp_input, no parse): %.2f s wall, %.1f MB/s\n' "$d" "$(echo "$MB / $d" | bc -l)"
uptime
# the memory target holds in both setups
[ "$rss_ours_zst" -lt 204800 ] && [ "$rss_ours_plain" -lt 204800 ] || { echo "FAIL: peak RSS over 200 MB"; exit 1; }
rm -f "$T/anarchism.xml"
