#!/bin/sh
# Reader throughput against the reference decoders on the same file, same run:
# zstd (the 1.05 GB Anarchism history, window 2^27), bzip2 and gzip (its first
# 128 MB recompressed). Prints MB/s of decoded output (median of 5) and ratios.
set -eu
SRC="$PMP_SHARED/wikipedia/enwiki-Anarchism-history-2010.xml.zst"
[ -f "$SRC" ] || { echo "skip: $SRC absent"; exit 77; }
T="$PMP_TMP"; mkdir -p "$T"
CAT="$PMP_BIN/bench_input_cat"
[ -f "$T/part.bz2" ] || {
  zstd -dc --long=31 "$SRC" | head -c 134217728 > "$T/part.xml"
  bzip2 -c "$T/part.xml" > "$T/part.bz2"
  gzip -c "$T/part.xml" > "$T/part.gz"
  rm -f "$T/part.xml"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { /usr/bin/env time -f %e sh -c "$1 > /dev/null" 2>&1 | tail -1; }
run() {  # name file ref_cmd decoded_bytes
  name=$1 file=$2 ref=$3 bytes=$4
  ours=""; theirs=""
  for i in 1 2 3 4 5; do
    ours="$ours $(secs "$CAT '$file'")"
    theirs="$theirs $(secs "$ref '$file'")"
  done
  o=$(echo $ours | tr ' ' '\n' | median); t=$(echo $theirs | tr ' ' '\n' | median)
  awk -v n="$name" -v b="$bytes" -v o="$o" -v t="$t" -v r="$ref" 'BEGIN {
    printf "%-6s pmp_input %7.1f MB/s   %-22s %7.1f MB/s   ratio %.2fx (target >= 0.9x)\n",
      n, b/o/1e6, r, b/t/1e6, t/o }'
}
run zstd  "$SRC"         "zstd -dc --long=31" 1053084470
run bzip2 "$T/part.bz2"  "bzip2 -dc"          134217728
run gzip  "$T/part.gz"   "gzip -dc"           134217728
