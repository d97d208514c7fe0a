#!/bin/bash
# The layering rules of docs/architecture.md, checked:
#  1. a source file in a layer folder includes headers of its own folder, or the
#     public headers (pmp_*.h) of a layer below it; never a header of a layer above,
#     never another folder's internal header;
#  2. every symbol a layer's library exports starts with pmp_ (internal functions
#     too: a static library exports everything that is not static).
# A layer may have rooms, subfolders with a library of their own (pipeline/dedup/):
# a room is a folder of its layer, so its internal headers stay inside it, and its
# public header (pmp_*.h) is one more public header of the layer. The rooms of a layer
# are declared in order, bottom up (ROOMS below), and rule 1 holds between them as
# between layers: a room includes the public headers of the rooms below it, never a
# header of a room above it, nor of its layer's own folder, which is above all its
# rooms (the programs live there). A folder inside a room belongs to that room.
# Usage: layers.sh SRC_DIR [LIBRARY.a ...]
set -u
SRC="$1"; shift
LAYERS=(common formats tokenizer pipeline trainer)   # bottom up
fail=0
declare -A ROOMS=([pipeline]="dedup" [trainer]="model runs experiments")   # bottom up
rank_of() { local i; for i in "${!LAYERS[@]}"; do [ "${LAYERS[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
# A folder's place inside its layer: its room's position in ROOMS, the layer's own
# folder above every room (999), -1 for a room not declared.
room_rank() {
  local layer=${1%%/*} room i=0 r
  [ "$1" = "$layer" ] && { echo 999; return; }
  room=${1#*/}; room=${room%%/*}
  for r in ${ROOMS[$layer]:-}; do [ "$r" = "$room" ] && { echo "$i"; return; }; i=$((i + 1)); done
  echo -1
}

# The folders: each layer and its rooms (subfolders holding C sources).
FOLDERS=()
for d in "${LAYERS[@]}"; do
  [ -d "$SRC/$d" ] || continue
  FOLDERS+=("$d")
  while IFS= read -r room; do FOLDERS+=("${room#$SRC/}"); done < <(
    find "$SRC/$d" -mindepth 1 -type d -exec sh -c 'ls "$1"/*.[ch] >/dev/null 2>&1' _ {} \; -print | sort)
done

declare -A LR RR   # folder -> its layer's rank, its place among its layer's rooms
for d in "${FOLDERS[@]}"; do
  LR[$d]=$(rank_of "${d%%/*}"); RR[$d]=$(room_rank "$d")
  if [ "${RR[$d]}" = -1 ]; then
    echo "layers: $d/ is a room not declared in the order of ${d%%/*}/'s rooms (ROOMS in tests/arch/layers.sh)"; fail=1
  fi
done

declare -A home   # header name -> folder (layer or layer/room)
for d in "${FOLDERS[@]}"; do
  for h in "$SRC/$d"/*.h; do
    [ -e "$h" ] || continue
    b=${h##*/}
    if [ -n "${home[$b]:-}" ]; then echo "layers: $b exists in both ${home[$b]}/ and $d/"; fail=1; fi
    home[$b]=$d
  done
done

for d in "${FOLDERS[@]}"; do
  r=${LR[$d]}
  # one grep per folder: FILE:LINE:#include "X"
  while IFS=: read -r f line inc; do
    inc=${inc#*\"}; inc=${inc%\"*}
    owner=${home[$inc]:-}
    if [ -z "$owner" ]; then
      echo "layers: $d/${f##*/}:$line includes \"$inc\", which is in no layer folder"; fail=1; continue
    fi
    [ "$owner" = "$d" ] && continue
    if [ "${LR[$owner]}" -gt "$r" ]; then
      echo "layers: $d/${f##*/}:$line includes $owner/$inc: $owner/ is a layer above $d/"; fail=1
    elif [ "${LR[$owner]}" = "$r" ] && [ "${RR[$owner]}" -gt "${RR[$d]}" ]; then
      echo "layers: $d/${f##*/}:$line includes $owner/$inc: $owner/ is above $d/ in ${d%%/*}/ (rooms bottom up: ${ROOMS[${d%%/*}]}, then ${d%%/*}/ itself)"; fail=1
    elif [[ "$inc" != pmp_*.h ]]; then
      echo "layers: $d/${f##*/}:$line includes $owner/$inc, an internal header of $owner/"; fail=1
    fi
  done < <(find "$SRC/$d" -maxdepth 1 -name '*.[ch]' -exec grep -Hn '^#include "' {} + | sort -t: -k1,1 -k2,2n)
done

for lib in "$@"; do
  # (ASan builds add __odr_asan.* aliases of every global: not ours to name)
  bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $3 !~ /^pmp_/ && $3 !~ /^__(odr_)?asan/ {print $3}' | sort -u | tr '\n' ' ')
  if [ -n "$bad" ]; then echo "layers: $(basename "$lib") exports symbols without the pmp_ prefix: $bad"; fail=1; fi
done

if [ "$fail" = 0 ]; then
  n=0; for d in "${FOLDERS[@]}"; do n=$((n + $(find "$SRC/$d" -maxdepth 1 -name "*.[ch]" | wc -l))); done
  echo "layers: ok ($n files in ${#LAYERS[@]} layers and $((${#FOLDERS[@]} - ${#LAYERS[@]})) rooms, $# libraries)"
fi
exit $fail
