#!/bin/bash
# Every number on a command line goes through common/parse.c (issue 28): for each
# numeric flag of each program, values that are not numbers, not finite, out of range
# or with trailing text are refused with exit 2 and a message naming the flag, before
# any work starts. (Before: pmp-train took --layers 4294967297 as 1 and --lr nan.)
# Usage: flag_ranges.sh [BIN_DIR]
set -u
B="${1:-${PMP_BIN:?}}"
T="${PMP_TMP:-/tmp/pmp-cli-flag-ranges}"
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
fails=0 n=0
# check NAME FLAG VALUE CMD...: CMD with "FLAG VALUE" appended must exit 2 naming FLAG.
check() {
  local flag="$1" val="$2"; shift 2
  n=$((n + 1))
  timeout 20 "$@" "$flag" "$val" > /dev/null 2> err.txt < /dev/null
  local rc=$?
  if [ "$rc" != 2 ] || ! grep -q -- "${flag}" err.txt; then
    echo "FAIL ${*#$B/} $flag '$val': exit $rc: $(head -c 200 err.txt | tr '\n' ' ')"
    fails=$((fails + 1))
  fi
}
# every value here is wrong for every numeric flag below
NOT_NUMBERS=(nan inf -inf 1e999 "" "12abc" " 5")
sweep() {   # sweep FLAG "EXTRA BAD VALUES" CMD...
  local flag="$1" extra="$2"; shift 2
  local v
  for v in "${NOT_NUMBERS[@]}" $extra; do check "$flag" "$v" "$@"; done
}
BIG=99999999999999999999   # past 2^64: ERANGE
W=4294967297               # 2^32 + 1: became 1 through an int cast

TRAIN=("$B/pmp-train" --data d --out o)
for f in --layers --heads --width --context --batch-pairs --micro-batches --threads --keep; do
  sweep $f "-1 0 $W $BIG 1.5" "${TRAIN[@]}"
done
for f in --steps --warmup --ckpt-every --eval-every --eval-pairs --seed --subsample-seed; do
  sweep $f "-1 $BIG 1.5" "${TRAIN[@]}"
done
sweep --max-pairs "-1 0 $BIG" "${TRAIN[@]}"
for f in --lr --min-lr --weight-decay; do sweep $f "-1 -0.5 11 1e30" "${TRAIN[@]}"; done
sweep --clip "-1 1e30" "${TRAIN[@]}"
sweep --lm-coef "-1 1e30" "${TRAIN[@]}"
for f in --pairs --max-context-tokens --max-response-tokens; do
  sweep $f "-1 $BIG 1.5" "$B/pmp-train" score run --data d
done

CURVE=("$B/pmp-curve" --train d --eval e --init s=scratch --sizes 0 -o o)
for f in --seeds --jobs --min-steps --batch-pairs --layers --heads --width --context --threads; do
  sweep $f "-1 0 $W $BIG 1.5" "${CURVE[@]}"
done
for f in --lr --min-lr --weight-decay; do sweep $f "-1 11" "${CURVE[@]}"; done
sweep --epochs "-1 1e30" "${CURVE[@]}"
sweep --sizes "-1 $BIG 1.5 1,,2" "${CURVE[@]}"

TOK=("$B/pmp-tokenize" -t tok.json -o out)
for f in --threads --zstd-level --chunk-tokens; do sweep $f "-1 0 $W $BIG 1.5" "${TOK[@]}"; done
sweep --batch "-1 0 $BIG 1.5" "${TOK[@]}"
for f in --max-pairs-per-group --max-context-tokens --max-response-tokens; do sweep $f "-1 $BIG 1.5" "${TOK[@]}"; done
sweep --min-score-gap "-1" "${TOK[@]}"
sweep --shard-size "-1 1 20000000T" "${TOK[@]}"
sweep --max-line-bytes "-1 0" "${TOK[@]}"
for v in eval=nan eval=inf eval=-0.1 eval=1 eval=1e999 eval= eval=0.1,fold=x eval=0.1,fold=-1 \
         eval=0.1,fold=10 eval=0.1,fold=$BIG; do
  check --split "$v" "${TOK[@]}"
done

for cmd in encode decode; do sweep --threads "-1 0 $W $BIG 1.5" "$B/pmp-bpe" $cmd -t tok.json; done
sweep --threads "-1 0 $W $BIG 1.5" "$B/pmp-bpe" train -o t.json
sweep --vocab-size "-1 0 255 $W $BIG" "$B/pmp-bpe" train -o t.json
sweep --min-frequency "-1 0 $BIG" "$B/pmp-bpe" train -o t.json

sweep -n "-1 $BIG 1.5" "$B/pmp-shard" head

sweep --max-depth "-1 65 1.5" "$B/pmp-extract" reddit
for f in --min-score --min-submission-score; do sweep $f "" "$B/pmp-extract" reddit; done
sweep --mem "-1 0" "$B/pmp-extract" reddit
sweep --mem "-1 0" "$B/pmp-extract" stackexchange
sweep --radius "-1 0 1 $W $BIG 1.5" "$B/pmp-extract" wikipedia
for f in --context-chars --max-change-chars; do sweep $f "-1 $BIG 1.5" "$B/pmp-extract" wikipedia; done
sweep --ns "$BIG 1.5 1,,2" "$B/pmp-extract" wikipedia

echo "flag ranges: $((n - fails)) of $n bad values refused with exit 2 naming the flag"
[ "$fails" = 0 ]
