#!/bin/sh
# JSON field extraction, 1 thread: json-c vs pmp_ndjson on the shared months
# replicated in memory to 256 MB (medians of 5 interleaved passes).
set -eu
[ -f "$PMP_SHARED/reddit/RC_2005-12.zst" ] || { echo "no shared data: skip"; exit 77; }
T="$PMP_TMP"; mkdir -p "$T"
zstd -q -dc --long=31 "$PMP_SHARED/reddit/RC_2005-12.zst" "$PMP_SHARED/reddit/RC_2006-01.zst" > "$T/months.ndjson"
"$PMP_BIN/reddit-json-speed" "$T/months.ndjson" "${1:-256}" "${2:-5}"
