#!/bin/sh
# `pmp-train score RUN --text GROUPS.jsonl`: every response of every group scored.
# Against `pmp-train score --data` on the shards pmp-tokenize made from the same
# groups (its cuts taken from their manifest): the same reward for each pair's two
# responses wherever the pair fits the model's context; ids and order as in the
# input; stdin; a bad line named FILE:LINE with a non-zero exit.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x $PY ] || { echo "skip: no /usr/bin/python3"; exit 77; }
"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > hh.jsonl
"$B/pmp-extract" stackexchange -q "$PMP_SRC/samples/stackexchange/cooking.example.com/Posts.xml" > se.jsonl
cat hh.jsonl se.jsonl > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 400 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
# cuts in the shards (contexts of 40 tokens and responses of 60 at most), within the model's context
"$B/pmp-tokenize" -q --tokenizer tok.json --max-context-tokens 40 --max-response-tokens 60 -o shards groups.jsonl
"$B/pmp-train" --layers 2 --heads 2 --width 32 --context 128 --batch-pairs 4 --steps 10 --lr 1e-3 \
  --data shards --out run -q
"$B/pmp-train" score run --data shards --tokens -q > pairs.jsonl
"$B/pmp-train" score run --text groups.jsonl --json 2> text.json > text.jsonl || { cat text.json; fail "score --text"; }
grep -q "\"groups\":$(wc -l < groups.jsonl)," text.json || fail "summary: $(cat text.json)"
$PY - groups.jsonl text.jsonl pairs.jsonl <<'PYEOF' || fail "rewards"
import json, sys
groups = [json.loads(l) for l in open(sys.argv[1])]
text = [json.loads(l) for l in open(sys.argv[2])]
assert [t["group"] for t in text] == [g["id"] for g in groups], "one line per group, in input order"
for g, t in zip(groups, text):
    assert len(t["rewards"]) == len(g["responses"]), g["id"]
    assert t["ids"] == [r.get("id") for r in g["responses"]], g["id"]
by_group = {t["group"]: t for t in text}
checked = skipped = 0
for l in open(sys.argv[3]):
    p = json.loads(l)
    if max(len(p["better_tokens"]), len(p["worse_tokens"])) >= 128:
        skipped += 1   # the model's context cut this pair: its context fits the longer response
        continue
    t = by_group[p["group"]]
    for side in ("better", "worse"):
        ours = t["rewards"][p[side + "_index"]]
        if abs(ours - p[side]) > 1e-5 * max(1.0, abs(p[side])):
            sys.exit(f"{p['group']} {side}: --text {ours}, shards {p[side]}")
        checked += 1
assert checked == 22 and skipped == 0, (checked, skipped)
print(f"ok: {checked} rewards equal to the shards' ({skipped} pairs cut by the model's context not compared)")
PYEOF
# without the manifest's cuts the contexts longer than 40 tokens read differently
"$B/pmp-train" score run --text groups.jsonl --max-context-tokens 0 -q > uncut.jsonl
cmp -s uncut.jsonl text.jsonl && fail "--max-context-tokens 0 should change the rewards of the long contexts"
# stdin, and the tokenizer given as a file (then only the model's context cuts)
"$B/pmp-train" score run --text - --tokenizer tok.json -q < hh.jsonl > stdin.jsonl || fail "--text -"
[ "$(wc -l < stdin.jsonl)" -eq "$(wc -l < hh.jsonl)" ] || fail "--text - should score every group"
# a bad line: FILE:LINE, non-zero exit
{ head -n 2 hh.jsonl; echo '{"source":"x","id":"y","context":"c","responses":[{"text":1}]}'; } > bad.jsonl
if "$B/pmp-train" score run --text bad.jsonl -q > /dev/null 2> bad.err; then fail "a bad line accepted"; fi
grep -q "bad.jsonl:3" bad.err || fail "the error should name bad.jsonl:3: $(cat bad.err)"
echo ok
