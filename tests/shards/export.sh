#!/bin/bash
# pmp-shard export --format trl|shp|h4: the stored pairs as text. Without truncation the
# texts are the input's own, so an independent reading of the input groups (Python's
# json) and of each pair's indices (`pmp-shard pair`) must give the same rows; -o writes
# FILE.tmp and renames it only when complete.
. "$(dirname "$0")/lib.sh"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
gen_groups 60 9 > "$T/in.jsonl"
"$BIN/pmp-extract" stackexchange -q --votes "$PMP_SRC/samples/stackexchange/cooking.example.com/Votes.xml" \
    "$PMP_SRC/samples/stackexchange/cooking.example.com/Posts.xml" >> "$T/in.jsonl" || fail "extract"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --max-pairs-per-group 3 -o "$T/d" "$T/in.jsonl" || fail "tokenize"
np=$("$BIN/pmp-shard" info --json "$T/d" | sed -n 's/.*"pairs":\([0-9]*\).*/\1/p')
for ((k = 0; k < np; k++)); do "$BIN/pmp-shard" pair "$T/d" $k; done > "$T/pairs.jsonl"
for f in trl shp h4; do
    "$BIN/pmp-shard" export -q --format $f -o "$T/$f.jsonl" "$T/d" || fail "export --format $f"
    [ ! -e "$T/$f.jsonl.tmp" ] || fail "$f: temporary file left"
done
python3 - "$T" <<'PY' || fail "export rows differ from the input"
import json, sys
T = sys.argv[1]
groups = {g["id"]: g for g in map(json.loads, open(T + "/in.jsonl", encoding="utf-8"))}
pairs = [json.loads(l) for l in open(T + "/pairs.jsonl")]
trl = [json.loads(l) for l in open(T + "/trl.jsonl", encoding="utf-8")]
shp = [json.loads(l) for l in open(T + "/shp.jsonl", encoding="utf-8")]
h4 = [json.loads(l) for l in open(T + "/h4.jsonl", encoding="utf-8")]
assert len(trl) == len(shp) == len(pairs) > 0, (len(trl), len(shp), len(pairs))
for p, t, s in zip(pairs, trl, shp):
    g = groups[p["group"]]
    b, w = g["responses"][p["better"]], g["responses"][p["worse"]]
    assert t["group"] == s["post_id"] == g["id"] and t["source"] == s["domain"] == g["source"]
    assert t["prompt"] == s["history"] == g["context"]
    assert (t["chosen"], t["rejected"]) == (b["text"], w["text"]), t
    assert (t["score_chosen"], t["score_rejected"]) == (b["score"], w["score"])
    assert t["chosen_id"] == b.get("id") and t["rejected_id"] == w.get("id")
    a, z = sorted((p["better"], p["worse"]))
    assert (s["human_ref_A"], s["human_ref_B"]) == (g["responses"][a]["text"], g["responses"][z]["text"])
    assert s["labels"] == (1 if a == p["better"] else 0)
    assert (s["score_A"], s["score_B"]) == (g["responses"][a]["score"], g["responses"][z]["score"])
assert len({s["labels"] for s in shp}) == 2, "labels should not all be the same"
assert [h["qid"] for h in h4] == list(groups), "h4: one row a group, in input order"
n_selected = 0
for h in h4:
    g = groups[h["qid"]]
    assert h["question"] == g["context"]
    assert [(a["answer_id"], a["text"], a["pm_score"]) for a in h["answers"]] == \
           [(r.get("id"), r["text"], r["score"]) for r in g["responses"]]
    acc = (g.get("meta") or {}).get("accepted")
    for a in h["answers"]:
        assert a["selected"] == (acc is not None and a["answer_id"] == acc)
        n_selected += a["selected"]
assert n_selected >= 1, "the sample's accepted answers should be selected"
print("export: %d pairs (trl, shp), %d groups (h4), %d selected answers" % (len(trl), len(h4), n_selected))
PY
# a failed export leaves no output file
"$BIN/pmp-shard" export -q --format trl -o "$T/bad.jsonl" "$T/d" "$T/nonexistent" 2>/dev/null && fail "export of a missing dir succeeded"
[ ! -e "$T/bad.jsonl" ] && [ ! -e "$T/bad.jsonl.tmp" ] || fail "a failed export left a file"
"$BIN/pmp-shard" export -q --format xyz "$T/d" 2>/dev/null; [ $? -eq 2 ] || fail "bad --format: expected exit 2"
echo "export: ok"
