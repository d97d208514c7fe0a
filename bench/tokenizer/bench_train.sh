#!/bin/sh
# Training speed: time to learn a 30,000-token byte-level BPE vocabulary on the
# same corpus (CORPUS_MB, default 60 MB of the shared data's text: Reddit,
# StackExchange, hh-rlhf, Wikipedia) with the same thread count (THREADS,
# default 2) for pmp-bpe train, Hugging Face tokenizers (npm, Rust) and
# sentencepiece's spm_train --model_type=bpe. Wall time, CPU time and peak RSS
# from /usr/bin/time. Peers that are absent are skipped with a note.
# SKIP_SPM=1 leaves out spm_train (it takes many minutes at this size).
set -eu
: "${PMP_BIN:?}" "${PMP_SRC:?}" "${PMP_SHARED:?}" "${PMP_TMP:?}"
S="$PMP_SHARED"
[ -f "$S/wikipedia/enwiki-Anarchism-history-2010.xml.zst" ] || { echo "shared data absent"; exit 77; }
MB=${CORPUS_MB:-60}
TH=${THREADS:-2}
H="$PMP_SRC/bench/tokenizer"
mkdir -p "$PMP_TMP"
cd "$PMP_TMP"
{
    zstd -dc --long=31 "$S"/reddit/*.zst
    cat "$S"/stackexchange/*Posts.xml
    zcat "$S"/hhh/*.gz
    cat "$S"/wikipedia/*.xml
    zcat "$S"/wikipedia/*.gz
    zstd -dc --long=27 "$S/wikipedia/enwiki-Anarchism-history-2010.xml.zst"
} 2>/dev/null | head -c "${MB}000000" > corpus.txt || true
echo "corpus: $(wc -c < corpus.txt) bytes, $(wc -l < corpus.txt) lines; vocabulary 30000; $TH threads"
run() {   # NAME CMD...: prints NAME wall cpu rss
    name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o time.txt "$@" > log.txt 2>&1 || { echo "$name failed:"; tail -5 log.txt; return 0; }
    read -r wall user sys rss < time.txt
    echo "$name $wall $user $sys $((rss / 1024))" >> train_results.txt
}
: > train_results.txt
run pmp "$PMP_BIN/pmp-bpe" train -q --threads "$TH" -n 30000 -p gpt2 -o pmp.json corpus.txt
if command -v node >/dev/null 2>&1 && [ -d "$H/node_modules/tokenizers" ]; then
    RAYON_NUM_THREADS=$TH run hf-tokenizers node "$H/bench_hf_train.mjs" corpus.txt hf.json
else
    echo "note: Hugging Face tokenizers (npm) absent: cd bench/tokenizer && npm install"
fi
if [ "${SKIP_SPM:-0}" != 1 ] && command -v spm_train >/dev/null 2>&1; then
    run spm_train spm_train --input=corpus.txt --model_prefix=spm --model_type=bpe --vocab_size=30000 \
        --num_threads="$TH" --max_sentence_length=100000 --minloglevel=1
else
    echo "note: spm_train skipped"
fi
/usr/bin/python3 - train_results.txt <<'PYEOF'
import sys
rows = [l.split() for l in open(sys.argv[1])]
r = {n: (float(w), float(u) + float(s), int(m)) for n, w, u, s, m in rows}
print(f"{'trainer':14} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>11}")
for n, (w, c, m) in r.items():
    print(f"{n:14} {w:>8.2f} {c:>8.2f} {m:>11}")
if "pmp" in r:
    for n in r:
        if n != "pmp":
            print(f"{n} / pmp: wall {r[n][0]/r['pmp'][0]:.1f}x, cpu {r[n][1]/r['pmp'][1]:.1f}x")
PYEOF
