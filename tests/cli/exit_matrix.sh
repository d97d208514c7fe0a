#!/bin/bash
# The exit-code matrix (issue 28): every program and subcommand, one case per kind of
# error it can meet (usage, bad input, missing file, corrupt file, no space, unsupported,
# mismatch), checking the exit status (2 for usage, 1 for everything else: README.md,
# "exit codes") and that the message names the file, and the line or offset where
# there is one. Inputs are the repository's samples/ and files made from them here.
# Usage: exit_matrix.sh [BIN_DIR]   (ctest passes PMP_BIN, PMP_SRC, PMP_TMP)
set -u
B="${1:-${PMP_BIN:?}}"
S="${PMP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
T="${PMP_TMP:-/tmp/pmp-cli-matrix}"
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
export OMP_NUM_THREADS=1
fails=0 n=0
# row KIND EXPECT REGEX CMD...: run CMD (stdout to $OUT, default /dev/null), want exit
# EXPECT and stderr matching the extended REGEX (empty: any).
row() {
  local kind="$1" want="$2" re="$3"; shift 3
  n=$((n + 1))
  timeout 60 "$@" > "${OUT:-/dev/null}" 2> err.txt < "${IN:-/dev/null}"
  local rc=$?
  local msg; msg=$(head -c 300 err.txt | tr '\n' ' ')
  if [ "$rc" != "$want" ] || { [ -n "$re" ] && ! grep -Eq -- "$re" err.txt; }; then
    printf 'FAIL %-11s exit %s (want %s)  %s\n      stderr: %s\n' "$kind" "$rc" "$want" "${*#$B/}" "$msg"
    fails=$((fails + 1))
  else
    printf 'ok   %-11s exit %s  %s\n' "$kind" "$rc" "$(echo "${*}" | sed "s#$B/##g; s#$T/##g; s#$S/##g" | cut -c1-90)"
  fi
}
die() { echo "matrix setup: $*" >&2; exit 1; }

# ---------- inputs ----------
SE="$S/samples/stackexchange/cooking.example.com"
"$B/pmp-extract" stackexchange -q --votes "$SE/Votes.xml" "$SE/Posts.xml" > se.jsonl || die "se extract"
"$B/pmp-extract" hh -q "$S/samples/hh/sample.jsonl.gz" > hh.jsonl || die "hh extract"
cat se.jsonl hh.jsonl > groups.jsonl
"$B/pmp-bpe" train -q --vocab-size 300 --special '<|endoftext|>' --groups -o tok.json groups.jsonl || die "bpe train"
"$B/pmp-tokenize" -q -t tok.json --split eval=0.3 -o shards groups.jsonl || die "tokenize"
"$B/pmp-train" -q --data shards --layers 1 --heads 1 --width 8 --context 64 --batch-pairs 2 \
  --steps 2 --ckpt-every 1 --threads 1 --out run || die "train"
printf '{"chosen": "a", "rejected": "b"}\n{"chosen": "a", "rejected": "b"}\n{"chosen": "a", "rej\n' > bad_hh.jsonl
head -c 300 "$S/samples/hh/sample.jsonl.gz" > cut_hh.jsonl.gz
printf '{"source":"x","id":"1","context":"c","responses":[{"text":"a","score":1},{"text":"b","score":0}]}\nnot json\n' > bad_groups.jsonl
head -n 6 "$SE/Posts.xml" > cut_Posts.xml; printf '<row Id="9" </posts>\n' >> cut_Posts.xml
printf '<!DOCTYPE posts SYSTEM "http://example.invalid/x.dtd">\n<posts></posts>\n' > dtd_Posts.xml
head -c 700 "$S/samples/reddit/RC_sample.ndjson.zst" > cut_RC.zst
{ head -n 2 "$S/samples/reddit/RS_sample.ndjson"; echo '{"id": '; } > RS_bad.ndjson
head -c 3000 "$S/samples/wikipedia/history.xml" > cut_history.xml
printf '{"model": {"type": "WordPiece", "vocab": {}}}\n' > wordpiece.json
printf '{"model": {"type": "BPE", "vocab": {"a": 0,\n "b": }}}\n' > broken_tok.json
printf '1 2 3\n999999\n' > bad.ids
cp -r shards corrupt_shards
f=$(ls corrupt_shards/*.pmps | head -n 1)
printf '\xff\xff\xff\xff' | dd of="$f" bs=1 seek=200 conv=notrunc status=none
cp -r shards short_shards; f=$(ls short_shards/*.pmps | head -n 1); truncate -s 100 "$f"
mkdir notshards
"$B/pmp-bpe" train -q --vocab-size 280 -o tok2.json groups.jsonl || die "bpe train 2"
"$B/pmp-tokenize" -q -t tok2.json -o shards2 hh.jsonl || die "tokenize 2"
mkdir nonempty; echo x > nonempty/file
cp -r run badrun; for c in badrun/checkpoints/*; do truncate -s 100 "$c"; done
printf 'lines\nof text\n' > text.txt
"$B/pmp-bpe" encode -q -t tok.json text.txt > good.ids || die "encode"

# ---------- pmp-extract: every source ----------
X="$B/pmp-extract"
row usage 2 "unknown source" "$X" nosuchsource
row usage 2 "" "$X" hh --no-such-flag
row missing 1 "missing.jsonl" "$X" hh missing.jsonl
row input 1 "bad_hh.jsonl:3" "$X" hh bad_hh.jsonl
row corrupt 1 "cut_hh.jsonl.gz" "$X" hh cut_hh.jsonl.gz
OUT=/dev/full row nospace 1 "<stdout>|No space" "$X" hh "$S/samples/hh/sample.jsonl.gz"
row usage 2 "--mem" "$X" stackexchange --mem lots "$SE/Posts.xml"
row usage 2 "" "$X" stackexchange --votes "$SE/Votes.xml" "$SE/Posts.xml" "$SE/Posts.xml"
row missing 1 "missing-Posts.xml" "$X" stackexchange missing-Posts.xml
row missing 1 "missing-Votes.xml" "$X" stackexchange --votes missing-Votes.xml "$SE/Posts.xml"
row input 1 "cut_Posts.xml:[0-9]+" "$X" stackexchange cut_Posts.xml
row input 1 "dtd_Posts.xml:1:.*DOCTYPE" "$X" stackexchange dtd_Posts.xml
OUT=/dev/full row nospace 1 "<stdout>|No space" "$X" stackexchange "$SE/Posts.xml"
row usage 2 "" "$X" reddit --min-score abc "$S/samples/reddit/RS_sample.ndjson"
row missing 1 "RC_missing.zst" "$X" reddit RC_missing.zst
row input 1 "RS_bad.ndjson:3" "$X" reddit RS_bad.ndjson
row corrupt 1 "cut_RC.zst" "$X" reddit cut_RC.zst
OUT=/dev/full row nospace 1 "<stdout>|No space" "$X" reddit "$S/samples/reddit/RS_sample.ndjson" "$S/samples/reddit/RC_sample.ndjson.zst"
row usage 2 "radius" "$X" wikipedia --radius 1 "$S/samples/wikipedia/history.xml"
row usage 2 "comment pattern" "$X" wikipedia --comment-pattern '(' "$S/samples/wikipedia/history.xml"
row missing 1 "missing.xml" "$X" wikipedia missing.xml
row input 1 "cut_history.xml.*(line|byte) [0-9]+" "$X" wikipedia cut_history.xml
OUT=/dev/full row nospace 1 "<stdout>|No space" "$X" wikipedia "$S/samples/wikipedia/history.xml"
OUT=/dev/full row nospace 1 "<stdout>.*No space" "$X" wikipedia --list-reverts "$S/samples/wikipedia/history.xml"

# ---------- pmp-bpe: every command ----------
P="$B/pmp-bpe"
row usage 2 "unknown command" "$P" nosuchcommand
row usage 2 "threads" "$P" encode --threads 0 -t tok.json text.txt
row usage 2 "threads" "$P" encode --threads 1e99 -t tok.json text.txt
row missing 1 "missing.json" "$P" encode -t missing.json text.txt
row missing 1 "missing.txt" "$P" encode -t tok.json missing.txt
row input 1 "broken_tok.json:2" "$P" encode -t broken_tok.json text.txt
row unsupported 1 "wordpiece.json.*WordPiece" "$P" encode -t wordpiece.json text.txt
OUT=/dev/full row nospace 1 "<stdout>|No space" "$P" encode -t tok.json text.txt
row usage 2 "" "$P" decode
row input 1 "bad.ids:2|line 2" "$P" decode -t tok.json bad.ids
row missing 1 "missing.ids" "$P" decode -t tok.json missing.ids
OUT=/dev/full row nospace 1 "<stdout>|No space" "$P" decode -t tok.json good.ids
row missing 1 "missing.json" "$P" info missing.json
row input 1 "broken_tok.json:2" "$P" info broken_tok.json
OUT=/dev/full row nospace 1 "<stdout>|No space" "$P" info tok.json
row usage 2 "vocab-size" "$P" train --vocab-size 10 -o t.json text.txt
row usage 2 "vocab-size" "$P" train --vocab-size nan -o t.json text.txt
row missing 1 "missing.txt" "$P" train --vocab-size 300 -o t.json missing.txt
row input 1 "bad_groups.jsonl:2" "$P" train --vocab-size 300 --groups -o t.json bad_groups.jsonl
row missing 1 "nodir/t.json" "$P" train --vocab-size 300 -o nodir/t.json text.txt
row usage 2 "" "$P" convert -t tok.json
row missing 1 "missing.json" "$P" convert -t missing.json -o t.json
row unsupported 1 "wordpiece.json" "$P" convert -t wordpiece.json -o t.json
row input 1 "broken_tok.json:2" "$P" convert -t broken_tok.json -o t.json

# ---------- pmp-tokenize ----------
K="$B/pmp-tokenize"
row usage 2 "--split" "$K" -t tok.json --split eval=nan -o o1 groups.jsonl
row usage 2 "--split" "$K" -t tok.json --split eval=1.5 -o o1 groups.jsonl
row usage 2 "--max-context-tokens" "$K" -t tok.json --max-context-tokens 99999999999999999999 -o o1 groups.jsonl
row usage 2 "--min-score-gap" "$K" -t tok.json --min-score-gap -1 -o o1 groups.jsonl
row usage 2 "not empty" "$K" -t tok.json -o nonempty groups.jsonl
row missing 1 "missing.json" "$K" -t missing.json -o o2 groups.jsonl
row missing 1 "missing.jsonl" "$K" -t tok.json -o o3 missing.jsonl
row input 1 "bad_groups.jsonl:2" "$K" -t tok.json -o o4 bad_groups.jsonl
row mismatch 1 "tokenizer" "$K" -t tok2.json --resume -o shards groups.jsonl

# ---------- pmp-shard: every command ----------
D="$B/pmp-shard"
row usage 2 "unknown command" "$D" nosuchcommand
for cmd in info verify cat head stats; do
  row usage 2 "" "$D" $cmd
  row missing 1 "missing_dir" "$D" $cmd missing_dir
  row input 1 "notshards.*manifest" "$D" $cmd notshards
done
row corrupt 1 "corrupt_shards/.*pmps" "$D" verify corrupt_shards
row corrupt 1 "short_shards/.*pmps" "$D" verify short_shards
row corrupt 1 "corrupt_shards/.*pmps" "$D" cat corrupt_shards
OUT=/dev/full row nospace 1 "<stdout>|No space" "$D" cat shards
OUT=/dev/full row nospace 1 "<stdout>|No space" "$D" info shards
row usage 2 "-n" "$D" head -n -1 shards
row usage 2 "pair number" "$D" pair shards x3
row usage 2 "pair number" "$D" pair shards 1e3
row input 1 "out of range" "$D" pair shards 999999999
row usage 2 "" "$D" merge shards
row mismatch 1 "tokenizer" "$D" merge -o merged shards shards2
row missing 1 "missing_dir" "$D" merge -o merged2 shards missing_dir
row usage 2 "" "$D" export shards
row usage 2 "format" "$D" export --format nosuch shards
row missing 1 "missing_dir" "$D" export --format trl missing_dir

# ---------- pmp-train and its commands ----------
R="$B/pmp-train"
row usage 2 "--layers" "$R" --data shards --out r1 --layers 4294967297 --heads 1 --width 8 --context 64
row usage 2 "--lr" "$R" --data shards --out r1 --lr nan
row usage 2 "--lr" "$R" --data shards --out r1 --lr -1
row usage 2 "--clip" "$R" --data shards --out r1 --clip inf
row usage 2 "--threads" "$R" --data shards --out r1 --threads 0
row usage 2 "--batch-pairs" "$R" --data shards --out r1 --batch-pairs 3 --micro-batches 2
row usage 2 "required" "$R" --data shards
row missing 1 "missing_dir" "$R" --data missing_dir --out r2 --steps 1
row input 1 "notshards" "$R" --data notshards --out r3 --steps 1
row mismatch 1 "tokenizer" "$R" --data shards --eval shards2 --out r4 --steps 1 --layers 1 --heads 1 --width 8 --context 64
row usage 2 "already holds checkpoints" "$R" --data shards --out run --steps 1 --layers 1 --heads 1 --width 8 --context 64
row mismatch 1 "started with --lr" "$R" --resu --ou run --lr 0.1
row usage 2 "" "$R" export run
row missing 1 "missing_run" "$R" export missing_run -o m.safetensors
row corrupt 1 "badrun" "$R" export badrun -o m.safetensors
row corrupt 1 "badrun/checkpoints/step-0+2" "$R" score badrun/checkpoints/step-000000002 --data shards
row corrupt 1 "badrun/checkpoints/step-0+2" "$R" --data shards --out r5 --steps 1 --init badrun/checkpoints/step-000000002
row usage 2 "" "$R" score run
row usage 2 "--pairs" "$R" score run --data shards --pairs -1
row missing 1 "missing_run" "$R" score missing_run --data shards
OUT=/dev/full row nospace 1 "<stdout>|No space|write error" "$R" score run --data shards
row usage 2 "" "$R" plot run
row missing 1 "missing_run" "$R" plot missing_run -o p.svg

# ---------- pmp-curve ----------
C="$B/pmp-curve"
row usage 2 "--lr" "$C" --train shards --eval shards --init s=scratch --sizes 0 --lr 11 -o c1
row usage 2 "--sizes" "$C" --train shards --eval shards --init s=scratch --sizes x -o c1
row usage 2 "" "$C" --train shards
row missing 1 "missing_dir" "$C" --train missing_dir --eval shards --init s=scratch --sizes 0 -o c2
row usage 2 "" "$C" plot
row missing 1 "missing_out" "$C" plot missing_out

# ---------- --json names the kind of the error (pmp_errcode_name) ----------
row json 1 '"exit_code":1,"error":"io"' "$X" hh --json missing.jsonl
row json 1 '"error":"input"' "$K" --json -t tok.json -o o5 bad_groups.jsonl
row json 1 '"error":"corrupt"' "$R" score --json badrun/checkpoints/step-000000002 --data shards
row json 1 '"error":"mismatch"' "$K" --json -t tok2.json --resume -o shards groups.jsonl

echo "exit matrix: $((n - fails)) of $n cases as documented"
[ "$fails" = 0 ]
