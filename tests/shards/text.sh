#!/bin/bash
# pmp-tokenize --text: every distinct context and response once, in input order, as
# documents of at most --chunk-tokens tokens. Checked against an independent reading of
# the input (Python's json): the documents `pmp-shard cat` gives back are exactly the
# first occurrences of the non-empty texts, with their ids; chunking keeps every token
# but one-token tails; a run killed at its I/O calls and resumed (the set of seen texts
# rebuilt from the input prefix) ends with the same bytes; pmp-train --objective lm
# trains and evaluates on it, other objectives are refused.
. "$(dirname "$0")/lib.sh"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
# groups with repeated texts: the same groups twice (other ids), and a group whose
# responses repeat its context and each other, and an empty context
gen_groups 120 5 > "$T/a.jsonl"
gen_groups 60 5 | sed 's/"synth\//"again\//' > "$T/b.jsonl"
printf '%s\n' '{"source":"dup","id":"d/1","context":"same text","responses":[{"text":"same text","score":1},{"text":"other","score":0},{"text":"other","score":2}]}' \
              '{"source":"dup","id":"d/2","context":"","responses":[{"id":"x","text":"fresh one","score":1},{"text":"same text","score":0}]}' > "$T/c.jsonl"
cat "$T/a.jsonl" "$T/c.jsonl" "$T/b.jsonl" > "$T/in.jsonl"

python3 - "$T/in.jsonl" > "$T/want.jsonl" <<'PY'
import json, sys
# texts that are one token of make_tokenizer's vocabulary (a byte or a merge) are
# dropped: a one-token document has nothing to predict
one_token = {"th", "he", "in", "er", "an", " t", " a", "the", " the", "ing", "re", "on", " s", "nd", "ou"}
seen = set()
dup = 0
for line in open(sys.argv[1], encoding="utf-8"):
    g = json.loads(line)
    texts = [("context", g["context"])]
    for i, r in enumerate(g["responses"]):
        texts.append((r.get("id", "r%d" % i), r["text"]))
    for name, t in texts:
        if t == "":
            continue
        if t in seen:
            dup += 1
            continue
        seen.add(t)
        if len(t.encode()) == 1 or t in one_token:
            continue
        print(json.dumps({"source": g["source"], "id": g["id"] + "/" + name, "text": t}, ensure_ascii=False))
open(sys.argv[1] + ".dup", "w").write("%d\n" % dup)
PY

"$BIN/pmp-tokenize" -q --json -t "$T/tok.tiktoken" --text --chunk-tokens 100000 -o "$T/whole" "$T/in.jsonl" 2> "$T/whole.json" ||
    fail "--text run"
"$BIN/pmp-shard" verify -q "$T/whole" || fail "text directory does not verify"
"$BIN/pmp-shard" cat "$T/whole" > "$T/got.jsonl" || fail "pmp-shard cat of a text directory"
python3 - "$T/want.jsonl" "$T/got.jsonl" <<'PY' || fail "documents differ from the distinct texts"
import json, sys
want = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(want) == len(got), (len(want), len(got))
for w, g in zip(want, got):
    assert w == g, (w, g)
print("documents: %d, all equal to the first occurrences" % len(got))
PY
n_texts=$(python3 -c '
import json,sys
print(sum((g["context"]!="")+sum(r["text"]!="" for r in g["responses"]) for g in map(json.loads, open(sys.argv[1]))))' "$T/in.jsonl")
grep -q "\"texts\":$n_texts," "$T/whole.json" || fail "texts: want $n_texts in $(cat "$T/whole.json")"
want_dup=$(cat "$T/in.jsonl.dup")
grep -q "\"texts_duplicate\":$want_dup," "$T/whole.json" || fail "texts_duplicate: want $want_dup"

# chunks: every record at most N tokens, no token lost but one-token tails
tok() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }
"$BIN/pmp-tokenize" -q --json -t "$T/tok.tiktoken" --text --chunk-tokens 8 -o "$T/chunked" "$T/in.jsonl" 2> "$T/chunked.json" ||
    fail "--chunk-tokens 8"
[ $(( $(tok "$T/chunked.json" train_tokens) + $(tok "$T/chunked.json" text_tokens_dropped) )) -eq $(( $(tok "$T/whole.json" train_tokens) + $(tok "$T/whole.json" text_tokens_dropped) )) ] ||
    fail "chunking lost tokens: $(cat "$T/chunked.json")"
"$BIN/pmp-shard" stats "$T/chunked" | grep -q '^context tokens: n=[0-9]* mean=[0-9.]* max=8$' || fail "a chunk over 8 tokens"
"$BIN/pmp-shard" cat "$T/chunked" | grep -q '"id":"synth/1/context#1"' || fail "chunk ids"

# refused: pairing flags with --text, --chunk-tokens without it
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --text --max-response-tokens 5 -o "$T/x" "$T/in.jsonl" 2>/dev/null &&
    fail "--text with --max-response-tokens accepted"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --chunk-tokens 5 -o "$T/x" "$T/in.jsonl" 2>/dev/null &&
    fail "--chunk-tokens without --text accepted"

# kill at I/O calls, resume: the same bytes
ARGS=(-q -t "$T/tok.tiktoken" --text --chunk-tokens 16 --shard-size 4K --split eval=0.3)
"$BIN/pmp-tokenize" "${ARGS[@]}" --json -o "$T/ref" "$T/in.jsonl" 2> "$T/ref.json" || fail "reference run"
OPS=$(tok "$T/ref.json" io_ops)
[ "$(ls "$T/ref" | grep -c '^shard-')" -ge 3 ] || fail "expected several train shards"
tree_sums "$T/ref" > "$T/ref.sums"
n=0
for ((k = 2; k <= OPS; k += 7)); do
    rm -rf "$T/run"
    PMP_FAULT=kill@$k "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/run" "$T/in.jsonl" 2>/dev/null &
    wait $!
    [ $? -eq 137 ] || fail "kill@$k: expected death by SIGKILL"
    "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "$T/in.jsonl" || fail "resume after kill@$k"
    tree_sums "$T/run" > "$T/got.sums"
    cmp -s "$T/ref.sums" "$T/got.sums" || { diff "$T/ref.sums" "$T/got.sums" | head; fail "kill@$k + resume differs"; }
    n=$((n + 1))
done
echo "kill points resumed: $n of $OPS"
# a pair directory resumed as text (and back) is refused
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --resume -o "$T/ref" "$T/in.jsonl" 2> "$T/err" && fail "pair resume of a text run accepted"
grep -q -- "--text" "$T/err" || fail "the refusal should name --text: $(cat "$T/err")"

# the LM trains on documents and reports its held-out loss; rank is refused
M=(--layers 1 --heads 2 --width 16 --context 16 --batch-pairs 4 --threads 1)
"$BIN/pmp-train" "${M[@]}" --objective lm --data "$T/ref" --eval "$T/ref/eval" --steps 6 --out "$T/lm" -q --json 2> "$T/lm.json" ||
    fail "lm on text: $(cat "$T/lm.json")"
python3 - "$T/lm.json" "$(tok "$T/ref.json" eval_tokens)" "$(tok "$T/ref.json" eval_groups)" <<'PY' || fail "lm eval on text"
import json, math, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
tokens, docs = int(sys.argv[2]), int(sys.argv[3])
# every document of the eval split, each predicting all but its first token
assert r["eval_lm_tokens"] == tokens - docs, (r["eval_lm_tokens"], tokens, docs)
assert 0 < r["eval_lm_loss"] < math.log(271) + 1, r
print("lm on text: eval loss %.3f over %d tokens" % (r["eval_lm_loss"], r["eval_lm_tokens"]))
PY
"$BIN/pmp-train" "${M[@]}" --objective rank --data "$T/ref" --steps 1 --out "$T/rank" -q 2> "$T/err" && fail "rank on text accepted"
grep -q "only --objective lm" "$T/err" || fail "rank refusal: $(cat "$T/err")"
echo "text mode: ok"
