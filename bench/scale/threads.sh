#!/bin/bash
# How pmp-tokenize's CPU time splits across its threads, from /proc/PID/task/*/stat
# sampled every 0.2 s (utime + stime). CPU time per thread does not depend on what
# else the machine runs, so unlike cores-busy = CPU / wall it can be read on a shared
# machine: the main thread's excess over the OpenMP worker is the serial part, the
# writer threads (one per batch) run beside the next batch's encoding.
# usage: threads.sh GROUPS.jsonl TOKENIZER [THREADS]   (writes shards to a temp dir)
set -euo pipefail
G=$1; TOK=$2; J=${3:-2}
B=${PMP_BIN:-$(dirname "$0")/../../build/bin}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
"$B/pmp-tokenize" -q --force -j "$J" -t "$TOK" -o "$out/shards" "$G" &
pid=$!
declare -A ticks
while kill -0 $pid 2>/dev/null; do
    for t in /proc/$pid/task/*; do
        read -r -a f < "$t/stat" 2>/dev/null || continue
        ticks[${t##*/}]=$(( ${f[13]} + ${f[14]} ))
    done
    sleep 0.2
done
wait $pid
hz=$(getconf CLK_TCK)
for tid in "${!ticks[@]}"; do echo "$tid ${ticks[$tid]}"; done | sort -n | awk -v hz="$hz" -v j="$J" '
    NR == 1 { main = $2 / hz; next }
    NR <= j { omp += $2 / hz; nomp++; next }
    { writer += $2 / hz; nw++ }
    END {
        printf "main thread %.2f s, %d OpenMP worker(s) %.2f s, %d writer threads %.2f s in all\n", main, nomp, omp, nw, writer
        serial = main - (nomp ? omp / nomp : 0)
        total = main + omp + writer
        crit = main; if (writer > crit) crit = writer
        printf "serial on the main thread ~%.2f s of %.2f s CPU; ideal wall on %d idle cores ~%.2f s (%.2f cores busy)\n", serial, total, j, crit, total / crit
    }'
