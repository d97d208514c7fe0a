#!/bin/sh
# Runs one libFuzzer target for SECONDS over its corpus: the committed seeds
# (tests/fuzz/seeds/NAME/, crash reproducers included, so a regression fails at once)
# and a working corpus kept in $PMP_TMP between runs. A crash, leak, sanitizer report
# or timeout fails, with the input saved next to the log. Prints one summary line:
#   NAME: runs=N seconds=S cov=C ft=F corpus=K
#   run_fuzz.sh FUZZ_BINARY SECONDS [extra libFuzzer flags]   ($FUZZ_SECONDS overrides)
set -eu
bin=$1; secs=${FUZZ_SECONDS:-$2}; shift 2
name=$(basename "$bin")
seeds="${PMP_FUZZ_SEEDS:-$PMP_SRC/tests/fuzz/seeds/$name}"   # fuzz_source_NAME: samples/NAME
T="$PMP_TMP"; mkdir -p "$T/corpus"
[ -d "$seeds" ] || { echo "$name: no seed corpus at $seeds" >&2; exit 1; }
# Cuts of the real data (never committed): tests/fuzz/seeds/NAME.shared lists
# "PATH-under-../shared/data BYTES" lines; each adds the first BYTES of that file
# (decompressed when it ends in .zst/.gz) to the working corpus.
if [ -f "$seeds.shared" ] && [ -d "${PMP_SHARED:-}" ]; then
  while read -r path bytes; do
    case "$path" in ''|'#'*) continue ;; esac
    f="$PMP_SHARED/$path"; [ -f "$f" ] || continue
    out="$T/corpus/shared-$(echo "$path" | tr '/' '_')"
    case "$f" in
      *.zst) zstd -dc --long=31 "$f" 2>/dev/null | head -c "$bytes" > "$out" || true ;;
      *.gz) gzip -dc "$f" 2>/dev/null | head -c "$bytes" > "$out" || true ;;
      *) head -c "$bytes" "$f" > "$out" ;;
    esac
  done < "$seeds.shared"
fi
# -timeout: one input taking over 10 s is a hang; -rss_limit_mb: 2 GB is a blow-up
if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
     -artifact_prefix="$T/" -print_final_stats=1 "$@" "$T/corpus" "$seeds" > "$T/log" 2>&1; then
  tail -n 60 "$T/log" >&2
  echo "$name: FAILED (input saved under $T/)" >&2
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/log" | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$T/log" | tail -1 | cut -d' ' -f2)
ft=$(grep -o 'ft: [0-9]*' "$T/log" | tail -1 | cut -d' ' -f2)
echo "$name: runs=${runs:-0} seconds=$secs cov=${cov:-0} ft=${ft:-0} corpus=$(ls "$T/corpus" | wc -l)"
