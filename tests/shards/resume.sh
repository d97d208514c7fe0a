#!/bin/bash
# Durability: a run killed at the N-th durability-relevant I/O call (PMP_FAULT=kill@N,
# SIGKILL) or by a real kill -9, then continued with --resume, must finish with
# exactly the bytes of an uninterrupted run (sha256 of every file). A full disk
# (PMP_FAULT=enospc@N) must fail with a message naming the file, leave only
# listed, verifiable shards, and be resumable too.
# Usage: resume.sh [STEP]   (STEP 1 = kill at every N; larger = a spread)
. "$(dirname "$0")/lib.sh"
STEP=${1:-1}
ENOSPC_STEP=${2:-7}
T=$PMP_TMP
rm -rf "$T"; mkdir -p "$T"
make_tokenizer "$T/tok.tiktoken"
gen_groups 150 11 > "$T/in.jsonl"
ARGS=(-q -t "$T/tok.tiktoken" --shard-size 24K --split eval=0.3 --max-pairs-per-group 3)

"$BIN/pmp-tokenize" "${ARGS[@]}" --json -o "$T/ref" "$T/in.jsonl" 2> "$T/ref.json" ||
    fail "reference run"
OPS=$(sed -n 's/.*"io_ops":\([0-9]*\).*/\1/p' "$T/ref.json")
[ "${OPS:-0}" -gt 20 ] || fail "expected a run with many I/O calls, got '$OPS'"
[ "$(ls "$T/ref" | grep -c '^shard-')" -ge 3 ] || fail "expected several train shards"
[ -d "$T/ref/eval" ] || fail "no eval split"
tree_sums "$T/ref" > "$T/ref.sums"
"$BIN/pmp-shard" verify -q "$T/ref" "$T/ref/eval" || fail "reference does not verify"

check_same() {   # $1 = dir, $2 = what
    tree_sums "$1" > "$T/got.sums"
    cmp -s "$T/ref.sums" "$T/got.sums" || { diff "$T/ref.sums" "$T/got.sums" | head; fail "$2: differs"; }
}

# 1. Kill at the N-th call, resume, compare.
n=0
for ((k = 1; k <= OPS; k += STEP)); do
    rm -rf "$T/run"
    PMP_FAULT=kill@$k "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/run" "$T/in.jsonl" 2>/dev/null &
    wait $!
    rc=$?
    [ $rc -eq 137 ] || fail "kill@$k: expected death by SIGKILL, exit $rc"
    "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "$T/in.jsonl" || fail "resume after kill@$k"
    check_same "$T/run" "kill@$k + resume"
    n=$((n + 1))
done
echo "kill points resumed: $n of $OPS"

# 2. Killed twice in a row, then resumed.
rm -rf "$T/run"
PMP_FAULT=kill@$((OPS / 3)) "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/run" "$T/in.jsonl" 2>/dev/null &
wait $!
PMP_FAULT=kill@$((OPS / 3)) "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "$T/in.jsonl" 2>/dev/null &
wait $!
grep -q '"complete": false' "$T/run/manifest.json" || fail "the second kill did not interrupt the run"
"$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "$T/in.jsonl" || fail "resume after two kills"
check_same "$T/run" "two kills + resume"

# 3. Real kill -9 at random moments of a longer run.
gen_groups 3000 5 > "$T/big.jsonl"
"$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/bigref" "$T/big.jsonl" || fail "big reference"
tree_sums "$T/bigref" > "$T/ref.sums"
DELAYS=${KILL_DELAYS:-0.1 0.3}
killed=0
for delay in $DELAYS; do
    rm -rf "$T/run"
    "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/run" "$T/big.jsonl" &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ -f "$T/run/manifest.json" ] && grep -q '"complete": true' "$T/run/manifest.json" || killed=$((killed + 1))
    "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "$T/big.jsonl" || fail "resume after kill -9 at ${delay}s"
    check_same "$T/run" "kill -9 at ${delay}s + resume"
done
echo "kill -9 runs resumed: $(echo $DELAYS | wc -w) ($killed interrupted before the end)"
[ $killed -ge 1 ] || fail "no kill -9 landed before the end of the run"

# 4. ENOSPC at a spread of calls: clear error, nothing unlisted, resumable.
tree_sums "$T/ref" > "$T/ref.sums"
m=0
for ((k = 1; k <= OPS; k += ENOSPC_STEP)); do
    rm -rf "$T/run"
    PMP_FAULT=enospc@$k "$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/run" "$T/in.jsonl" 2> "$T/err"
    rc=$?
    [ $rc -eq 1 ] || fail "enospc@$k: expected exit 1, got $rc"
    grep -q "No space left on device" "$T/err" || fail "enospc@$k: message: $(cat "$T/err")"
    grep -q "$T/run" "$T/err" || fail "enospc@$k: the message does not name the file: $(cat "$T/err")"
    for d in "$T/run" "$T/run/eval"; do
        [ -d "$d" ] || continue
        if [ -f "$d/manifest.json" ]; then
            # an interrupted run's directory is INCOMPLETE (exit 1), its shards whole
            "$BIN/pmp-shard" verify -q "$d" 2> "$T/verr" ||
                grep -q "INCOMPLETE: .* written so far verify" "$T/verr" ||
                fail "enospc@$k: $d does not verify: $(cat "$T/verr")"
            grep -q "not listed" "$T/verr" && fail "enospc@$k: unlisted files: $(cat "$T/verr")"
        else
            ls "$d" | grep -v '\.tmp$' | grep -q '^shard-' && fail "enospc@$k: shards without a manifest in $d"
        fi
    done
    "$BIN/pmp-tokenize" "${ARGS[@]}" --resume -o "$T/run" "$T/in.jsonl" || fail "resume after enospc@$k"
    check_same "$T/run" "enospc@$k + resume"
    m=$((m + 1))
done
echo "enospc points checked: $m"

# 5. A non-empty directory is refused without --resume or --force.
"$BIN/pmp-tokenize" "${ARGS[@]}" -o "$T/ref" "$T/in.jsonl" 2>/dev/null && fail "wrote into a non-empty dir"
"$BIN/pmp-tokenize" "${ARGS[@]}" --force -o "$T/run" "$T/in.jsonl" || fail "--force"
check_same "$T/run" "--force rerun"
echo "ok"
