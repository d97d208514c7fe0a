#!/bin/sh
# manifest.json checks itself: an edited total, policy, split, cursor, tokenizer size
# or source count, and text after the JSON, are refused by `pmp-shard verify` (and by
# every tool that loads the manifest); white space does not matter. Before: verify
# printed `ok` with the edited totals, and accepted appended text.
set -eu
B="$PMP_BIN"; T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"; cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$B/pmp-extract" hh -q "$PMP_SRC/samples/hh/sample.jsonl.gz" > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 300 --special '<|endoftext|>' --groups -o tok.json groups.jsonl
"$B/pmp-tokenize" -q -t tok.json -o shards groups.jsonl
"$B/pmp-shard" verify -q shards || fail "a fresh directory does not verify"
grep -q '"manifest_xxh64"' shards/manifest.json || fail "no manifest_xxh64 written"
n=0
for edit in 's/"pairs": [0-9]*/"pairs": 999/' 's/"tokens": [0-9]*,/"tokens": 5,/' \
            's/"responses": [0-9]*/"responses": 3/' 's/{"hh": [0-9]*}/{"hh": 1}/' \
            's/"vocab_size": [0-9]*/"vocab_size": 301/' 's/"split": "train"/"split": "eval"/' \
            's/"max_pairs_per_group": [0-9]*/"max_pairs_per_group": 2/' 's/"cursor": [0-9]*/"cursor": 1/' \
            's/"complete": true/"complete": false/' 's/"manifest_xxh64": "\(.\)/"manifest_xxh64": "f/'; do
  rm -rf e; cp -r shards e
  sed -i "$edit" e/manifest.json
  cmp -s shards/manifest.json e/manifest.json && fail "edit '$edit' changed nothing (test is stale)"
  if "$B/pmp-shard" verify -q e 2> e.err; then fail "verify accepted the edit '$edit'"; fi
  grep -q "manifest" e.err || { cat e.err; fail "edit '$edit': the error does not name the manifest"; }
  if "$B/pmp-shard" info e > /dev/null 2>&1; then fail "info accepted the edit '$edit'"; fi
  n=$((n + 1))
done
rm -rf e; cp -r shards e; echo 'garbage' >> e/manifest.json
if "$B/pmp-shard" verify -q e 2> e.err; then fail "verify accepted text after the JSON"; fi
grep -q "text after the JSON" e.err || { cat e.err; fail "unclear error for appended text"; }
# white space is not content: re-indented, it still verifies
rm -rf e; cp -r shards e
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(d, open(sys.argv[1], "w"), indent=1)' e/manifest.json
"$B/pmp-shard" verify -q e || fail "a re-indented manifest is refused"
# (a consistent lie, edited and re-checksummed: test_manifest_totals)
# the tokenizer is found from any working directory (its path relative to the manifest)
grep -q '"relative_path": "../tok.json"' shards/manifest.json || fail "no relative tokenizer path"
(cd / && "$B/pmp-shard" cat "$T/shards" > "$T/cat.jsonl") || fail "pmp-shard cat from another directory"
[ -s cat.jsonl ] || fail "pmp-shard cat from another directory printed nothing"
echo "manifest: $n edits and appended text refused"
