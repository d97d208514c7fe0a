#!/bin/sh
# Issue 29: a UTF-8 byte order mark at the start of a JSONL file (some editors and
# Windows tools write one) is skipped; anywhere else it is still invalid. Before:
# pmp-tokenize refused line 1 as invalid UTF-8.
. "$PMP_SRC/tests/hardening/lib.sh"
gen_groups 40 2 > plain.jsonl
printf '\357\273\277' > bom.jsonl; cat plain.jsonl >> bom.jsonl
"$B/pmp-bpe" train -q --vocab-size 300 --groups -o tok.json plain.jsonl
"$B/pmp-tokenize" -q -t tok.json -o a plain.jsonl || fail "plain input"
"$B/pmp-tokenize" -q -t tok.json -o b bom.jsonl || fail "a BOM at the start was refused: $(cat err.txt 2>/dev/null)"
"$B/pmp-shard" cat a > a.jsonl; "$B/pmp-shard" cat b > b.jsonl
cmp -s a.jsonl b.jsonl || fail "the groups differ with a BOM"
"$B/pmp-bpe" train -q --vocab-size 300 --groups -o tok2.json bom.jsonl || fail "pmp-bpe train --groups"
cmp -s tok.json tok2.json || fail "pmp-bpe learned another vocabulary with a BOM"
# hh-style JSONL through pmp-extract hh
gzip -dc "$PMP_SRC/samples/hh/sample.jsonl.gz" > hh.jsonl
mkdir bom; printf '\357\273\277' > bom/hh.jsonl; cat hh.jsonl >> bom/hh.jsonl   # same name: ids hold it
"$B/pmp-extract" hh -q hh.jsonl > hh1.out; "$B/pmp-extract" hh -q bom/hh.jsonl > hh2.out || fail "pmp-extract hh with a BOM"
cmp -s hh1.out hh2.out || fail "pmp-extract hh: output differs with a BOM"
# a BOM on line 2 is not a start-of-file mark
{ head -n 1 plain.jsonl; printf '\357\273\277'; tail -n +2 plain.jsonl; } > mid.jsonl
expect_refused "a BOM on line 2" "mid.jsonl:2" "$B/pmp-tokenize" -q -t tok.json -o c mid.jsonl
echo "a BOM at the start of JSONL: skipped (pmp-tokenize, pmp-bpe, pmp-extract hh)"
