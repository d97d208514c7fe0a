#!/bin/bash
# The layering rules of docs/architecture.md, checked:
#  1. a source file in a layer folder includes headers of its own folder, or the
#     public headers (pmp_*.h) of a layer below it; never a header of a layer above,
#     never another folder's internal header;
#  2. every symbol a layer's library exports starts with pmp_ (internal functions
#     too: a static library exports everything that is not static).
# A layer may have rooms, subfolders holding C sources (pipeline/dedup/,
# pipeline/extract/sources/hh/): a room is a folder of its layer, so its internal
# headers stay inside it, and its public header (pmp_*.h) is one more public header
# of the layer. A layer with rooms orders them in LAYER/rooms.txt, bottom up, one
# level a line (several rooms on a line, or a glob, are peers):
#  3. a room includes only the public headers of rooms on lower lines; peers never
#     include each other. The layer's own folder comes after all its rooms (".", on a
#     line of its own, places it lower); a room missing from rooms.txt is an error.
# Usage: layers.sh SRC_DIR [LIBRARY.a ...]
set -u
SRC="$1"; shift
LAYERS=(common formats tokenizer pipeline trainer)   # bottom up
fail=0
# (few processes: on a loaded machine each fork costs, and ctest gives this 60 s)
declare -A rank; for i in "${!LAYERS[@]}"; do rank[${LAYERS[$i]}]=$i; done

# The folders: each layer and its rooms (subfolders holding C sources).
FOLDERS=()
for d in "${LAYERS[@]}"; do
  [ -d "$SRC/$d" ] || continue
  FOLDERS+=("$d")
  while IFS= read -r room; do FOLDERS+=("${room#$SRC/}"); done < <(
    find "$SRC/$d" -mindepth 2 -name '*.[ch]' -printf '%h\n' | sort -u)
done

# The room order: level[folder] within its layer, from LAYER/rooms.txt.
declare -A level
for d in "${LAYERS[@]}"; do
  [ -d "$SRC/$d" ] || continue
  rooms=(); for f in "${FOLDERS[@]}"; do [[ "$f" == "$d"/* ]] && rooms+=("${f#$d/}"); done
  level[$d]=1000000
  [ ${#rooms[@]} = 0 ] && continue
  if [ ! -f "$SRC/$d/rooms.txt" ]; then
    echo "layers: $d/ has rooms (${rooms[*]}) but no $d/rooms.txt ordering them"; fail=1; continue
  fi
  n=0
  while IFS= read -r line; do
    line=${line%%#*}; read -ra globs <<< "$line"
    [ ${#globs[@]} = 0 ] && continue
    for g in "${globs[@]}"; do
      hit=0
      if [ "$g" = . ]; then level[$d]=$n; continue; fi
      for r in "${rooms[@]}"; do
        # shellcheck disable=SC2053   # $g is a glob on purpose
        if [[ "$r" == $g ]]; then level[$d/$r]=$n; hit=1; fi
      done
      [ $hit = 1 ] || { echo "layers: $d/rooms.txt names $g, which is no room of $d/"; fail=1; }
    done
    n=$((n + 1))
  done < "$SRC/$d/rooms.txt"
  for r in "${rooms[@]}"; do
    [ -n "${level[$d/$r]:-}" ] || { echo "layers: $d/$r/ is a room missing from $d/rooms.txt"; fail=1; }
  done
done

declare -A home   # header name -> folder (layer or layer/room)
for d in "${FOLDERS[@]}"; do
  for h in "$SRC/$d"/*.h; do
    [ -e "$h" ] || continue
    b=$(basename "$h")
    if [ -n "${home[$b]:-}" ]; then echo "layers: $b exists in both ${home[$b]}/ and $d/"; fail=1; fi
    home[$b]=$d
  done
done

files=(); for d in "${FOLDERS[@]}"; do for f in "$SRC/$d"/*.[ch]; do [ -e "$f" ] && files+=("$f"); done; done
while IFS=: read -r f line inc; do
  d=${f#$SRC/}; name=${d##*/}; d=${d%/*}
  r=${rank[${d%%/*}]}
  inc=${inc#*\"}; inc=${inc%\"*}
  owner=${home[$inc]:-}
  if [ -z "$owner" ]; then
    echo "layers: $d/$name:$line includes \"$inc\", which is in no layer folder"; fail=1; continue
  fi
  [ "$owner" = "$d" ] && continue
  if [ "${rank[${owner%%/*}]}" -gt "$r" ]; then
    echo "layers: $d/$name:$line includes $owner/$inc: $owner/ is a layer above $d/"; fail=1
  elif [[ "$inc" != pmp_*.h ]]; then
    echo "layers: $d/$name:$line includes $owner/$inc, an internal header of $owner/"; fail=1
  elif [ "${owner%%/*}" = "${d%%/*}" ] && [ "${level[$owner]:-0}" -ge "${level[$d]:-0}" ]; then
    echo "layers: $d/$name:$line includes $owner/$inc: $owner/ is not below $d/ in ${d%%/*}/rooms.txt"; fail=1
  fi
done < <([ ${#files[@]} = 0 ] || grep -Hn '^#include "' "${files[@]}")

for lib in "$@"; do
  # (ASan builds add __odr_asan.* aliases of every global: not ours to name)
  bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $3 !~ /^pmp_/ && $3 !~ /^__(odr_)?asan/ {print $3}' | sort -u | tr '\n' ' ')
  if [ -n "$bad" ]; then echo "layers: $(basename "$lib") exports symbols without the pmp_ prefix: $bad"; fail=1; fi
done

if [ "$fail" = 0 ]; then
  echo "layers: ok (${#files[@]} files in ${#LAYERS[@]} layers and $((${#FOLDERS[@]} - ${#LAYERS[@]})) rooms, $# libraries)"
fi
exit $fail
