# pmp in a container: build and test in the first stage (with the same dependency
# script as `make`), then copy the installed programs into a slim runtime image.
FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
# Portable code (no -march=native): the image may run on another CPU than it was built on.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPMP_WERROR=ON -DPMP_NATIVE=OFF \
 && cmake --build build -j"$(nproc)" \
 && (cd build && ctest --output-on-failure -LE 'slow|bench') \
 && cmake --install build --prefix /opt/pmp

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libzstd1 libbz2-1.0 zlib1g libxml2 \
      libpcre2-8-0 libjson-c5 libxxhash0 libutf8proc2 libopenblas0-openmp libgomp1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/pmp/ /usr/local/
CMD ["pmp-extract", "--help"]
