#!/bin/sh
# pmp-bpe encode/decode/info end to end, and bad input: every error must exit 1
# and name the file and the line (or JSON element) where it was found.
set -u
: "${PMP_BIN:?}" "${PMP_SRC:?}" "${PMP_TMP:?}"
T="$PMP_SRC/tests/tokenizer"
BPE="$PMP_BIN/pmp-bpe"
PY=/usr/bin/python3
mkdir -p "$PMP_TMP"
cd "$PMP_TMP" || exit 1
fails=0; passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_error NAME EXIT_CODE PATTERN CMD...: runs CMD, wants that exit code and
# a stderr line matching PATTERN (grep -E).
expect_error() {
    name=$1 code=$2 pat=$3; shift 3
    "$@" > out.txt 2> err.txt
    rc=$?
    if [ $rc -ne "$code" ]; then bad "$name: exit $rc, expected $code ($(cat err.txt))"
    elif ! grep -Eq -- "$pat" err.txt; then bad "$name: message '$(cat err.txt)' lacks /$pat/"
    else ok; fi
}

# A small valid rank file written here: the 256 bytes, then a few merges.
$PY - <<'PYEOF'
import base64
def line(b, r): return base64.b64encode(b).decode() + " " + str(r) + "\n"
toks = [bytes([i]) for i in range(256)] + [b"th", b"the", b" t", b" the", b"in", b"ing"]
with open("small.tiktoken", "w") as f:
    for r, t in enumerate(toks): f.write(line(t, r))
# Broken variants, each with its error on a known line.
lines = open("small.tiktoken").read().split("\n")
def write(name, ls): open(name, "w").write("\n".join(ls))
write("bad_b64.tiktoken", lines[:2] + ["!!!! 2"] + lines[3:])                 # line 3
write("bad_order.tiktoken", lines[:3] + [lines[3].split()[0] + " 1"] + lines[4:])  # line 4
write("bad_rank.tiktoken", lines[:4] + [lines[4].split()[0] + " x5"] + lines[5:])   # line 5
write("dup.tiktoken", lines[:258] + [base64.b64encode(b"th").decode() + " 258"] + lines[259:])  # line 259
write("nobyte.tiktoken", lines[:65] + lines[66:])                               # byte 0x41 missing
PYEOF

# --- encode / decode / info on the small file (no shared data needed) ---
printf 'the thing in the\nthe\n\n' > in.txt
"$BPE" encode -q -t small.tiktoken -p gpt2 in.txt > ids.txt || bad "encode small"
# "the" is token 257 (t+h -> 256, th+e -> 257); the rest is checked by decoding back.
[ "$(sed -n 2p ids.txt)" = "257" ] && ok || bad "encode 'the' -> $(sed -n 2p ids.txt), want 257"
[ "$(sed -n 3p ids.txt)" = "" ] && ok || bad "empty line must give an empty line"
"$BPE" decode -q -t small.tiktoken ids.txt > back.txt && cmp -s in.txt back.txt && ok || bad "decode(encode) small"
"$BPE" info small.tiktoken > info.txt && grep -q '^vocab_size: 262$' info.txt && ok || bad "info vocab_size"

# Arbitrary bytes (invalid UTF-8 included) round-trip through the CLI, line by line.
$PY -c '
import random, sys
r = random.Random(5)
out = sys.stdout.buffer
for i in range(300):
    n = r.randint(0, 80)
    b = bytes(r.choice(range(256)) for _ in range(n)).replace(b"\n", b" ")
    out.write(b + b"\n")
' > random.txt
"$BPE" encode -q -t small.tiktoken random.txt | "$BPE" decode -q -t small.tiktoken > random_back.txt
cmp -s random.txt random_back.txt && ok || bad "random bytes round trip through the CLI"

# With the real vocabularies: CLI ids equal the committed tiktoken references.
if [ -f "$PMP_SHARED/bpe/cl100k_base.tiktoken" ]; then
    for enc in cl100k o200k; do
        f="$PMP_SHARED/bpe/${enc}_base.tiktoken"
        for mode in o s; do
            flag=""; [ $mode = s ] && flag="--allow-special"
            "$BPE" encode -q --jsonl $flag -t "$f" "$T/hard_cases.jsonl" > got.txt
            awk -F'\t' -v e=$enc -v m=$mode '$1==e && $2==m {print $4}' "$T/ref_hard.tsv" > want.txt
            if cmp -s got.txt want.txt; then ok; else
                bad "$enc mode $mode: CLI ids differ from tiktoken at hard case $(cmp got.txt want.txt | sed 's/.*line //')"
            fi
        done
    done
    "$BPE" encode -q --jsonl -t "$PMP_SHARED/bpe/gpt2" "$T/hard_cases.jsonl" |
        "$BPE" decode -q --jsonl -t "$PMP_SHARED/bpe/gpt2" > dec.jsonl
    $PY -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
sys.exit(0 if a == b else 1)' "$T/hard_cases.jsonl" dec.jsonl && ok || bad "gpt2 --jsonl decode(encode)"
    "$BPE" info "$PMP_SHARED/bpe/gpt2" | grep -q '^special: 50256 <|endoftext|>$' && ok || bad "gpt2 special"
else
    echo "note: shared data absent; checks with the real vocabularies skipped"
fi

# --- bad input ---
expect_error "missing tokenizer" 1 "nope.tiktoken: cannot open" "$BPE" encode -t nope.tiktoken in.txt
expect_error "bad base64" 1 "bad_b64.tiktoken:3: bad base64" "$BPE" encode -t bad_b64.tiktoken in.txt
expect_error "ranks out of order" 1 "bad_order.tiktoken:4: rank 1 out of order" "$BPE" info bad_order.tiktoken
expect_error "bad rank" 1 "bad_rank.tiktoken:5: bad rank" "$BPE" info bad_rank.tiktoken
expect_error "duplicate token" 1 "dup.tiktoken:259: token 258 repeats the bytes of token 256" "$BPE" info dup.tiktoken
expect_error "missing byte" 1 "nobyte.tiktoken: .*byte 0x41" "$BPE" info nobyte.tiktoken
expect_error "bad pattern" 1 "pattern does not compile" "$BPE" encode -t small.tiktoken -p '([' in.txt
printf '257 258\n1 99999\n' > badids.txt
expect_error "unknown id" 1 "badids.txt:2: id 99999" "$BPE" decode -t small.tiktoken badids.txt
printf '257 x\n' > badids2.txt
expect_error "not an id" 1 "badids2.txt:1: column 5" "$BPE" decode -t small.tiktoken badids2.txt
printf '"a"\n"b"\n{"not": "a string"}\n"d"\n' > bad.jsonl
expect_error "jsonl not a string" 1 "bad.jsonl:3: expected a JSON string" "$BPE" encode --jsonl -t small.tiktoken bad.jsonl
[ "$(wc -l < out.txt)" -eq 2 ] && ok || bad "lines before the bad one must be written whole"
printf '"a"\n"unterminated\n' > bad2.jsonl
expect_error "jsonl broken" 1 "bad2.jsonl:2: not a JSON value" "$BPE" encode --jsonl -t small.tiktoken bad2.jsonl
expect_error "usage" 2 "required" "$BPE" encode in.txt
expect_error "train usage" 2 "required" "$BPE" train in.txt

# GPT-2 directory and tokenizer.json, broken.
mkdir -p g2
$PY - <<'PYEOF'
import json
keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
sp, n = {}, 0
for b in range(256):
    if b in keep: sp[b] = chr(b)
    else: sp[b] = chr(256 + n); n += 1
enc = {sp[b]: b for b in range(256)}
enc["th"] = 256; enc["the"] = 257
json.dump(enc, open("g2/encoder.json", "w"))
open("g2/vocab.bpe", "w").write("#version: 0.2\nt h\nth e\nq z\n")   # line 4: qz not in encoder
tj = {"model": {"type": "BPE", "vocab": enc, "merges": ["t h", "th e", "x yz"]},
      "added_tokens": [], "pre_tokenizer": None}
json.dump(tj, open("bad_merge.json", "w"))
open("bad_json.json", "w").write('{"model": {"type": "BPE",\n "vocab": {"a": 1,,}}}')
PYEOF
expect_error "gpt2 merge not in vocab" 1 "g2/vocab.bpe:4: \"q z\": merge makes a token that is not in the vocabulary" "$BPE" info g2
expect_error "tokenizer.json merge" 1 "bad_merge.json: model.merges\[2\]" "$BPE" info bad_merge.json
expect_error "tokenizer.json syntax" 1 "bad_json.json:2: bad JSON" "$BPE" info bad_json.json
printf '{"a": 1' > g2/encoder.json
expect_error "encoder.json truncated" 1 "g2/encoder.json:1: JSON ends early" "$BPE" info g2

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
