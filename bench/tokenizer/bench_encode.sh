#!/bin/sh
# Encode speed of pmp_tokenizer against the npm peers, in the same run, on two
# corpora held in memory by every contender:
#   hh  the 4,624 hh-rlhf texts (chosen and rejected of the harmless-base test split)
#   se  the StackExchange and Reddit texts of ../shared/data: every distinct context
#       and response text of the groups pmp-extract makes from the six Posts.xml and
#       the two RC_ dumps (English, with code, URLs and markup)
# for gpt2 (r50k_base), cl100k_base and o200k_base. Contenders (bench_peers.mjs):
# pmp one thread and all threads (bench_bpe), tiktoken (WASM), tiktoken-node (native,
# N-API; no o200k), Hugging Face tokenizers (native, N-API, on the tokenizer.json
# pmp-bpe convert writes), gpt-tokenizer (JavaScript). Each contender's figure is
# the best of REPS passes in each of ROUNDS interleaved rounds, best over rounds:
# the machine is shared, and the least disturbed pass is the closest to the
# machine's speed (every contender is treated alike). MB/s per core = input bytes /
# CPU seconds of the process (all its threads); wall MB/s beside it. The ids of
# every peer are checked equal to pmp's by a digest of all ids, not only counted.
# Also: pre-tokenisation alone (PCRE2 JIT vs the hand-written splitter), the whole
# `pmp-bpe encode --jsonl` command, linear time on one long line and one long piece.
# Peers: `npm install` in bench/tokenizer (package.json; or NODE_PATH to a
# node_modules holding them); an absent peer is skipped with a note. Env: ROUNDS (default 2), REPS (default 3), CORPORA
# (default "hh se").
set -eu
: "${PMP_BIN:?}" "${PMP_SRC:?}" "${PMP_SHARED:?}" "${PMP_TMP:?}"
D="$PMP_SHARED/bpe"
[ -f "$D/cl100k_base.tiktoken" ] || { echo "shared data absent"; exit 77; }
REPS=${REPS:-3}
ROUNDS=${ROUNDS:-2}
CORPORA=${CORPORA:-"hh se"}
H="$PMP_SRC/bench/tokenizer"
mkdir -p "$PMP_TMP"
# absolute paths: the script works inside PMP_TMP (PMP_BIN=build/bin used to fail there)
PMP_BIN=$(cd "$PMP_BIN" && pwd) PMP_SRC=$(cd "$PMP_SRC" && pwd) PMP_SHARED=$(cd "$PMP_SHARED" && pwd) PMP_TMP=$(cd "$PMP_TMP" && pwd)
D="$PMP_SHARED/bpe" H="$PMP_SRC/bench/tokenizer"
cd "$PMP_TMP"
PY=/usr/bin/python3
$PY - "$PMP_SHARED/hhh/hh-rlhf-harmless-base-test.jsonl.gz" > hh.jsonl <<'PYEOF'
import gzip, json, sys
for l in gzip.open(sys.argv[1], "rt", encoding="utf-8"):
    o = json.loads(l)
    print(json.dumps(o["chosen"])); print(json.dumps(o["rejected"]))
PYEOF
{
    for f in "$PMP_SHARED"/stackexchange/*Posts.xml; do "$PMP_BIN/pmp-extract" stackexchange -q "$f"; done
    for f in "$PMP_SHARED"/reddit/RC_*.zst; do "$PMP_BIN/pmp-extract" reddit -q "$f"; done
} > se-groups.jsonl
$PY - se-groups.jsonl > se.jsonl <<'PYEOF'
import json, sys
seen = set()
for l in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(l)
    for t in [o["context"]] + [r["text"] for r in o["responses"]]:
        if t not in seen:
            seen.add(t)
            print(json.dumps(t))
PYEOF
mkdir -p hf
for enc in gpt2:r50k_base cl100k:cl100k_base o200k:o200k_base; do
    "$PMP_BIN/pmp-bpe" convert -q -t "$D/${enc#*:}.tiktoken" -o "hf/${enc%%:*}.json"
done
: > results.jsonl
peers=0
if command -v node >/dev/null 2>&1; then peers=1; else echo "note: node absent; pmp only"; fi
NTH=$(nproc)
r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    for c in $CORPORA; do
        [ $peers = 1 ] && node "$H/bench_peers.mjs" "$c.jsonl" "$REPS" "$c" "$PMP_TMP/hf" >> results.jsonl
        for enc in gpt2:r50k_base cl100k:cl100k_base o200k:o200k_base; do
            name=${enc%%:*} file=${enc#*:}
            # passive: threads waiting at the loop's end sleep instead of spinning, so
            # the CPU time of N threads is encoding work (on a busy machine spinning
            # showed as 10-15 % less MB/s per core)
            OMP_WAIT_POLICY=passive "$PMP_BIN/bench_bpe" "$D/$file.tiktoken" "$c.jsonl" "$REPS" 1 "$NTH" |
                sed "s/^{/{\"corpus\":\"$c\",\"enc\":\"$name\",/" >> results.jsonl
            "$PMP_BIN/bench_bpe" --split "$D/$file.tiktoken" "$c.jsonl" "$REPS" |
                sed "s/^{/{\"corpus\":\"$c\",\"enc\":\"$name\",/" >> results.jsonl
            # the whole command: read, parse JSON, encode, write ids (best of REPS)
            k=0
            while [ $k -lt "$REPS" ]; do
                k=$((k + 1))
                /usr/bin/time -f '%e %U %S' -o time.txt "$PMP_BIN/pmp-bpe" encode -q --json --jsonl \
                    --threads 1 -t "$D/$file.tiktoken" "$c.jsonl" 2> cmd.json > /dev/null
                $PY - "$c" "$name" time.txt cmd.json >> results.jsonl <<'PYEOF'
import json, sys
o = json.loads(open(sys.argv[4]).read().strip().splitlines()[-1])
wall, user, sys_ = (float(x) for x in open(sys.argv[3]).read().split()[-3:])
o.update({"what": "command", "corpus": sys.argv[1], "enc": sys.argv[2], "wall": wall,
          "cpu": user + sys_})
print(json.dumps(o))
PYEOF
            done
        done
    done
done
"$PMP_BIN/bench_bpe" --line "$D/cl100k_base.tiktoken" hh.jsonl 10 100 >> results.jsonl
"$PMP_BIN/bench_bpe" --run "$D/cl100k_base.tiktoken" 1 4 >> results.jsonl
$PY "$H/bench_report.py" results.jsonl
