#!/bin/bash
# The scale-out recipe of docs/scaling.md on one host: several dump files extracted and
# tokenized in parallel (GNU parallel, else xargs -P), one shard directory each, then
# `pmp-shard merge`; against one sequential run over the same files: the same pairs
# (decoded, as sets) in train and in eval, the same counts in the manifests, and merge
# itself deterministic (two merges, the same bytes).
set -euo pipefail
B="$PMP_BIN"; D="${PMP_SHARED:-/nonexistent}"; T="$PMP_TMP"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -d "$D/stackexchange" ] || { echo "skip: no shared data"; exit 77; }
rm -rf "$T"; mkdir -p "$T"; cd "$T"
SE="$D/stackexchange"
FILES="$SE/beer.stackexchange.com-2020-Posts.xml $SE/coffee.stackexchange.com-2015-Posts.xml
$SE/dba.meta.stackexchange.com-Posts.xml $SE/cardano.stackexchange.com-Posts.xml"
"$B/pmp-bpe" convert -q -t "$D/bpe/gpt2" -o tok.json
TOK="--tokenizer $PWD/tok.json --split eval=0.1 --max-context-tokens 128 --max-response-tokens 64"
# one task per file, as a Slurm array would run them
task() { "$B/pmp-extract" stackexchange -q "$1" | "$B/pmp-tokenize" -q $TOK -o "part-$(basename "$1" .xml)" -; }
export -f task; export B TOK
if command -v parallel >/dev/null 2>&1; then
  printf '%s\n' $FILES | parallel -j 2 --halt now,fail=1 task {} || fail "GNU parallel tasks"
  echo "ran with GNU parallel"
else
  printf '%s\n' $FILES | xargs -P 2 -I{} bash -c 'task {}' || fail "xargs tasks"
  echo "ran with xargs -P 2 (GNU parallel not installed)"
fi
parts=$(for f in $FILES; do echo "part-$(basename "$f" .xml)"; done)
"$B/pmp-shard" merge -q $parts -o merged || fail "merge"
"$B/pmp-shard" merge -q $parts -o merged2 || fail "second merge"
diff -r merged merged2 > /dev/null || fail "two merges of the same directories differ"
"$B/pmp-shard" verify -q merged merged/eval || fail "merged shards do not verify"
# one sequential run over the same files
"$B/pmp-extract" stackexchange -q $FILES | "$B/pmp-tokenize" -q $TOK -o seq - || fail "sequential run"
for sub in "" /eval; do
  "$B/pmp-shard" cat -q "merged$sub" | sort > m.txt
  "$B/pmp-shard" cat -q "seq$sub" | sort > s.txt
  [ -s s.txt ] || fail "the sequential run wrote no groups in seq$sub"
  cmp -s m.txt s.txt || fail "merged$sub and seq$sub hold different groups ($(wc -l < m.txt) vs $(wc -l < s.txt))"
done
/usr/bin/python3 - merged/manifest.json seq/manifest.json <<'PYEOF' || fail "manifest counts"
import json, sys
m, s = (json.load(open(f))["stats"] for f in sys.argv[1:3])
for k in ("groups", "pairs", "tokens"):
    assert m.get(k) == s.get(k), (k, m.get(k), s.get(k))
print(f"ok: {m['groups']} groups, {m['pairs']} pairs, {m['tokens']} tokens both ways")
PYEOF
# a tokenizer mismatch is refused
"$B/pmp-extract" stackexchange -q "$SE/beer.stackexchange.com-2020-Posts.xml" |
  "$B/pmp-tokenize" -q --tokenizer "$D/bpe/cl100k_base.tiktoken" -o other -
if "$B/pmp-shard" merge -q merged other -o bad 2> bad.err; then fail "merge across tokenizers accepted"; fi
echo ok
