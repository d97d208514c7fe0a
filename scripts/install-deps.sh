#!/bin/sh
# Installs the Debian packages pmp needs, and only those that are missing.
#   scripts/install-deps.sh          build and test dependencies
#   scripts/install-deps.sh --bench  also the peers the benchmarks compare against
#   scripts/install-deps.sh --list   print the package list and exit
# When it cannot install (not root, no sudo), it stops and prints the exact command.
set -eu

BUILD_PKGS="build-essential cmake pkg-config zstd bzip2 gzip
 libzstd-dev libbz2-dev zlib1g-dev libxml2-dev libpcre2-dev libjson-c-dev libjansson-dev
 libxxhash-dev libutf8proc-dev libopenblas-openmp-dev libcmocka-dev python3 python3-numpy python3-torch python3-protobuf
 gnuplot-nox clang libomp-dev openmpi-bin libopenmpi-dev"
# python3-torch: the reference checks of the trainer (gradients, GPT-2 forward) run in
# `make test`, so they are installed with the build (python3-protobuf: tests/trainer/tb_read.py
# parses the TensorBoard event files with it too); gnuplot-nox draws pmp-curve's picture;
# clang (libFuzzer) and libomp-dev build the fuzz targets `make test` runs briefly;
# Open MPI: pmp-train's data parallelism and its tests (tests/trainer/mpi.sh).
BENCH_PKGS="hyperfine sentencepiece nodejs npm"

pkgs="$BUILD_PKGS"
case "${1:-}" in
  --bench) pkgs="$BUILD_PKGS $BENCH_PKGS" ;;
  --list) echo $BUILD_PKGS; exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--bench|--list]" >&2; exit 2 ;;
esac

# npm peers for the tokenizer benchmarks and reference checks (bench/tokenizer);
# without node or the registry the checks that need them say so and skip.
npm_peers() {
  dir="$(dirname "$0")/../bench/tokenizer"
  [ -d "$dir/node_modules" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "pmp: npm not found; tokenizer peers skipped" >&2; return 0; }
  (cd "$dir" && npm ci --silent --no-audit --no-fund) || echo "pmp: npm install failed in $dir; peer checks will be skipped" >&2
}

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # Node from another source (nvm, the image) is as good as Debian's.
    case "$p" in nodejs|npm) command -v "${p%js}" >/dev/null 2>&1 && continue ;; esac
    missing="$missing $p"
  fi
done
# The npm peers are installed for the tests too: Hugging Face tokenizers checks the
# tokenizer.json files pmp writes (tests/tokenizer, tests/trainer/hf_export.sh).
if [ -z "$missing" ]; then
  npm_peers
  exit 0
fi

echo "pmp: installing missing packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"
else
  echo "pmp: cannot install packages (not root, and no password-less sudo). Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing; }; then
  echo "pmp: apt-get failed. Install these packages and run make again:" >&2
  echo "  ${SUDO:+sudo }apt-get update && ${SUDO:+sudo }apt-get install -y$missing" >&2
  exit 1
fi
npm_peers
exit 0
