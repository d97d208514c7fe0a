#!/bin/bash
# Cost growth with input size (issue 30): generated inputs with the statistics of the
# real samples (gen.py), extract -> tokenize at growing multiples of a base size;
# per stage: input bytes, CPU seconds (user + sys), wall, peak RSS, spill (bytes the
# group-by wrote / most held on disk at once), output size; and how many cores
# pmp-tokenize kept busy ((user + sys) / wall) against the threads it reports.
#
#   SCALE_BASE_MB   size of the 1x input per source, MB of uncompressed text (100)
#   SCALE_FACTORS   multiples to run ("1 4")
#   SCALE_FULL=1    the full run: SCALE_BASE_MB=1300, SCALE_FACTORS="1 4 16" (16x =
#                   ~21 GB per source; needs ~60 GB of disk and hours; one source's files
#                   at a time, deleted after)
#   SCALE_SOURCES   "reddit stackexchange wikipedia"
#   SCALE_MEM       --mem for the extractors (64M)
# Prints a markdown table; the TSV is kept in $PMP_TMP/../scale.tsv.
set -euo pipefail
B="$PMP_BIN"; D="$PMP_SHARED"; T="$PMP_TMP"; G="$PMP_SRC/bench/scale/gen.py"
[ -d "$D/reddit" ] || { echo "skip: no shared data"; exit 77; }
command -v zstd >/dev/null || { echo "skip: no zstd"; exit 77; }
if [ "${SCALE_FULL:-0}" = 1 ]; then BASE=1300; FACTORS="1 4 16"; else
    BASE=${SCALE_BASE_MB:-100}; FACTORS=${SCALE_FACTORS:-1 4}; fi
SOURCES=${SCALE_SOURCES:-reddit stackexchange wikipedia}
MEM=${SCALE_MEM:-64M}
rm -rf "$T"; mkdir -p "$T"; cd "$T"
TSV="$T/../scale.tsv"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(nproc) cores; flags: $(grep -m1 -o -w 'avx2\|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' '); load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$G" fit "$D" stats.json
"$B/pmp-bpe" convert -q -t "$D/bpe/gpt2" -o gpt2.json
printf 'source\tx\tstage\tinput_bytes\tcpu_s\twall_s\tpeak_rss_mb\tspill_bytes\tspill_peak_bytes\toutput_bytes\tthreads\n' > "$TSV"

measure() {   # label: runs "$@" under /usr/bin/time; sets cpu wall rss
    /usr/bin/time -f "%e %U %S %M" -o time.txt "$@"
    read -r wall u s rss < time.txt
    cpu=$(echo "$u + $s" | bc); rss=$((rss / 1024))
}
jnum() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2" | head -1; }

for src in $SOURCES; do
    for x in $FACTORS; do
        mb=$((BASE * x))
        rm -rf in out spill; mkdir -p in spill
        /usr/bin/python3 "$G" "$src" stats.json in "$mb" 1
        case $src in
        reddit)
            # a real month: zstd with the 2 GiB window pushshift uses
            zstd -q -3 -T2 --long=31 --rm in/RC_gen.ndjson -o in/RC_gen.zst
            zstd -q -3 -T2 --long=31 --rm in/RS_gen.ndjson -o in/RS_gen.zst
            inb=$(zstd -q -dc --long=31 in/RC_gen.zst | wc -c)
            ex=("$B/pmp-extract" reddit --json --mem "$MEM" --tmp spill in/RS_gen.zst in/RC_gen.zst) ;;
        stackexchange)
            inb=$(stat -c %s in/Posts.xml)
            ex=("$B/pmp-extract" stackexchange --json --mem "$MEM" --tmp spill in/Posts.xml) ;;
        wikipedia)
            zstd -q -3 -T2 --rm in/history.xml -o in/history.xml.zst
            inb=$(zstd -q -dc in/history.xml.zst | wc -c)
            ex=("$B/pmp-extract" wikipedia --json in/history.xml.zst) ;;
        esac
        measure sh -c '"$@" > groups.jsonl 2> ex.json' sh "${ex[@]}"
        sb=$(jnum spill_bytes ex.json); sp=$(jnum spill_peak_bytes ex.json)
        printf '%s\t%s\textract\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t1\n' "$src" "$x" "$inb" "$cpu" "$wall" "$rss" \
            "${sb:-0}" "${sp:-0}" "$(stat -c %s groups.jsonl)" >> "$TSV"
        gb=$(stat -c %s groups.jsonl)
        rm -rf in
        measure "$B/pmp-tokenize" -q --json -t gpt2.json -o out groups.jsonl 2> tok.json
        thr=$(jnum threads tok.json)
        printf '%s\t%s\ttokenize\t%s\t%s\t%s\t%s\t0\t0\t%s\t%s\n' "$src" "$x" "$gb" "$cpu" "$wall" "$rss" \
            "$(du -sb out | cut -f1)" "${thr:-?}" >> "$TSV"
        rm -rf out groups.jsonl spill
    done
done
/usr/bin/python3 - "$TSV" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("| source | x | stage | input MB | CPU s | wall s | MB per CPU-s | peak RSS MB | spill MB (peak) | output MB | cores busy / threads |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    mb, cpu, wall = int(r["input_bytes"]) / 1e6, float(r["cpu_s"]), float(r["wall_s"])
    sp = "%.0f (%.0f)" % (int(float(r["spill_bytes"])) / 1e6, int(float(r["spill_peak_bytes"])) / 1e6) if r["stage"] == "extract" and r["source"] != "wikipedia" else "-"
    busy = "%.2f / %s" % (cpu / wall, r["threads"]) if wall > 0 else "-"
    print(f"| {r['source']} | {r['x']} | {r['stage']} | {mb:.0f} | {cpu:.1f} | {wall:.1f} | {mb / cpu:.1f} | {r['peak_rss_mb']} | {sp} | {int(r['output_bytes']) / 1e6:.1f} | {busy} |")
PYEOF
