# Thin wrapper over CMake. `make demo` and `make test` are the two commands of the
# README's Quick start; both install missing Debian packages first.
#   make test SANITIZE=1   the same suite under ASan + UBSan (build-asan/)
#   make test-slow         the slow checks;  make bench   the benchmarks
BUILD    ?= build
SANITIZE ?= 0
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

ifeq ($(SANITIZE),1)
BUILD := build-asan
CMAKE_FLAGS += -DPMP_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
else
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=Release
endif

.PHONY: all deps configure build demo test test-slow bench install clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DPMP_WERROR=ON $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -LE 'slow|bench'

test-slow: build
	cd $(BUILD) && ctest --output-on-failure -L slow

bench: build
	@scripts/install-deps.sh --bench
	cd $(BUILD) && ctest --output-on-failure -L bench -V

install: build
	cmake --install $(BUILD)

clean:
	rm -rf build build-asan
