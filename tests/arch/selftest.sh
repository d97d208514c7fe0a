#!/bin/bash
# The layering check must fail on each kind of violation: an upward include, another
# folder's internal header, a room above (or the layer's own folder) reached from a
# room, an undeclared room, an unprefixed exported symbol. Builds a tiny fake tree, and
# plants violations in a copy of the real one.
set -u
T="${PMP_TMP:-/tmp/pmp-arch-selftest}"; rm -rf "$T"; mkdir -p "$T"
CHECK="$(dirname "$0")/layers.sh"
mk() { mkdir -p "$T/$1"; for d in common formats tokenizer pipeline trainer; do mkdir -p "$T/$1/$d"; done
       echo '/* x */' > "$T/$1/common/pmp_common.h"; echo '/* x */' > "$T/$1/trainer/pmp_trainer.h"
       echo '/* x */' > "$T/$1/formats/internal.h"; }
expect() { # name expected-rc args...
  local name=$1 want=$2; shift 2
  out=$("$CHECK" "$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then echo "FAIL $name: rc $rc, want $want: $out"; exit 1; fi
  echo "ok $name: $(echo "$out" | head -1)"
}
mk good; printf '#include "pmp_common.h"\n#include "internal.h"\n' > "$T/good/formats/a.c"
expect clean 0 "$T/good"
mk up; printf '#include "pmp_trainer.h"\n' > "$T/up/formats/a.c"
expect upward 1 "$T/up"
mk internal; printf '#include "internal.h"\n' > "$T/internal/trainer/a.c"
expect internal 1 "$T/internal"
mk unknown; printf '#include "nowhere.h"\n' > "$T/unknown/common/a.c"
expect unknown 1 "$T/unknown"
mk room; mkdir -p "$T/room/pipeline/dedup"; echo '/* x */' > "$T/room/pipeline/dedup/pmp_dedup.h"
echo '/* x */' > "$T/room/pipeline/dedup/dedup_internal.h"
printf '#include "pmp_dedup.h"\n#include "dedup_internal.h"\n#include "pmp_common.h"\n' > "$T/room/pipeline/dedup/a.c"
printf '#include "pmp_dedup.h"\n' > "$T/room/pipeline/b.c"
expect room_unordered 1 "$T/room"
echo dedup > "$T/room/pipeline/rooms.txt"
expect room 0 "$T/room"
printf '#include "dedup_internal.h"\n' > "$T/room/pipeline/c.c"
expect room_internal 1 "$T/room"
rm "$T/room/pipeline/c.c"; printf '#include "pmp_dedup.h"\n' > "$T/room/formats/c.c"
expect room_upward 1 "$T/room"
# rooms.txt: lower lines may use upper ones' public headers, never the reverse, and
# peers (one line, or one glob) never each other
mk order; for r in base top src/a src/b; do mkdir -p "$T/order/pipeline/$r"; echo '/* x */' > "$T/order/pipeline/$r/pmp_${r#src/}.h"; done
printf 'base\nsrc/*\ntop\n' > "$T/order/pipeline/rooms.txt"
printf '#include "pmp_base.h"\n#include "pmp_a.h"\n' > "$T/order/pipeline/top/t.c"
printf '#include "pmp_base.h"\n' > "$T/order/pipeline/src/a/a.c"
expect room_order 0 "$T/order"
printf '#include "pmp_top.h"\n' > "$T/order/pipeline/base/x.c"
expect room_order_up 1 "$T/order"
rm "$T/order/pipeline/base/x.c"; printf '#include "pmp_b.h"\n' > "$T/order/pipeline/src/a/x.c"
expect room_peer 1 "$T/order"
rm "$T/order/pipeline/src/a/x.c"; mkdir "$T/order/pipeline/new"; echo '/* x */' > "$T/order/pipeline/new/n.c"
expect room_unlisted 1 "$T/order"
# trainer/'s rooms, bottom up: model < runs < experiments < trainer/ itself
mk rooms; for r in model runs experiments; do mkdir -p "$T/rooms/trainer/$r"; echo '/* x */' > "$T/rooms/trainer/$r/pmp_$r.h"; done
echo '/* x */' > "$T/rooms/trainer/model/layers.h"
printf 'model\nruns\nexperiments\n' > "$T/rooms/trainer/rooms.txt"
printf '#include "pmp_model.h"\n#include "layers.h"\n#include "pmp_common.h"\n' > "$T/rooms/trainer/model/a.c"
printf '#include "pmp_runs.h"\n#include "pmp_model.h"\n' > "$T/rooms/trainer/runs/a.c"
printf '#include "pmp_experiments.h"\n#include "pmp_runs.h"\n#include "pmp_model.h"\n' > "$T/rooms/trainer/experiments/a.c"
printf '#include "pmp_experiments.h"\n#include "pmp_trainer.h"\n' > "$T/rooms/trainer/main.c"
expect rooms 0 "$T/rooms"
printf '#include "pmp_runs.h"\n' > "$T/rooms/trainer/model/b.c"
expect room_above 1 "$T/rooms"
rm "$T/rooms/trainer/model/b.c"; printf '#include "layers.h"\n' > "$T/rooms/trainer/runs/b.c"
expect room_internal_below 1 "$T/rooms"
rm "$T/rooms/trainer/runs/b.c"; printf '#include "pmp_trainer.h"\n' > "$T/rooms/trainer/experiments/b.c"
expect room_reaches_layer_folder 1 "$T/rooms"
rm "$T/rooms/trainer/experiments/b.c"; mkdir -p "$T/rooms/trainer/extra"; echo '/* x */' > "$T/rooms/trainer/extra/a.c"
expect room_undeclared 1 "$T/rooms"
# the real tree, copied: clean, then one planted violation at a time
REAL="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -f "$REAL/trainer/model/pmp_model.h" ]; then
  mkdir -p "$T/real"; for d in common formats tokenizer pipeline trainer; do cp -r "$REAL/$d" "$T/real/"; done
  expect real 0 "$T/real"
  cp "$T/real/trainer/model/rng.c" "$T/rng.c"; echo '#include "pmp_runs.h"' >> "$T/real/trainer/model/rng.c"
  expect real_model_includes_runs 1 "$T/real"
  cp "$T/rng.c" "$T/real/trainer/model/rng.c"; echo '#include "run_internal.h"' >> "$T/real/trainer/experiments/curve.c"
  expect real_experiments_includes_runs_internal 1 "$T/real"
else
  echo "skip real: no trainer/model/ beside this script"
fi
printf 'int pmp_fine(void){return 0;}\nint leaked(void){return 1;}\n' > "$T/sym.c"
cc -c "$T/sym.c" -o "$T/sym.o" && ar rcs "$T/libsym.a" "$T/sym.o"
expect symbol 1 "$T/good" "$T/libsym.a"
echo "all passed"
