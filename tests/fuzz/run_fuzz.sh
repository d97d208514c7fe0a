#!/bin/sh
# Builds every tests/fuzz/fuzz_*.c target with clang + libFuzzer (ASan, UBSan)
# against the project's sources and runs each for FUZZ_SECONDS (default 60).
# ctest label `fuzz` (not in `make test`); skips when clang's libFuzzer is absent.
# Targets may list extra sources and libraries in a "// build:" line... kept simple:
# each target is compiled with the library sources it needs, named below.
set -eu
command -v clang >/dev/null 2>&1 || { echo "skip: no clang"; exit 77; }
SECS="${FUZZ_SECONDS:-60}"
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
S="$PMP_SRC"
CFLAGS="-g -O1 -std=c17 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -I$S/common -I$S/pipeline -I$S/formats"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}' > "$T/probe.c"
clang $CFLAGS "$T/probe.c" -o "$T/probe" 2>/dev/null || { echo "skip: clang has no libFuzzer"; exit 77; }
COMMON="$S/common/buf.c $S/common/utf8.c $S/common/cli.c $S/common/durable.c"
build() {  # target extra-sources libs
  name=$1; shift; srcs=$1; shift
  clang $CFLAGS "$S/tests/fuzz/$name.c" $COMMON $srcs -o "$T/$name" "$@"
}
build fuzz_safetensors "$S/formats/safetensors.c" -ljson-c -lxxhash -lm
build fuzz_group "$S/formats/group.c $S/common/input.c" -ljson-c -lzstd -lbz2 -lz -lxxhash -lm
for t in fuzz_safetensors fuzz_group; do
  mkdir -p "$T/corpus-$t"
  echo "== $t for ${SECS}s"
  "$T/$t" -max_total_time="$SECS" -max_len=65536 "$T/corpus-$t" "$S/tests/fuzz/seeds/$t" 2>&1 | tail -3
done
