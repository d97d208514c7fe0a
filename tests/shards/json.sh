#!/bin/bash
# --json of pmp-shard info / verify / stats and pmp-bpe info: one JSON object on stdout
# each, with the numbers an independent reading gives (Python over the input groups and
# manifest.json); verify --json of a damaged directory says "failed" and exits 1.
. "$(dirname "$0")/lib.sh"
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
gen_groups 80 3 > "$T/in.jsonl"
"$BIN/pmp-tokenize" -q -t "$T/tok.tiktoken" --split eval=0.25 -o "$T/d" "$T/in.jsonl" || fail "tokenize"
"$BIN/pmp-shard" info --json "$T/d" "$T/d/eval" > "$T/info.json" || fail "info --json"
"$BIN/pmp-shard" verify --json "$T/d" > "$T/verify.json" || fail "verify --json"
"$BIN/pmp-shard" stats --json "$T/d" "$T/d/eval" > "$T/stats.json" || fail "stats --json"
"$BIN/pmp-bpe" info --json "$T/tok.tiktoken" > "$T/bpe.json" || fail "pmp-bpe info --json"
python3 - "$T" <<'PY' || fail "--json values"
import json, sys
T = sys.argv[1]
groups = [json.loads(l) for l in open(T + "/in.jsonl", encoding="utf-8")]
info = [json.loads(l) for l in open(T + "/info.json")]
assert [i["dir"] for i in info] == [T + "/d", T + "/d/eval"]
for i in info:
    man = json.load(open(i["dir"] + "/manifest.json"))
    assert i["stats"] == {**man["stats"]}, (i["stats"], man["stats"])
    assert i["shards"] == len(man["shards"]) and i["bytes"] == sum(s["bytes"] for s in man["shards"])
    assert i["kind"] == "pairs" and i["complete"] is True and i["tokenizer"]["vocab_size"] == 271
assert sum(i["stats"]["groups"] for i in info) == len(groups)
assert sum(i["stats"]["responses"] for i in info) == sum(len(g["responses"]) for g in groups)
v = [json.loads(l) for l in open(T + "/verify.json")]
assert len(v) == 1 and v[0]["verify"] == "ok" and v[0]["stats"] == info[0]["stats"]
st = json.loads(open(T + "/stats.json").read())
assert st["context_tokens"]["count"] == len(groups)
assert st["response_tokens"]["count"] == sum(len(g["responses"]) for g in groups)
assert sum(b["n"] for b in st["response_tokens"]["buckets"]) == st["response_tokens"]["count"]
assert sum(st["pairs_per_group"]) == len(groups)
assert sum(k * n for k, n in enumerate(st["pairs_per_group"])) == sum(i["stats"]["pairs"] for i in info)
b = json.loads(open(T + "/bpe.json").read())
assert b["vocab_size"] == 271 and b["identity"].startswith("bpe1:") and b["identity"] == info[0]["tokenizer"]["identity"]
print("json: info, verify, stats, pmp-bpe info agree with the input and manifests")
PY
# damage a shard: verify --json reports it and fails
f=$(ls "$T/d"/shard-*.pmps | head -1)
printf 'X' | dd of="$f" bs=1 seek=40 conv=notrunc 2>/dev/null
"$BIN/pmp-shard" verify --json "$T/d" > "$T/bad.json" 2> "$T/bad.err" && fail "verify --json of a damaged shard exited 0"
grep -q '"verify":"failed"' "$T/bad.json" || fail "no failed record: $(cat "$T/bad.json")"
grep -q "$(basename "$f")" "$T/bad.err" || fail "the error should name the shard"
echo "json: ok"
