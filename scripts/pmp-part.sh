#!/bin/bash
# pmp-part.sh — one task of a multi-file run (docs/scaling.md): extract one dump (or one
# year of Reddit months) to PARTS/NAME.jsonl, tokenize it into PARTS/NAME/, and only
# then write the completion marker PARTS/NAME.done (datatrove's skip_completed idea).
# A task whose marker exists is skipped, so rerunning the whole GNU parallel command or
# Slurm array after a failure or a kill redoes only the unfinished tasks:
#   - the groups are written to NAME.jsonl.tmp and renamed only when pmp-extract
#     succeeded, so a killed extract leaves nothing that looks complete and restarts
#     from the beginning of its input (its spill runs are unlinked files: nothing to
#     clean up);
#   - pmp-tokenize always runs with --resume, so a killed tokenization continues
#     where its last complete shard ended.
#
# Usage: pmp-part.sh PARTS NAME -- EXTRACT_ARGS... -- TOKENIZE_ARGS...
#   pmp-part.sh parts beer -- stackexchange -q beer-Posts.xml -- -q -j 1 -t gpt2/ --split eval=0.05
# Programs are taken from $PMP_BIN when set, else from PATH. No argument is ever
# evaluated by a shell: they are passed on as they are. Exit: 0 done (or skipped), the
# failing program's status, 2 usage.
set -uo pipefail
usage() { echo "usage: pmp-part.sh PARTS NAME -- EXTRACT_ARGS... -- TOKENIZE_ARGS..." >&2; exit 2; }
[ $# -ge 4 ] && [ "$3" = "--" ] || usage
parts=$1 name=$2
shift 3
extract=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do extract+=("$1"); shift; done
[ $# -gt 0 ] || usage
shift
tokenize=("$@")
[ ${#extract[@]} -gt 0 ] || usage
case "$name" in ""|*/*|.|..) echo "pmp-part.sh: NAME must be a plain file name, got '$name'" >&2; exit 2 ;; esac
bin=${PMP_BIN:+$PMP_BIN/}
base="$parts/$name"
if [ -e "$base.done" ]; then
    echo "pmp-part.sh: $name: complete ($base.done), skipped" >&2
    exit 0
fi
mkdir -p "$parts" || exit 1
if [ ! -e "$base.jsonl" ]; then
    "${bin}pmp-extract" "${extract[@]}" > "$base.jsonl.tmp"
    rc=$?
    if [ $rc -ne 0 ]; then
        rm -f "$base.jsonl.tmp"
        echo "pmp-part.sh: $name: pmp-extract failed (exit $rc)" >&2
        exit $rc
    fi
    # on disk before the rename, so a power loss cannot leave a complete-looking name
    sync "$base.jsonl.tmp" && mv "$base.jsonl.tmp" "$base.jsonl" || exit 1
fi
"${bin}pmp-tokenize" --resume "${tokenize[@]}" -o "$base/" "$base.jsonl"
rc=$?
if [ $rc -ne 0 ]; then
    echo "pmp-part.sh: $name: pmp-tokenize failed (exit $rc)" >&2
    exit $rc
fi
printf '%s completed %s\n' "$name" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$base.done.tmp" &&
    sync "$base.done.tmp" && mv "$base.done.tmp" "$base.done" || exit 1
