#!/bin/bash
# The README's command blocks run as written: every block that calls a pmp program is
# taken from README.md itself, the file names mapped to ../shared/data (or samples/) and the
# step counts cut so it takes seconds, then run with bash -e -o pipefail. A README command
# that no longer parses, or a flag that was renamed, fails here.
set -euo pipefail
D="${PMP_SHARED:-/nonexistent}"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
[ -d "$D/reddit" ] || { echo "no shared data: skip"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# the shell lines of blocks between ``` fences: those starting with pmp-, set or VAR=, or
# piping into a pmp- program
awk '/^```/{inb=!inb; if (!inb && blk != "") {print blk "\n#--"; blk=""} next}
     inb && (/^(pmp-|set -o|[A-Z_]+=)/ || /\| *pmp-/) {blk = blk $0 "\n"}' "$PMP_SRC/README.md" > "$T/blocks.sh"
n=$(grep -c '^#--' "$T/blocks.sh")
[ "$n" -ge 2 ] || fail "expected the pipe example and the whole-run example, found $n blocks"
grep -q 'pmp-extract reddit RC_2019-04.zst' "$T/blocks.sh" || fail "the headline pipe is gone from README.md"
# the README's names -> files here; long runs -> a few steps
sed -e "s#RC_2019-04.zst#$D/reddit/RC_2006-01.zst#g" \
    -e "s#gpt2/#$D/bpe/gpt2#g" \
    -e "s#cooking.stackexchange.com/Posts.xml#$D/stackexchange/beer.stackexchange.com-2020-Posts.xml#g" \
    -e "s#hh-rlhf-harmless-base-train.jsonl.gz#$D/hhh/hh-rlhf-harmless-base-test.jsonl.gz#g" \
    -e "s#--steps [0-9]*#--steps 2 --eval-pairs 8#g" \
    -e "s#--model tiny#--model tiny --context 64#g" \
    -e "s#^pmp-#\"\$PMP_BIN\"/pmp-#; s#| pmp-#| \"\$PMP_BIN\"/pmp-#g" "$T/blocks.sh" > "$T/run.sh"
# each block in a directory of its own, as a user would run them one at a time
awk -v T="$T" 'BEGIN{k=0} /^#--/{k++; next} {print > (T "/block" k ".sh")}' "$T/run.sh"
for ((k = 0; k < n; k++)); do
    mkdir -p "$T/b$k"
    cat "$T/block$k.sh"
    ( cd "$T/b$k" && PMP_BIN="$PMP_BIN" bash -e -o pipefail "$T/block$k.sh" ) > "$T/out$k" 2>&1 ||
        { tail -20 "$T/out$k"; fail "README block $k failed"; }
done
W="$T/b$((n - 1))"
for d in shards reddit-shards text runs/lm runs/se runs/se/tb runs/se-ft hhh-shards pm/model.safetensors rewards.jsonl; do
    [ -e "$W/$d" ] || fail "README run did not make $d"
done
grep -q '"mixture":"weighted"' "$W/runs/se/config.json" || fail "README run should mix its two sources by weight"
grep -q '"source_pairs":\[[0-9]*,[0-9]*\]' "$W/runs/se/log.jsonl" || fail "README run should log per-source counts" 
"$PMP_BIN/pmp-shard" verify -q "$T/b0/shards" "$W/shards" "$W/hhh-shards" || fail "README shards do not verify"
echo "README commands: $n blocks ran"
