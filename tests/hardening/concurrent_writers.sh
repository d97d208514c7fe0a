#!/bin/sh
# Issue 29: two writers of one directory never interleave. pmp-tokenize holds OUT/.lock
# (flock) as pmp-train holds RUN/lock, and both take it before writing anything.
# Before: two pmp-tokenize into one -o were not locked (once in nine tries one exited 0,
# the other 1, leaving a "complete" manifest whose shard-000000 was missing); a second
# pmp-train rewrote the running run's args.json before it found the lock taken.
. "$PMP_SRC/tests/hardening/lib.sh"
setup_shards
# A: a pmp-tokenize that holds its output directory, waiting for input on a FIFO
mkfifo in.fifo
exec 3<> in.fifo
"$B/pmp-tokenize" -q -t tok.json --shard-size 4K -o L in.fifo 2> a.err 3>&- &
a=$!
i=0; while [ ! -d L ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
# B: the same run into the same directory, while A is running
if "$B/pmp-tokenize" -q -t tok.json --shard-size 4K -o L groups.jsonl 2> b.err; then
    exec 3>&-; wait $a || true
    fail "a second pmp-tokenize into a directory being written exited 0"
fi
grep -q "being written by another pmp-tokenize" b.err || { exec 3>&-; fail "B: $(cat b.err)"; }
cat groups.jsonl >&3
exec 3>&-
wait $a || fail "A: $(cat a.err)"
"$B/pmp-shard" verify -q L || fail "the directory A wrote does not verify"
[ "$("$B/pmp-shard" cat L | wc -l)" -eq "$(wc -l < groups.jsonl)" ] || fail "A's groups are not all there"
# pmp-train: B must not touch the running run's args.json
"$B/pmp-train" $SMALL --data shards --steps 100000 --ckpt-every 0 --out run -q 2> ta.err &
ta=$!
i=0; while flock -n run/lock true 2>/dev/null || [ ! -e run/lock ]; do
    sleep 0.1; i=$((i + 1)); [ $i -lt 300 ] || { kill $ta; fail "the first pmp-train never took run/lock"; }
done
cp run/args.json args.before
if "$B/pmp-train" $SMALL --data shards --steps 5 --seed 9 --out run -q 2> tb.err; then
    kill $ta; fail "a second pmp-train on a locked run exited 0"
fi
kill $ta; wait $ta || true
grep -q "being trained by another pmp-train" tb.err || fail "B: $(cat tb.err)"
cmp -s args.before run/args.json || fail "the second pmp-train rewrote the running run's args.json: $(cat run/args.json)"
echo "two writers: the second pmp-tokenize and pmp-train refused before writing anything"
