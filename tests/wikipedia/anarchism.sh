#!/bin/sh
# The 1 GB Anarchism history (zstd, long window): our reverts equal the
# reference's, and the run stays under the memory target.
set -eu
X="$PMP_BIN/pmp-extract"
S="$PMP_SRC/tests/wikipedia"
F="$PMP_SHARED/wikipedia/enwiki-Anarchism-history-2010.xml.zst"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
[ -f "$F" ] || { echo "no shared data: skip"; exit 77; }
zstd -q -dc --long=27 "$F" | /usr/bin/python3 "$S/ref_reverts.py" - > "$T/ref.tsv"
"$X" wikipedia -q --json --list-reverts "$F" > "$T/ours.tsv" 2> "$T/stats.json"
cmp "$T/ref.tsv" "$T/ours.tsv" || { diff "$T/ref.tsv" "$T/ours.tsv" | head; exit 1; }
echo "ok: $(wc -l < "$T/ours.tsv") reverts equal the reference"
"$X" wikipedia -q --json "$F" > "$T/groups.jsonl" 2> "$T/stats.json"
/usr/bin/python3 "$S/check_groups.py" "$T/ours.tsv" "$T/groups.jsonl"
# the memory bound is for real builds: ASan's shadow memory and quarantine add ~2x
SANITIZED=$(ldd "$X" 2>/dev/null | grep -c libasan || true)
/usr/bin/python3 - "$T/stats.json" "$SANITIZED" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("stats:", s)
assert s["revisions"] == 15180, s["revisions"]
assert sys.argv[2] != "0" or s["peak_rss_mb"] < 200, s["peak_rss_mb"]
PY
