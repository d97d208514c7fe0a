#!/bin/sh
# Encode speed of pmp_tokenizer against tiktoken (npm, WASM build of the Rust
# core) and gpt-tokenizer (npm, pure JS), in the same run, on the 4,624 hh-rlhf
# texts (held in memory by every contender); 2-thread scaling; and linear time
# on one long line (10 MB vs 100 MB) and on one long piece of letters.
# Peers: `npm install` in bench/tokenizer (skipped with a note when absent).
# The machine is shared: contenders run interleaved in ROUNDS rounds (each a
# median of REPS runs) and the table shows the median over rounds, so load
# changes hit everyone alike. Env: ROUNDS (default 5), REPS (default 3).
set -eu
: "${PMP_BIN:?}" "${PMP_SRC:?}" "${PMP_SHARED:?}" "${PMP_TMP:?}"
D="$PMP_SHARED/bpe"
[ -f "$D/cl100k_base.tiktoken" ] || { echo "shared data absent"; exit 77; }
REPS=${REPS:-3}
ROUNDS=${ROUNDS:-5}
H="$PMP_SRC/bench/tokenizer"
mkdir -p "$PMP_TMP"
cd "$PMP_TMP"
PY=/usr/bin/python3
$PY - "$PMP_SHARED/hhh/hh-rlhf-harmless-base-test.jsonl.gz" > texts.jsonl <<'PYEOF'
import gzip, json, sys
for l in gzip.open(sys.argv[1], "rt", encoding="utf-8"):
    o = json.loads(l)
    print(json.dumps(o["chosen"])); print(json.dumps(o["rejected"]))
PYEOF
: > results.jsonl
peers=0
if command -v node >/dev/null 2>&1 && [ -d "$H/node_modules/tiktoken" ] && [ -d "$H/node_modules/gpt-tokenizer" ]; then
    peers=1
else
    echo "note: node or npm peers absent (cd bench/tokenizer && npm install); pmp only"
fi
r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    [ $peers = 1 ] && node "$H/bench_peers.mjs" texts.jsonl "$REPS" >> results.jsonl
    for enc in gpt2:r50k_base cl100k:cl100k_base; do
        name=${enc%%:*} file=${enc#*:}
        "$PMP_BIN/bench_bpe" "$D/$file.tiktoken" texts.jsonl "$REPS" 1 2 | sed "s/^{/{\"enc\":\"$name\",/" >> results.jsonl
    done
done
"$PMP_BIN/bench_bpe" --line "$D/cl100k_base.tiktoken" texts.jsonl 10 100 >> results.jsonl
"$PMP_BIN/bench_bpe" --run "$D/cl100k_base.tiktoken" 1 4 >> results.jsonl
$PY - results.jsonl <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
import statistics
raw = [r for r in rows if "impl" in r]
enc_rows = []
for key in dict.fromkeys((r["enc"], r["impl"], r["threads"]) for r in raw):
    g = [r for r in raw if (r["enc"], r["impl"], r["threads"]) == key]
    m = dict(g[0])
    m["mb_s"] = statistics.median(r["mb_s"] for r in g)
    m["cpu_mb_s"] = statistics.median(r["cpu_mb_s"] for r in g)
    m["peak_rss_mb"] = max(r["peak_rss_mb"] for r in g)
    m["rounds"] = len(g)
    enc_rows.append(m)
print(f"encode throughput, hh-rlhf texts ({enc_rows[0]['bytes']/1e6:.2f} MB, {enc_rows[0]['texts']} texts), median over {enc_rows[0]['rounds']} interleaved rounds")
print("MB/s = bytes / wall time; MB/cpu-s = bytes / CPU time of all threads (steadier when the")
print("machine is shared; for 2 threads, wall MB/s shows the scaling)")
print(f"{'enc':8} {'impl':14} {'threads':>7} {'MB/s':>8} {'MB/cpu-s':>9} {'tokens':>9} {'peak RSS MB':>11}")
for r in enc_rows:
    print(f"{r['enc']:8} {r['impl']:14} {r['threads']:>7} {r['mb_s']:>8.2f} {r['cpu_mb_s']:>9.2f} {r['tokens']:>9} {r['peak_rss_mb']:>11}")
for enc in ("gpt2", "cl100k"):
    by = {(r["impl"], r["threads"]): r for r in enc_rows if r["enc"] == enc}
    p1, p2 = by.get(("pmp", 1)), by.get(("pmp", 2))
    if p1 and p2:
        print(f"{enc}: pmp 2 threads / 1 thread = {p2['mb_s']/p1['mb_s']:.2f}x")
    for peer in ("tiktoken", "gpt-tokenizer"):
        q = by.get((peer, 1))
        if p1 and q:
            if q["tokens"] != p1["tokens"]:
                print(f"WARNING {enc}: {peer} gave {q['tokens']} tokens, pmp {p1['tokens']}")
            print(f"{enc}: pmp 1 thread / {peer} = {p1['mb_s']/q['mb_s']:.2f}x wall, "
                  f"{p1['cpu_mb_s']/q['cpu_mb_s']:.2f}x CPU")
line = [r for r in rows if r.get("what") == "single_line"]
if len(line) == 2:
    a, b = line
    print(f"one line: {a['mb']:.0f} MB in {a['seconds']:.2f} s, {b['mb']:.0f} MB in {b['seconds']:.2f} s: "
          f"time ratio {b['seconds']/a['seconds']:.2f} for size ratio {b['mb']/a['mb']:.0f} "
          f"(peak RSS {b['peak_rss_mb']} MB)")
run = [r for r in rows if r.get("what") == "one_piece_of_a"]
if len(run) == 2:
    a, b = run
    print(f"one piece of letters: {a['mb']:.0f} MB in {a['seconds']:.2f} s, {b['mb']:.0f} MB in {b['seconds']:.2f} s: "
          f"time ratio {b['seconds']/a['seconds']:.2f} for size ratio {b['mb']/a['mb']:.0f}")
PYEOF
