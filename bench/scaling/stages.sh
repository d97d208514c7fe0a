#!/bin/bash
# Each stage's throughput on ONE core (taskset -c 0), measured in one run on the shared
# data, and the sizing table of docs/scaling.md computed from it: a full StackExchange +
# Reddit + Wikipedia dump (approximate public sizes, below) -> core-hours per stage.
# Usage: stages.sh   (prints markdown tables)
set -euo pipefail
B="$PMP_BIN"; D="$PMP_SHARED"; T="$PMP_TMP"
[ -d "$D/stackexchange" ] || { echo "skip: no shared data"; exit 77; }
command -v taskset >/dev/null || { echo "skip: no taskset"; exit 77; }
rm -rf "$T"; mkdir -p "$T"; cd "$T"
ONE="taskset -c 0"
sec() { /usr/bin/time -f "%e" -o t.txt "$@"; cat t.txt; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(nproc) cores; avx512f: $(grep -c -m1 -w avx512f /proc/cpuinfo || true); load average $(cut -d' ' -f1-3 /proc/loadavg)"
# inputs, uncompressed bytes counted
se=$(ls "$D"/stackexchange/*-Posts.xml)
se_bytes=$(cat $se | wc -c)
# both shared months (distinct comments: a copied month would be dropped as duplicates,
# not grouped), run 10 times for a measurable time
for f in "$D"/reddit/RC_*.zst; do zstd -q -dc --long=31 "$f" > "$(basename "$f" .zst).ndjson"; done
rc_bytes=$(( $(cat RC_*.ndjson | wc -c) * 10 ))
wiki="$D/wikipedia/enwiki-Anarchism-history-2010.xml.zst"
wiki_bytes=$(zstd -q -dc --long=31 "$wiki" | wc -c)
hh="$D/hhh/hh-rlhf-harmless-base-test.jsonl.gz"
t_se=$(sec $ONE sh -c "'$B/pmp-extract' stackexchange -q $(echo $se) > se.jsonl")
t_rc=$(sec $ONE sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do '$B/pmp-extract' reddit -q RC_*.ndjson > rc.jsonl; done")
t_wk=$(sec $ONE sh -c "'$B/pmp-extract' wikipedia -q '$wiki' > wk.jsonl")
cat se.jsonl rc.jsonl wk.jsonl > all.jsonl
"$B/pmp-bpe" convert -q -t "$D/bpe/gpt2" -o gpt2.json
t_tok=$(sec $ONE "$B/pmp-tokenize" -q --json -j 1 -t gpt2.json --max-context-tokens 512 --max-response-tokens 256 -o shards all.jsonl 2> tok.json)
/usr/bin/python3 - <<PYEOF
import json
tok = json.load(open("tok.json"))
print("| stage | input | bytes | seconds (1 core) | MB/s per core |")
print("|---|---|---|---|---|")
rows = [("extract stackexchange", "9 sites' Posts.xml", $se_bytes, $t_se),
        ("extract reddit", "RC_2005-12 + RC_2006-01, NDJSON, 10 runs", $rc_bytes, $t_rc),
        ("extract wikipedia", "enwiki Anarchism history (2010)", $wiki_bytes, $t_wk),
        ("tokenize (GPT-2 BPE)", "their groups, text bytes", tok["text_bytes"], $t_tok)]
for name, what, b, s in rows:
    print(f"| {name} | {what} | {b/1e6:.1f} MB | {s:.2f} | {b/1e6/s:.1f} |")
json.dump({r[0]: r[2] / 1e6 / r[3] for r in rows} | {"tokens": tok["train_tokens"] + tok.get("eval_tokens", 0),
          "text_bytes": tok["text_bytes"]}, open("rates.json", "w"))
PYEOF
# group text per input byte, per source (what tokenize and training see of a dump)
for s in se rc wk; do "$B/pmp-tokenize" -q --json -j 1 -t gpt2.json --max-context-tokens 512 --max-response-tokens 256 -o "s-$s" $s.jsonl 2> "s-$s.json"; done
# training, tokens/s on 1 core and on 2 (OpenMP), per preset
echo
echo "| model | params | tokens/s, 1 core | tokens/s, 2 cores |"
echo "|---|---|---|---|"
for m in tiny small; do
  for th in 1 2; do
    if [ $th -eq 1 ]; then pre="$ONE"; else pre=""; fi
    $pre "$B/pmp-train" --model $m --context 128 --data shards --batch-pairs 8 --steps 6 --ckpt-every 0 \
      --threads $th --out "run-$m-$th" --json -q 2> "train-$m-$th.json"
  done
  /usr/bin/python3 - "$m" <<'PYEOF'
import json, statistics as st, sys
m = sys.argv[1]
def tps(th):
    steps = [json.loads(l) for l in open(f"run-{m}-{th}/log.jsonl") if '"loss"' in l][2:]
    return st.median(x["tokens"] / (x["ms"] / 1e3) for x in steps)
cfg = json.load(open(f"run-{m}-1/config.json"))
L, C, V, T = cfg["layers"], cfg["width"], cfg["vocab"], cfg["context"]
params = V * C + T * C + L * (12 * C * C + 13 * C) + 3 * C + 1
r = json.load(open("rates.json")); r[f"train {m}"] = tps(1); json.dump(r, open("rates.json", "w"))
print(f"| {m} (L{L} C{C}) | {params/1e6:.1f} M | {tps(1):.0f} | {tps(2):.0f} |")
PYEOF
done
# the sizing table: approximate public sizes of the full dumps (uncompressed), and this
# machine's rates; training = one epoch over the tokens of the groups' pairs
/usr/bin/python3 - $se_bytes $((rc_bytes / 10)) $wiki_bytes <<'PYEOF'
import json, sys
r = json.load(open("rates.json"))
src = {"stackexchange": ("s-se", int(sys.argv[1]), 130e9, "all sites' Posts.xml, ~130 GB"),
       "reddit": ("s-rc", int(sys.argv[2]), 12e12, "RC_ 2005-12..2022-12, ~12 TB of NDJSON"),
       "wikipedia": ("s-wk", int(sys.argv[3]), 25e12, "enwiki pages-meta-history, ~25 TB of XML")}
ext = {"stackexchange": "extract stackexchange", "reddit": "extract reddit", "wikipedia": "extract wikipedia"}
print()
print("| source (full dump, approximate) | extract core-h | tokens (estimated) | tokenize core-h | train tiny, core-h per epoch | train small, core-h per epoch |")
print("|---|---|---|---|---|---|")
tot = [0, 0, 0, 0, 0]
for name, (d, sample_bytes, full, what) in src.items():
    s = json.load(open(f"{d}.json"))
    tokens_per_byte = (s["train_tokens"] + s.get("eval_tokens", 0)) / sample_bytes
    text_per_byte = s["text_bytes"] / sample_bytes
    tokens = tokens_per_byte * full
    e = full / 1e6 / r[ext[name]] / 3600
    t = text_per_byte * full / 1e6 / r["tokenize (GPT-2 BPE)"] / 3600
    a, b = tokens / r["train tiny"] / 3600, tokens / r["train small"] / 3600
    for i, v in enumerate((e, tokens, t, a, b)): tot[i] += v
    print(f"| {name}: {what} | {e:,.1f} | {tokens/1e9:,.1f} G | {t:,.1f} | {a:,.0f} | {b:,.0f} |")
print(f"| total | {tot[0]:,.1f} | {tot[1]/1e9:,.1f} G | {tot[2]:,.1f} | {tot[3]:,.0f} | {tot[4]:,.0f} |")
PYEOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
