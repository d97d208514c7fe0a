#!/bin/bash
# Cost growth with input size (issue 30): generated inputs with the statistics of the
# real samples (gen.py), extract -> dedup -> tokenize at growing multiples of a base size;
# per stage: input bytes, CPU seconds (user + sys), wall, peak RSS, spill (bytes the
# group-by wrote / most held on disk at once), output size, threads, and the machine's
# 1-minute load average when the stage ended.
#
#   SCALE_BASE_MB   size of the 1x input per source, MB of uncompressed text (100)
#   SCALE_FACTORS   multiples to run ("1 4")
#   SCALE_SIZES_MB  the sizes to run, MB (instead of base x factors); the table's
#                   second column is then the size, not the factor
#   SCALE_FULL=1    the full run: SCALE_SIZES_MB="50 200 1300 15000" (Reddit: MB of
#                   comments, plus ~40 % of submissions; StackExchange: MB of
#                   Posts.xml, plus ~45 % of Votes.xml; so ~21 GB at the largest);
#                   Wikipedia "50 200 1300"; one source's files at a time, deleted as
#                   soon as they are read
#   SCALE_SOURCES   "reddit stackexchange wikipedia"
#   SCALE_MEM       --mem for the extractors and pmp-dedup (64M)
#   SCALE_TMP_COMPRESS=1  pass --tmp-compress (zstd spill runs) to the extractors
#   SCALE_STAGES    the stages after extract ("dedup tokenize"; "dedup" alone skips
#                   tokenizing, "tokenize" alone pipes extract into tokenize as before)
#   SCALE_PIPE=1    pipe the stages instead of going through files (the
#                   groups never touch the disk; each program is still measured alone)
#   SCALE_TSV       the table (default $PMP_TMP/../scale.tsv)
#   SCALE_RESUME=1  keep SCALE_TSV and skip the (source, size) rows already in it, so
#                   a killed run goes on where it was by running it again (without it
#                   the table starts afresh)
# Inputs never exist uncompressed on disk: the generator writes into FIFOs read by
# zstd; StackExchange's Posts.xml reaches pmp-extract through `zstd -dc |` (its CPU
# time is pmp-extract's alone, as for a plain file), a Reddit month is read as the
# .zst it is published as (decoding included), with Votes.xml.zst read by pmp-extract.
# Prints a markdown table.
set -euo pipefail
B="$PMP_BIN"; D="$PMP_SHARED"; T="$PMP_TMP"; G="$PMP_SRC/bench/scale/gen.py"
[ -d "$D/reddit" ] || { echo "skip: no shared data"; exit 77; }
command -v zstd >/dev/null || { echo "skip: no zstd"; exit 77; }
/usr/bin/python3 -c 'import numpy' 2>/dev/null || { echo "skip: no python3-numpy"; exit 77; }
BASE=${SCALE_BASE_MB:-100}; FACTORS=${SCALE_FACTORS:-1 4}
SIZES=${SCALE_SIZES_MB:-}
[ "${SCALE_FULL:-0}" = 1 ] && SIZES=${SCALE_SIZES_MB:-50 200 1300 15000}
SOURCES=${SCALE_SOURCES:-reddit stackexchange wikipedia}
MEM=${SCALE_MEM:-64M}
TMPZ=(); [ "${SCALE_TMP_COMPRESS:-0}" = 1 ] && TMPZ=(--tmp-compress)
STAGES=${SCALE_STAGES:-dedup tokenize}
has() { case " $STAGES " in *" $1 "*) return 0 ;; esac; return 1; }
LAST=extract; for st in $STAGES; do LAST=$st; done
mkdir -p "$T"; cd "$T"
TSV=${SCALE_TSV:-$T/../scale.tsv}
log() { echo "$(date -u +%H:%M:%S) $*" >&2; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(nproc) cores; flags: $(grep -m1 -o -w 'avx2\|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' '); load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ -s stats.json ] || /usr/bin/python3 "$G" fit "$D" stats.json
[ -s gpt2.json ] || "$B/pmp-bpe" convert -q -t "$D/bpe/gpt2" -o gpt2.json
[ "${SCALE_RESUME:-0}" = 1 ] || rm -f "$TSV"
[ -s "$TSV" ] || printf 'source\tx\tstage\tinput_bytes\tcpu_s\twall_s\tpeak_rss_mb\tspill_bytes\tspill_peak_bytes\toutput_bytes\tthreads\tload1\n' > "$TSV"

tsec() {   # time.txt of /usr/bin/time -f "%e %U %S %M": sets cpu wall rss
    read -r wall u s rss < "$1"
    cpu=$(echo "$u + $s" | bc); rss=$((rss / 1024))
}
jnum() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2" | head -1; }
load1() { cut -d' ' -f1 /proc/loadavg; }
TIME=(/usr/bin/time -f "%e %U %S %M")

for src in $SOURCES; do
    fs=${SIZES:-$FACTORS}
    [ "$src" = wikipedia ] && [ "${SCALE_FULL:-0}" = 1 ] && fs="50 200 1300"
    for x in $fs; do
        if awk -F'\t' -v s="$src" -v x="$x" '$1 == s && $2 == x && $3 == "tokenize" { f = 1 } END { exit !f }' "$TSV"; then
            log "$src ${x}x: in the table, skipped"; continue
        fi
        if [ -n "$SIZES" ]; then mb=$x; else mb=$((BASE * x)); fi
        rm -rf in out spill groups.jsonl dedup.jsonl; mkdir -p in spill
        log "$src ${x}x: generating $mb MB"
        case $src in
        reddit)
            # a real month: zstd with the 2 GiB window pushshift uses
            mkfifo in/RS_gen.ndjson in/RC_gen.ndjson
            zstd -q -3 -T1 --long=31 -f in/RS_gen.ndjson -o in/RS_gen.zst & z1=$!
            zstd -q -3 -T1 --long=31 -f in/RC_gen.ndjson -o in/RC_gen.zst & z2=$!
            "${TIME[@]}" -o gen.time /usr/bin/python3 "$G" reddit stats.json in "$mb" 1 > sizes.json
            wait $z1 $z2; rm -f in/*.ndjson
            inb=$(/usr/bin/python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' sizes.json)
            ex=("$B/pmp-extract" reddit --json --mem "$MEM" --tmp spill "${TMPZ[@]}" in/RS_gen.zst in/RC_gen.zst)
            src_in=() ;;
        stackexchange)
            mkfifo in/Posts.xml in/Votes.xml
            zstd -q -1 -T1 -f in/Posts.xml -o in/Posts.xml.zst & z1=$!
            zstd -q -1 -T1 -f in/Votes.xml -o in/Votes.xml.zst & z2=$!
            "${TIME[@]}" -o gen.time /usr/bin/python3 "$G" stackexchange stats.json in "$mb" 1 > sizes.json
            wait $z1 $z2; rm -f in/Posts.xml in/Votes.xml
            # input = Posts.xml + Votes.xml, both read by pmp-extract
            inb=$(/usr/bin/python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' sizes.json)
            ex=("$B/pmp-extract" stackexchange --json --mem "$MEM" --tmp spill "${TMPZ[@]}" --votes in/Votes.xml.zst -)
            src_in=(zstd -q -dc in/Posts.xml.zst) ;;
        wikipedia)
            mkfifo in/history.xml
            zstd -q -3 -T1 -f in/history.xml -o in/history.xml.zst & z1=$!
            "${TIME[@]}" -o gen.time /usr/bin/python3 "$G" wikipedia stats.json in "$mb" 1 > sizes.json
            wait $z1; rm -f in/history.xml
            inb=$(/usr/bin/python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' sizes.json)
            ex=("$B/pmp-extract" wikipedia --json in/history.xml.zst)
            src_in=() ;;
        esac
        tsec gen.time; log "$src ${x}x: generated $inb bytes ($(du -sb in | cut -f1) compressed) in $cpu CPU-s, $wall s; $rss MB"
        tok=("$B/pmp-tokenize" -q --json -t gpt2.json -o out)
        dd=("$B/pmp-dedup" -q --json --mem "$MEM" --tmp spill)
        feed() { if [ ${#src_in[@]} -gt 0 ]; then "${src_in[@]}"; else cat /dev/null; fi; }
        rows=()
        if [ "${SCALE_PIPE:-0}" = 1 ]; then
            log "$src ${x}x: extract | $STAGES"
            if has dedup && has tokenize; then
                feed | "${TIME[@]}" -o ex.time "${ex[@]}" 2> ex.json | tee >(wc -c > groups.bytes) \
                    | "${TIME[@]}" -o dd.time "${dd[@]}" - 2> dd.json | tee >(wc -c > dedup.bytes) \
                    | "${TIME[@]}" -o tok.time "${tok[@]}" - 2> tok.json
            elif has dedup; then
                feed | "${TIME[@]}" -o ex.time "${ex[@]}" 2> ex.json | tee >(wc -c > groups.bytes) \
                    | "${TIME[@]}" -o dd.time "${dd[@]}" - 2> dd.json | wc -c > dedup.bytes
            else
                feed | "${TIME[@]}" -o ex.time "${ex[@]}" 2> ex.json | tee >(wc -c > groups.bytes) \
                    | "${TIME[@]}" -o tok.time "${tok[@]}" - 2> tok.json
            fi
            sleep 1; gb=$(cat groups.bytes); db=$(cat dedup.bytes 2> /dev/null || echo 0)
            ex_load=$(load1); dd_load=$ex_load
            tok_in=$gb; has dedup && tok_in=$db
        else
            log "$src ${x}x: extract"
            feed | "${TIME[@]}" -o ex.time "${ex[@]}" > groups.jsonl 2> ex.json
            ex_load=$(load1)
            gb=$(stat -c %s groups.jsonl)
            rm -rf in
            tok_file=groups.jsonl; tok_in=$gb
            if has dedup; then
                log "$src ${x}x: dedup $gb bytes of groups"
                "${TIME[@]}" -o dd.time "${dd[@]}" groups.jsonl > dedup.jsonl 2> dd.json
                dd_load=$(load1)
                db=$(stat -c %s dedup.jsonl)
                rm -f groups.jsonl
                tok_file=dedup.jsonl; tok_in=$db
            fi
            if has tokenize; then
                log "$src ${x}x: tokenize $tok_in bytes of groups"
                "${TIME[@]}" -o tok.time "${tok[@]}" "$tok_file" 2> tok.json
            fi
        fi
        tsec ex.time
        sb=$(jnum spill_bytes ex.json); sp=$(jnum spill_peak_bytes ex.json)
        rows+=("$(printf '%s\t%s\textract\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t1\t%s' "$src" "$x" "$inb" "$cpu" "$wall" "$rss" \
            "${sb:-0}" "${sp:-0}" "$gb" "$ex_load")")
        if has dedup; then
            tsec dd.time
            sb=$(jnum spill_bytes dd.json); sp=$(jnum spill_peak_bytes dd.json); thr=$(jnum threads dd.json)
            rows+=("$(printf '%s\t%s\tdedup\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$src" "$x" "$gb" "$cpu" "$wall" "$rss" \
                "${sb:-0}" "${sp:-0}" "$db" "${thr:-?}" "$dd_load")")
        fi
        if has tokenize; then
            tsec tok.time
            thr=$(jnum threads tok.json)
            rows+=("$(printf '%s\t%s\ttokenize\t%s\t%s\t%s\t%s\t0\t0\t%s\t%s\t%s' "$src" "$x" "$tok_in" "$cpu" "$wall" "$rss" \
                "$(du -sb out | cut -f1)" "${thr:-?}" "$(load1)")")
        fi
        printf '%s\n' "${rows[@]}" >> "$TSV"
        printf '%s\n' "${rows[@]}" >&2
        log "$src ${x}x: done"
        rm -rf in out groups.jsonl dedup.jsonl spill
    done
done
/usr/bin/python3 - "$TSV" "$MEM" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
# The memory bounds docs/scaling.md states, checked on every row: extract within --mem
# + 100 MB (+ the 2 GiB zstd window for a Reddit month), pmp-tokenize within 300 MB
# (two batches of at most 4,096 groups or 32 MB of lines, ~230 MB measured), pmp-dedup
# within --mem + 100 MB (batches of 2,048 groups or 32 MB of lines, the bitmaps of the
# external mode: 2 bits per group).
m = sys.argv[2]
mem = float(m[:-1]) * {"K": 1 / 1024, "M": 1, "G": 1024}[m[-1].upper()] if m[-1].isalpha() else float(m) / 2 ** 20
bad = []
for r in rows:
    rss = int(r["peak_rss_mb"])
    lim = 300 if r["stage"] == "tokenize" else mem + 100 if r["stage"] == "dedup" else \
        mem + 100 + (2048 if r["source"] == "reddit" else 0)
    if rss > lim:
        bad.append("%s %s %s: peak RSS %d MB over the bound %d MB" % (r["source"], r["x"], r["stage"], rss, lim))
print("| source | x | stage | input MB | CPU s | wall s | MB per CPU-s | peak RSS MB | spill MB (peak) | output MB | cores busy / threads | load |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    mb, cpu, wall = int(r["input_bytes"]) / 1e6, float(r["cpu_s"]), float(r["wall_s"])
    sp = "%.0f (%.0f)" % (int(float(r["spill_bytes"])) / 1e6, int(float(r["spill_peak_bytes"])) / 1e6) if r["stage"] in ("extract", "dedup") and int(float(r["spill_bytes"])) > 0 else "-"
    busy = "%.2f / %s" % (cpu / wall, r["threads"]) if wall > 0 else "-"
    print(f"| {r['source']} | {r['x']} | {r['stage']} | {mb:.0f} | {cpu:.1f} | {wall:.1f} | {mb / cpu:.1f} | {r['peak_rss_mb']} | {sp} | {int(r['output_bytes']) / 1e6:.1f} | {busy} | {r.get('load1') or '-'} |")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PYEOF
