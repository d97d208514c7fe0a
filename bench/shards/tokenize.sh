#!/bin/bash
# pmp-extract hh | pmp-tokenize on the shared hh-rlhf file (replicated 8x):
# MB/s of group JSONL and pairs/s; pmp-tokenize vs pmp-bpe encode on exactly the
# same texts (contexts + responses as JSON string lines), same threads, same
# tokenizer (ratio of text throughput; target >= 0.9); peak RSS for 1x and 8x
# input (should not grow with the input). Medians of REPS runs, peers in the
# same run. Usage: tokenize.sh [REPS]
set -u
REPS=${1:-5}
BIN=$PMP_BIN
HH=$PMP_SHARED/hhh/hh-rlhf-harmless-base-test.jsonl.gz
GPT2=$PMP_SHARED/bpe/gpt2
PY=/usr/bin/python3
[ -f "$HH" ] && [ -d "$GPT2" ] || { echo "skip: no shared data"; exit 77; }
[ -x $PY ] || { echo "skip: no python3 (to write the texts for pmp-bpe)"; exit 77; }
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
"$BIN/pmp-extract" hh -q "$HH" > "$T/g1.jsonl"
for i in 1 2 3 4 5 6 7 8; do cat "$T/g1.jsonl"; done > "$T/g8.jsonl"
# 8 concatenated copies of the hh file, for the extract | tokenize pipe
for i in 1 2 3 4 5 6 7 8; do zcat "$HH"; done | gzip -1 > "$T/hh8.jsonl.gz"
$PY - "$T/g8.jsonl" "$T/texts8.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as o:
    for line in f:
        g = json.loads(line)
        for t in [g["context"]] + [r["text"] for r in g["responses"]]:
            o.write(json.dumps(t, ensure_ascii=False) + "\n")
PYEOF
JSONL_BYTES=$(stat -c %s "$T/g8.jsonl")
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
# timed OUT CMD...: appends "wall cpu" (cpu = user + sys) to OUT
timed() { local out=$1; shift; /usr/bin/time -f "%e %U %S" -o "$T/time" "$@" || exit 1
          awk '{ print $1, $2 + $3 }' "$T/time" >> "$out"; }
field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" "$2"; }

: > "$T/pipe"; : > "$T/tok"; : > "$T/enc"; : > "$T/tokj"
for ((r = 0; r < REPS; r++)); do
    # peer: pmp-bpe encode on the texts
    timed "$T/enc" sh -c "'$BIN/pmp-bpe' encode -q -t '$GPT2' --jsonl '$T/texts8.jsonl' > /dev/null"
    # pmp-tokenize on the groups holding the same texts
    rm -rf "$T/out"
    timed "$T/tok" "$BIN/pmp-tokenize" -q --json -t "$GPT2" -o "$T/out" "$T/g8.jsonl" 2> "$T/tok.json"
    field encode_seconds "$T/tok.json" >> "$T/tokj"
    # the pipe, from the compressed dump
    rm -rf "$T/out"
    timed "$T/pipe" sh -c "'$BIN/pmp-extract' hh -q '$T/hh8.jsonl.gz' | '$BIN/pmp-tokenize' -q -t '$GPT2' -o '$T/out' -"
done
PAIRS=$(sed -n 's/.*"pairs": \([0-9]*\),.*/\1/p' "$T/out/manifest.json" | head -n 1)
enc=$(cut -d' ' -f1 "$T/enc" | median); tok=$(cut -d' ' -f1 "$T/tok" | median)
pipe=$(cut -d' ' -f1 "$T/pipe" | median); tokenc=$(median < "$T/tokj")
encc=$(cut -d' ' -f2 "$T/enc" | median); tokc=$(cut -d' ' -f2 "$T/tok" | median)
pipec=$(cut -d' ' -f2 "$T/pipe" | median)
TEXT_BYTES=$(field text_bytes "$T/tok.json")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $REPS runs each, medians"
echo "input: hh-rlhf harmless-base test x8: $(wc -l < "$T/g8.jsonl") groups," \
     "$(calc "$JSONL_BYTES / 1e6") MB JSONL, $(calc "$TEXT_BYTES / 1e6") MB text, $PAIRS pairs"
echo "pmp-extract hh | pmp-tokenize: wall $pipe s = $(calc "$JSONL_BYTES / 1e6 / $pipe") MB/s of JSONL," \
     "$(calc "$PAIRS / $pipe") pairs/s (cpu $pipec s)"
echo "pmp-tokenize (JSONL file):      wall $tok s = $(calc "$TEXT_BYTES / 1e6 / $tok") MB/s of text" \
     "(cpu $tokc s; parallel encode phase $tokenc s)"
echo "pmp-bpe encode (same texts):    wall $enc s = $(calc "$TEXT_BYTES / 1e6 / $enc") MB/s of text (cpu $encc s)"
echo "ratio pmp-tokenize / pmp-bpe encode throughput: wall $(calc "$enc / $tok"), cpu $(calc "$encc / $tokc") (target >= 0.9)"

for x in 1 8 16; do
    [ -f "$T/g$x.jsonl" ] || for i in $(seq "$x"); do cat "$T/g1.jsonl"; done > "$T/g$x.jsonl"
    rm -rf "$T/out"
    /usr/bin/time -f "%M" -o "$T/rss$x" "$BIN/pmp-tokenize" -q -t "$GPT2" -o "$T/out" "$T/g$x.jsonl"
    echo "peak RSS, ${x}x input ($(calc "$(stat -c %s "$T/g$x.jsonl") / 1e6") MB): $(calc "$(cat "$T/rss$x") / 1024") MB"
done
