#!/bin/sh
# pmp-dedup vs pmp-tokenize on the same groups, in one run: every source of
# ../shared/data extracted once (StackExchange, Reddit, Wikipedia incl. the Anarchism
# history, hh-rlhf test), then, alternating REPS times (default 3):
#   dedup        pmp-dedup with its defaults (exact + near at 0.8) and
#                --against the hh-rlhf test file (the README's whole run)
#   dedup-exact  pmp-dedup --no-near --against ... (exact + decontamination)
#   tokenize     pmp-tokenize -t gpt2 (the next stage of the pipe)
# each with -j THREADS (default 1, then 2). Prints medians of wall and CPU time, MB/s of
# text (context + responses), the ratio dedup/tokenize throughput (target >= 1: the
# dedup stage is not the pipe's bottleneck), peak RSS and the CPU's flags.
set -eu
X="$PMP_BIN/pmp-extract"; D="$PMP_BIN/pmp-dedup"; K="$PMP_BIN/pmp-tokenize"
S="$PMP_SHARED"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
REPS=${REPS:-3}
[ -d "$S/stackexchange" ] && [ -d "$S/bpe/gpt2" ] || { echo "no shared data: skip"; exit 77; }
EVAL="$S/hhh/hh-rlhf-harmless-base-test.jsonl.gz"
"$X" stackexchange -q "$S"/stackexchange/*-Posts.xml > "$T/groups.jsonl"
"$X" reddit -q "$S"/reddit/RC_*.zst >> "$T/groups.jsonl"
"$X" wikipedia -q "$S"/wikipedia/*.xml* >> "$T/groups.jsonl"
"$X" hh -q "$EVAL" >> "$T/groups.jsonl"
TEXT=$("$D" --json --no-near "$T/groups.jsonl" 2>&1 >/dev/null | sed 's/.*"text_bytes":\([0-9]*\).*/\1/')
MB=$(awk -v b="$TEXT" 'BEGIN{printf "%.2f", b/1e6}')
echo "input: $(wc -l < "$T/groups.jsonl") groups, $MB MB of text ($(wc -c < "$T/groups.jsonl") bytes of JSONL); $REPS runs each, alternating"

run() {   # NAME CMD...: appends "wall_s cpu_s rss_kb"
    name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" > /dev/null 2> "$T/err" || { cat "$T/err"; exit 1; }
    awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$T/time" >> "$T/$name"
}
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { cut -d' ' -f"$2" "$T/$1"; }

for j in 1 2; do
    i=0
    while [ $i -lt "$REPS" ]; do
        run "dedup_$j" "$D" -q -j $j --against "$EVAL" "$T/groups.jsonl"
        run "exact_$j" "$D" -q -j $j --no-near --against "$EVAL" "$T/groups.jsonl"
        run "tok_$j" "$K" -q -j $j -t "$S/bpe/gpt2" -o "$T/shards" --force "$T/groups.jsonl"
        i=$((i + 1))
    done
done
# The machine is shared: wall time includes waiting for a core; CPU time (user + sys)
# is the work done. Ratios are tokenize time / dedup time (dedup's relative speed).
printf '%-3s %-36s %8s %8s %8s %9s %8s\n' j program wall_s MB/s cpu_s MB/cpu_s rss_MB
for j in 1 2; do
    for p in dedup exact tok; do
        w=$(col "${p}_$j" 1 | median); c=$(col "${p}_$j" 2 | median); r=$(col "${p}_$j" 3 | sort -n | tail -1)
        case $p in dedup) name="pmp-dedup --against hh-test";; exact) name="pmp-dedup --no-near --against";;
                   tok) name="pmp-tokenize -t gpt2";; esac
        printf '%-3s %-36s %8.2f %8.1f %8.2f %9.1f %8.1f\n' $j "$name" "$w" "$(echo "$MB / $w" | bc -l)" "$c" \
            "$(echo "$MB / $c" | bc -l)" "$(echo "$r / 1024" | bc -l)"
        eval "w_$p=$w; c_$p=$c"
    done
    # the spread: each run's CPU ratio against the tokenize run of the same round
    range=$(paste -d' ' "$T/tok_$j" "$T/dedup_$j" | awk '{r = $2 / $5; if (NR == 1 || r < lo) lo = r;
        if (NR == 1 || r > hi) hi = r} END {printf "%.2f-%.2f", lo, hi}')
    printf '%-3s ratio dedup/tokenize throughput: wall %.2f, cpu %.2f (runs %s) (target >= 1)\n' $j \
        "$(echo "$w_tok / $w_dedup" | bc -l)" "$(echo "$c_tok / $c_dedup" | bc -l)" "$range"
done
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
     "flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(sse4_2|avx|avx2|avx512f|avx512dq|avx512bw|bmi2)$' | tr '\n' ' ')"
uptime
