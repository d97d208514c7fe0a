#!/bin/sh
# json-c vs jansson on the hh-rlhf JSONL (the group reader's job), alternating runs.
set -eu
f="$PMP_SHARED/hhh/hh-rlhf-harmless-base-test.jsonl.gz"
[ -f "$f" ] || { echo "skip: $f absent"; exit 77; }
for i in 1 2 3; do
  printf 'json-c : '; "$PMP_BIN/bench_json_jsonc" "$f"
  printf 'jansson: '; "$PMP_BIN/bench_json_jansson" "$f"
done
