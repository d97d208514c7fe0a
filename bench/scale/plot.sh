#!/bin/sh
# Renders scale.tsv (bench/scale/run.sh) as a PNG: CPU seconds and peak RSS against
# input size, one line per source and stage.   usage: plot.sh scale.tsv out.png
set -eu
TSV=$1; OUT=$2; D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
for s in reddit stackexchange wikipedia; do for st in extract tokenize; do
    awk -F'\t' -v s=$s -v st=$st 'NR > 1 && $1 == s && $3 == st { print $4 / 1e6, $5, $7 }' "$TSV" > "$D/$s-$st.dat"
done; done
plots_cpu=""; plots_rss=""
for f in "$D"/*.dat; do
    [ -s "$f" ] || continue
    n=$(basename "$f" .dat)
    plots_cpu="$plots_cpu${plots_cpu:+, }'$f' using 1:2 with linespoints title '$n'"
    plots_rss="$plots_rss${plots_rss:+, }'$f' using 1:3 with linespoints title '$n'"
done
gnuplot <<GP
set terminal pngcairo size 1200,500
set output '$OUT'
set multiplot layout 1,2
set logscale xy
set grid
set key top left
set xlabel 'stage input (MB, uncompressed)'
set ylabel 'CPU seconds (user + sys)'
set title 'time'
plot $plots_cpu
unset logscale y
set logscale x
set yrange [0:*]
set ylabel 'peak RSS (MB)'
set title 'memory (extract --mem 64M)'
plot $plots_rss
unset multiplot
GP
