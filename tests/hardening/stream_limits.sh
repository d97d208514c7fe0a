#!/bin/bash
# Inputs that used to end as a complete-looking shard directory or a blown-up process:
#  - a line longer than --max-line-bytes is an error naming file:line (or, with
#    --skip-bad, skipped and counted), and memory stays near the bound (before: one
#    100 MB line took 3.0 GB and 133 s);
#  - an input with no groups is refused unless --allow-empty;
#  - a corrupted .zst in `pmp-extract | pmp-tokenize` WITHOUT pipefail: the extractor
#    ends its output with a {"pmp_error": ...} line, so pmp-tokenize fails too and
#    nothing is marked complete (before: a complete shard directory of what came out).
. "$PMP_SRC/tests/shards/lib.sh"
T=$PMP_TMP; rm -rf "$T"; mkdir -p "$T"; cd "$T"
X="$PMP_BIN/pmp-extract"; TOK="$PMP_BIN/pmp-tokenize"
make_tokenizer tok.tiktoken
SANITIZED=$(ldd "$TOK" 2>/dev/null | grep -c libasan || true)

# 1. a 20 MB line among normal ones
gen_groups 20 3 > small.jsonl
python3 -c '
import json
t = "word " * (4 << 20)
print(json.dumps({"source": "x", "id": "long", "context": "q",
                  "responses": [{"text": t, "score": 1}, {"text": "short", "score": 0}]}))' > long.jsonl
{ head -n 10 small.jsonl; cat long.jsonl; tail -n 10 small.jsonl; } > mixed.jsonl
if "$TOK" -q -t tok.tiktoken --max-line-bytes 4M -o a mixed.jsonl 2> a.err; then fail "a 20 MB line over a 4M bound accepted"; fi
grep -q "mixed.jsonl:11: line longer than --max-line-bytes (4194304 bytes)" a.err || { cat a.err; fail "unclear long-line error"; }
grep -qs '"complete": true' a/manifest.json && fail "a failed run is marked complete"
"$TOK" -q -t tok.tiktoken --max-line-bytes 4M --skip-bad --json -o b mixed.jsonl 2> b.json || { cat b.json; fail "--skip-bad over a long line"; }
grep -q '"bad_lines":1,' b.json || { cat b.json; fail "the long line should be counted as bad"; }
grep -q '"groups_read":20,' b.json || fail "the 20 normal groups should be read"
rss=$(sed -n 's/.*"peak_rss_mb":\([0-9]*\).*/\1/p' b.json)
if [ "$SANITIZED" = 0 ] && [ "${rss:-999}" -gt 64 ]; then fail "peak RSS $rss MB over a 4 MB line bound"; fi
# the default bound (64M) takes the 20 MB line
"$TOK" -q -t tok.tiktoken -o c mixed.jsonl || fail "the default --max-line-bytes refused a 20 MB line"
# the bound holds through a compressed input and for a last line without a newline
head -c -1 long.jsonl | zstd -q -c > long.zst
if "$TOK" -q -t tok.tiktoken --max-line-bytes 1M -o d long.zst 2> d.err; then fail "a long last line accepted"; fi
grep -q "long.zst:1: line longer" d.err || { cat d.err; fail "long last line of a .zst"; }

# every line reader is bounded (256 MiB) without a flag: 1.9 KB of bzip2 that decodes
# to 2.5 GB without a newline made pmp-extract hh allocate until out of memory
if "$X" hh --json "$PMP_SRC/tests/fuzz/seeds/fuzz_input/bomb-2500M-no-newline.bz2" > /dev/null 2> bomb.err; then
  fail "a 2.5 GB line accepted"; fi
grep -q "bz2:1: line longer than 268435456 bytes" bomb.err || { cat bomb.err; fail "unclear error for a line bomb"; }

# 2. no groups at all
: > empty.jsonl
if "$TOK" -q -t tok.tiktoken -o e empty.jsonl 2> e.err; then fail "an empty input accepted"; fi
grep -q "no groups in the input" e.err || { cat e.err; fail "unclear empty-input error"; }
grep -q "pipefail" e.err || fail "the empty-input error should mention pipefail"
grep -qs '"complete": true' e/manifest.json && fail "an empty input was marked complete"
"$TOK" -q -t tok.tiktoken --allow-empty -o f empty.jsonl || fail "--allow-empty"
grep -q '"complete": true' f/manifest.json || fail "--allow-empty should write a complete directory"

# 3. a corrupted dump in a pipe without pipefail
set +o pipefail
cp "$PMP_SRC/samples/reddit/RC_sample.ndjson.zst" bad.zst
size=$(wc -c < bad.zst)
printf '\x55\xaa\x55' | dd of=bad.zst bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
zstd -t -q bad.zst 2>/dev/null && fail "the damage did not break the frame (test is stale)"
if "$X" reddit -q bad.zst 2>/dev/null | "$TOK" -q -t tok.tiktoken --skip-bad -o g - 2> g.err; then
  fail "a pipe from a failed extraction ended with exit 0"
fi
grep -q "the stage that wrote this input failed" g.err || { cat g.err; fail "pmp-tokenize does not say the upstream failed"; }
grep -qs '"complete": true' g/manifest.json && fail "a failed pipe left a complete-looking directory"
echo "limits: long lines, empty input and a failed upstream stop pmp-tokenize"
