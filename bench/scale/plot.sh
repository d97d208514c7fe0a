#!/bin/sh
# Renders scale.tsv (bench/scale/run.sh) as a PNG (and an SVG beside it): CPU seconds,
# throughput (MB of stage input per CPU-second: flat when time is linear) and peak RSS
# against input size, one line per source and stage.   usage: plot.sh scale.tsv out.png
set -eu
TSV=$1; OUT=$2; D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
for s in reddit stackexchange wikipedia; do for st in extract dedup tokenize; do
    awk -F'\t' -v s=$s -v st=$st 'NR > 1 && $1 == s && $3 == st { print $4 / 1e6, $5, $7, $4 / 1e6 / $5 }' "$TSV" \
        | sort -g > "$D/$s-$st.dat"
done; done
plots_cpu=""; plots_rate=""; plots_rss=""
for f in "$D"/*.dat; do
    [ -s "$f" ] || continue
    n=$(basename "$f" .dat)
    plots_cpu="$plots_cpu${plots_cpu:+, }'$f' using 1:2 with linespoints title '$n'"
    plots_rate="$plots_rate${plots_rate:+, }'$f' using 1:4 with linespoints title '$n'"
    plots_rss="$plots_rss${plots_rss:+, }'$f' using 1:3 with linespoints title '$n'"
done
for term in "pngcairo size 1650,520" "svg size 1650,520"; do
case $term in png*) out=$OUT ;; *) out=${OUT%.png}.svg ;; esac
gnuplot <<GP
set terminal $term
set output '$out'
set multiplot layout 1,3
set logscale xy
set grid
set key top left
set xlabel 'stage input (MB, uncompressed)'
set ylabel 'CPU seconds (user + sys)'
set title 'time'
plot $plots_cpu
unset key   # the same lines in every panel: one legend
set logscale y
set ylabel 'MB of stage input per CPU-second'
set title 'throughput (flat = linear time)'
plot $plots_rate
set ylabel 'peak RSS (MB)'
set title 'peak memory (extract and dedup --mem 64M)'
plot $plots_rss
unset multiplot
GP
done
