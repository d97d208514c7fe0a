#!/bin/sh
# pmp-bpe train: merges equal an independent naive Python trainer (ref_train.py)
# on an ASCII corpus; output identical for 1 and 2 threads; the saved
# tokenizer.json loads back with the same identity; and, when node and the npm
# package tokenizers are present, Hugging Face loads it and gives the same ids.
set -eu
: "${PMP_BIN:?}" "${PMP_SRC:?}" "${PMP_TMP:?}"
T="$PMP_SRC/tests/tokenizer"
mkdir -p "$PMP_TMP"
cd "$PMP_TMP"
PY=/usr/bin/python3
# Corpus: ASCII lines of the hard cases' neighbour file, written by the test
# itself from the committed hard cases plus a fixed synthetic text (no shared data).
$PY - "$T/hard_cases.jsonl" > corpus.txt <<'PYEOF'
import json, sys, random
rnd = random.Random(7)
words = ("the of and to in is you that it he was for on are as with his they at be this have "
         "from or one had by word but not what all were we when your can said there use an each "
         "which she do how their if will up other about out many then them these so some her "
         "would make like him into time has look two more write go see number no way could people "
         "my than first water been call who oil its now find long down day did get come made may "
         "part I'm don't it's we'll they've 2024 3.14 100% e-mail (yes) \"quoted\" end.").split()
for i in range(2500):
    n = rnd.randint(3, 25)
    line = " ".join(rnd.choice(words) for _ in range(n))
    if rnd.random() < 0.2: line = "  " + line
    if rnd.random() < 0.2: line += "   "
    print(line)
for l in open(sys.argv[1]):
    t = json.loads(l)
    for s in t.split("\n"):
        if s and all(32 <= ord(c) < 127 for c in s):
            print(s)
PYEOF
PAT="'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\\sA-Za-z0-9]+|\\s+(?!\\S)|\\s+"
N=250
"$PMP_BIN/pmp-bpe" train -q --threads 1 -n $((256 + N + 1)) -p "$PAT" --special '<|endoftext|>' -o one.json corpus.txt
"$PMP_BIN/pmp-bpe" train -q --threads 2 -n $((256 + N + 1)) -p "$PAT" --special '<|endoftext|>' -o two.json --json corpus.txt 2> stats.json
cmp one.json two.json || { echo "FAIL: 1 and 2 threads differ"; exit 1; }
$PY "$T/ref_train.py" corpus.txt $N "$PAT" > ref_merges.txt
$PY "$T/merges_of.py" one.json > got_merges.txt
if ! cmp -s ref_merges.txt got_merges.txt; then
    echo "FAIL: merges differ from the naive reference (first difference):"
    diff ref_merges.txt got_merges.txt | head -5
    exit 1
fi
echo "ok: $N merges equal the naive reference; 1 and 2 threads identical"
# Load back: same identity as the trainer reported; the special token is last.
id_train=$($PY -c 'import json,sys; print(json.load(open("stats.json"))["identity"])')
id_load=$("$PMP_BIN/pmp-bpe" info one.json | sed -n 's/^identity: //p')
[ "$id_train" = "$id_load" ] || { echo "FAIL: identity $id_train after training, $id_load after loading"; exit 1; }
"$PMP_BIN/pmp-bpe" info one.json | grep -q "^special: $((256 + N)) <|endoftext|>$" ||
    { echo "FAIL: special token id"; exit 1; }
# Round trip through pmp-bpe convert (load + save) gives the same file.
"$PMP_BIN/pmp-bpe" convert -q -t one.json -o again.json
cmp one.json again.json || { echo "FAIL: convert(one.json) differs"; exit 1; }
echo "ok: tokenizer.json loads back with the same identity ($id_load)"
# --groups: contexts and responses of group records are the texts; the counts
# (and so the file) equal training on the same texts given as lines.
$PY - corpus.txt groups.jsonl lines.txt <<'PYEOF'
import json, sys
src = [l.rstrip("\n") for l in open(sys.argv[1])][:600]
with open(sys.argv[2], "w") as g, open(sys.argv[3], "w") as t:
    for i in range(0, len(src) - 2, 3):
        c, a, b = src[i:i + 3]
        g.write(json.dumps({"source": "test", "id": str(i), "context": c,
                            "responses": [{"text": a, "score": 1}, {"text": b, "score": 0}]}) + "\n")
        t.write(c + "\n" + a + "\n" + b + "\n")
PYEOF
"$PMP_BIN/pmp-bpe" train -q -n 400 -p gpt2 --groups -o g.json groups.jsonl
"$PMP_BIN/pmp-bpe" train -q -n 400 -p gpt2 -o l.json lines.txt
cmp g.json l.json || { echo "FAIL: --groups differs from the same texts as lines"; exit 1; }
echo "ok: --groups equals the same texts as lines"
# Hugging Face tokenizers (npm), when present: same ids on the hard cases.
if command -v node >/dev/null 2>&1 && [ -d "$PMP_SRC/bench/tokenizer/node_modules/tokenizers" ]; then
    node "$T/hf_encode.mjs" one.json "$T/hard_cases.jsonl" > hf.txt
    # Hugging Face always matches added tokens in text: compare with --allow-special.
    "$PMP_BIN/pmp-bpe" encode -q --jsonl --allow-special -t one.json "$T/hard_cases.jsonl" > pmp.txt
    if ! cmp -s hf.txt pmp.txt; then
        echo "FAIL: Hugging Face ids differ from pmp-bpe's (first differing hard case):"
        diff hf.txt pmp.txt | head -3
        exit 1
    fi
    echo "ok: Hugging Face tokenizers loads the file and gives the same ids on $(wc -l < pmp.txt) texts"
    # The other way: a tokenizer.json that Hugging Face trained loads in pmp-bpe
    # and gives Hugging Face's ids.
    RAYON_NUM_THREADS=1 node "$PMP_SRC/bench/tokenizer/bench_hf_train.mjs" corpus.txt hf_trained.json > /dev/null
    $PY -c 'import json,sys; [print(json.dumps(l.rstrip("\n"))) for l in open(sys.argv[1])]' corpus.txt > corpus.jsonl
    node "$T/hf_encode.mjs" hf_trained.json corpus.jsonl > hf2.txt
    "$PMP_BIN/pmp-bpe" encode -q --jsonl -t hf_trained.json corpus.jsonl > pmp2.txt
    cmp -s hf2.txt pmp2.txt || { echo "FAIL: ids on a Hugging Face-trained tokenizer.json differ"; exit 1; }
    echo "ok: a tokenizer.json trained by Hugging Face gives its ids in pmp-bpe ($(wc -l < pmp2.txt) texts)"
else
    echo "note: node or bench/tokenizer/node_modules/tokenizers absent; Hugging Face check not run"
fi
