#!/bin/sh
# Issue 29: a shard directory whose pmp-tokenize did not finish is INCOMPLETE: `info` and
# `verify` say so and exit 1, every other reader refuses it. Before: after a kill -9 of
# pmp-tokenize, `pmp-shard verify` exited 0 ("ok ... (run not complete)") and
# `export --format trl` exited 0 with part of the pairs and no warning.
. "$PMP_SRC/tests/hardening/lib.sh"
setup_shards
PMP_FAULT=kill@12 "$B/pmp-tokenize" -q -t tok.json --shard-size 4K -o k groups.jsonl 2>/dev/null &
wait $! || true
grep -q '"complete": false' k/manifest.json || fail "the kill did not leave an incomplete run"
expect_refused "verify" "INCOMPLETE" "$B/pmp-shard" verify k
expect_refused "verify --json" "INCOMPLETE" "$B/pmp-shard" verify --json k
grep -q '"verify":"incomplete"' out.txt || fail "verify --json: $(cat out.txt)"
expect_refused "info" "INCOMPLETE" "$B/pmp-shard" info k
grep -q "INCOMPLETE" out.txt || fail "info does not print INCOMPLETE"
for cmd in "cat" "head -n 1" "stats"; do
    expect_refused "$cmd" "INCOMPLETE" "$B/pmp-shard" $cmd k
done
expect_refused "pair" "INCOMPLETE" "$B/pmp-shard" pair k 0
expect_refused "export" "INCOMPLETE" "$B/pmp-shard" export --format trl k
expect_refused "export -o FILE" "INCOMPLETE" "$B/pmp-shard" export --format trl -o k.jsonl k
[ ! -e k.jsonl ] || fail "export left k.jsonl"
expect_refused "merge" "INCOMPLETE" "$B/pmp-shard" merge k other -o m
expect_refused "train" "INCOMPLETE" "$B/pmp-train" $SMALL --data k --steps 1 --out run -q
# --resume finishes it; then every reader takes it
"$B/pmp-tokenize" -q -t tok.json --shard-size 4K --resume -o k groups.jsonl || fail "--resume"
"$B/pmp-shard" verify -q k || fail "the resumed directory does not verify"
"$B/pmp-shard" info k > /dev/null || fail "info of the resumed directory"
"$B/pmp-shard" export --format trl k > /dev/null || fail "export of the resumed directory"
echo "an incomplete directory: INCOMPLETE from info and verify (exit 1), refused by the other readers"
