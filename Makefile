# Thin wrapper over CMake. `make demo` and `make test` are the two commands of the
# README's Quick start; both install missing Debian packages first.
#   make test SANITIZE=1   the same suite under ASan + UBSan (build-asan/)
#   make test-slow         the slow checks;  make bench   the benchmarks
#   make fuzz              every libFuzzer target for FUZZ_SECONDS (600) each (build-fuzz/,
#                          clang); `make test` runs each for a few seconds
BUILD    ?= build
SANITIZE ?= 0
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= $(JOBS)

ifeq ($(SANITIZE),1)
BUILD := build-asan
CMAKE_FLAGS += -DPMP_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
else
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=Release
endif

.PHONY: all deps configure build demo test test-slow bench install clean fuzz-build fuzz

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DPMP_WERROR=ON $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

test: build fuzz-build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -LE 'slow|bench'
	cd build-fuzz && ctest --output-on-failure -j$(JOBS) -L fuzz

# The fuzz targets: their own clang build (libFuzzer + ASan + UBSan), only those targets.
fuzz-build: deps
	CC=clang cmake -S . -B build-fuzz -DPMP_FUZZ=ON -DPMP_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build-fuzz --target fuzz_all -j$(JOBS)

fuzz: fuzz-build
	cd build-fuzz && FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --output-on-failure -V -j$(FUZZ_JOBS) -L fuzz --timeout $$(( $(FUZZ_SECONDS) + 300 )) | grep -E '^[0-9]+: fuzz_[a-z0-9_]+: |tests passed|Failed'

test-slow: build
	cd $(BUILD) && ctest --output-on-failure -L slow

bench: build
	@scripts/install-deps.sh --bench
	cd $(BUILD) && ctest --output-on-failure -L bench -V

install: build
	cmake --install $(BUILD)

clean:
	rm -rf build build-asan build-fuzz
