#!/bin/sh
# The groups of the two shared pushshift months, against an independent Python
# computation (reference.py): without submissions, with a made-up RS file (gzip),
# with filters; byte-identical output for every --mem (incl. spilling) and stdin.
set -eu
PY=/usr/bin/python3
X="$PMP_BIN/pmp-extract"
REF="$PMP_SRC/tests/reddit/reference.py"
Q="$PMP_SRC/tests/reddit/quirks.py"
[ -f "$PMP_SHARED/reddit/RC_2005-12.zst" ] || { echo "no shared data: skip"; exit 77; }
command -v zstd >/dev/null || { echo "no zstd: skip"; exit 77; }
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T/spill"

for m in 2005-12 2006-01; do
    RC="$PMP_SHARED/reddit/RC_$m.zst"
    zstd -q -dc --long=31 "$RC" > "$T/RC_$m.ndjson"
    echo "== $m, comments only"
    "$X" reddit -q "$RC" > "$T/out.jsonl"
    $PY "$REF" "$T/RC_$m.ndjson" < "$T/out.jsonl"
    [ -s "$T/out.jsonl" ] || { echo "FAIL: no groups"; exit 1; }

    echo "== $m, with submissions (gzip)"
    $PY "$Q" synth-rs "$T/RC_$m.ndjson" > "$T/RS_$m.ndjson"
    gzip -c "$T/RS_$m.ndjson" > "$T/RS_$m.ndjson.gz"
    "$X" reddit -q --submissions "$T/RS_$m.ndjson.gz" "$RC" > "$T/full.jsonl"
    $PY "$REF" "$T/RC_$m.ndjson" "$T/RS_$m.ndjson" < "$T/full.jsonl"

    echo "== $m, filters: --min-score 2 --max-depth 1 / --keep all"
    "$X" reddit -q --min-score 2 --max-depth 1 --submissions "$T/RS_$m.ndjson" "$RC" |
        $PY "$REF" --min-score 2 --max-depth 1 "$T/RC_$m.ndjson" "$T/RS_$m.ndjson"
    "$X" reddit -q --keep all --submissions "$T/RS_$m.ndjson" "$RC" |
        $PY "$REF" --keep-all "$T/RC_$m.ndjson" "$T/RS_$m.ndjson"

    echo "== $m, --mem and stdin give byte-identical output"
    for mem in 64K 1M 4G; do
        "$X" reddit -q --json --mem $mem --tmp "$T/spill" --submissions "$T/RS_$m.ndjson.gz" "$RC" \
            > "$T/mem.jsonl" 2> "$T/mem.json"
        cmp "$T/full.jsonl" "$T/mem.jsonl" || { echo "FAIL: --mem $mem differs"; exit 1; }
        runs=$(sed -n 's/.*"spill_runs":\([0-9]*\).*/\1/p' "$T/mem.json")
        echo "--mem $mem: identical, $runs spill runs"
        if [ $mem = 64K ] && [ "$runs" -lt 2 ]; then echo "FAIL: --mem 64K did not spill"; exit 1; fi
    done
    zstd -q -dc --long=31 "$RC" | "$X" reddit -q --submissions "$T/RS_$m.ndjson.gz" - > "$T/stdin.jsonl"
    cmp "$T/full.jsonl" "$T/stdin.jsonl"
    # the input order does not matter (no duplicate ids in these months)
    $PY -c "import random,sys; l=open(sys.argv[1],'rb').readlines(); random.Random(7).shuffle(l); sys.stdout.buffer.write(b''.join(l))" \
        "$T/RC_$m.ndjson" > "$T/shuffled.ndjson"
    "$X" reddit -q --mem 64K --tmp "$T/spill" --submissions "$T/RS_$m.ndjson.gz" "$T/shuffled.ndjson" | cmp - "$T/full.jsonl"
    # spill files are unlinked: nothing may be left in --tmp
    [ -z "$(ls -A "$T/spill")" ] || { echo "FAIL: files left in --tmp"; exit 1; }
done
echo "== parent counts against the statistics published with the data (shared/data/SOURCES.md)"
# SOURCES.md: 2005-12: 172 parents have >= 2 direct replies (143 with differing scores),
# 142 have >= 2 that are not [deleted]/[removed] (117 differing); 2006-01: 626 (541),
# 527 (456). With only the body filter on, groups + no_context are the "differing"
# parents and + same_score the ">= 2" ones.
check_counts() {   # month keep want_ge2 want_differing
    "$X" reddit --json --keep "$2" "$PMP_SHARED/reddit/RC_$1.zst" 2>&1 > /dev/null |
        $PY -c "
import json, sys
s = json.load(sys.stdin)
d = s['groups'] + s['no_context']
got = (d + s['same_score'], d)
want = ($3, $4)
print('$1 --keep $2: parents with >= 2 replies, differing scores:', got, 'published:', want)
sys.exit(0 if got == want else 1)"
}
check_counts 2005-12 all 172 143
check_counts 2005-12 empty,deleted-author,automoderator,stickied,moderator 142 117
check_counts 2006-01 all 626 541
check_counts 2006-01 empty,deleted-author,automoderator,stickied,moderator 527 456
echo "== --subreddits"
"$X" reddit -q --subreddits NSFW "$PMP_SHARED/reddit/RC_2006-01.zst" |
    $PY "$REF" --subreddits nsfw "$T/RC_2006-01.ndjson"
echo OK
