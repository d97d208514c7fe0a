#!/bin/bash
# pmp-part.sh is installed beside the programs (cmake --install), and run from PATH
# without PMP_BIN it finds the installed pmp-extract and pmp-tokenize: one task end to
# end on samples/, its marker written, a second run skipped.
set -euo pipefail
B="$PMP_BIN"; D="${PMP_SHARED:-/nonexistent}"; T="$PMP_TMP"; S="$PMP_SRC"
[ -d "$D/bpe/gpt2" ] || { echo "skip: no shared data (tokenizer)"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$T"; mkdir -p "$T"; cd "$T"
cmake --install "$B/.." --prefix "$T/prefix" > install.log || fail "cmake --install (install.log)"
P="$T/prefix/bin"
[ -x "$P/pmp-part.sh" ] || fail "no executable pmp-part.sh in $P"
cmp -s "$P/pmp-part.sh" "$S/scripts/pmp-part.sh" || fail "installed pmp-part.sh differs from scripts/"
"$B/pmp-bpe" convert -q -t "$D/bpe/gpt2" -o tok.json
run() { env -u PMP_BIN PATH="$P:/usr/bin:/bin" pmp-part.sh "$@"; }
set +e; run > /dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "no arguments: exit $rc, want 2"
SE="$S/samples/stackexchange/cooking.example.com"
run parts cooking -- stackexchange -q --votes "$SE/Votes.xml" "$SE/Posts.xml" -- -q -j 1 -t "$T/tok.json" \
    || fail "the task failed"
[ -f parts/cooking.done ] && [ -f parts/cooking/manifest.json ] || fail "no marker or no manifest"
# the same groups as the build tree's programs give
"$B/pmp-extract" stackexchange -q --votes "$SE/Votes.xml" "$SE/Posts.xml" > ref.jsonl
cmp -s ref.jsonl parts/cooking.jsonl || fail "the installed task's groups differ from pmp-extract's"
before=$(stat -c %Y parts/cooking/manifest.json)
sleep 1; run parts cooking -- stackexchange -q "$SE/Posts.xml" -- -q -t "$T/tok.json" || fail "rerun"
[ "$(stat -c %Y parts/cooking/manifest.json)" = "$before" ] || fail "a finished task ran again"
echo "ok: pmp-part.sh installed in bin/ and runs the installed programs"
