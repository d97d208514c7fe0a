#!/bin/sh
# An accidental in-source `cmake .` must fail before generating anything, so the
# hand-written top-level Makefile (the make demo / make test wrapper) survives.
set -eu
T="$PMP_TMP"; rm -rf "$T"; mkdir -p "$T"
cp "$PMP_SRC/CMakeLists.txt" "$PMP_SRC/Makefile" "$T/"
before=$(cksum < "$T/Makefile")
if (cd "$T" && cmake . > out.log 2>&1); then
  echo "FAIL: in-source cmake succeeded"; exit 1
fi
grep -q "in-source builds are not allowed" "$T/out.log" || { echo "FAIL: no clear message"; cat "$T/out.log"; exit 1; }
[ "$(cksum < "$T/Makefile")" = "$before" ] || { echo "FAIL: Makefile was overwritten"; exit 1; }
[ ! -e "$T/cmake_install.cmake" ] || { echo "FAIL: build files were generated"; exit 1; }
echo "build guard: ok"
