#!/bin/sh
# Installs what is missing, builds with warnings as errors, runs every test, then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the tests
# there too, and last builds with clang to run the libFuzzer targets (config loader, CSV
# reader, run-file and checkpoint readers) for a bounded time each (label fuzz, about two
# minutes in all). Usage: scripts/test.sh [--no-sanitize]
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)
# PSL_CUDA=AUTO (the default, named so a cache of the old OFF option does not stay OFF):
# where a CUDA 12+ toolkit is, the CUDA backend is compiled too, warnings as errors; every
# CPU test runs either way and the GPU tests skip without a device (docs/gpu.md).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPSL_WERROR=ON -DPSL_CUDA=AUTO >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
if [ "${1:-}" != "--no-sanitize" ]; then
  # CPU only (it links with CUDA too, but the .cu files get no sanitizer flags, the GPU
  # tests skip here, and loading cuBLAS costs every test process 0.2 s and 90 MB).
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPSL_SANITIZE=ON -DPSL_WERROR=ON \
    -DPSL_CUDA=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs")
fi
if [ "${1:-}" != "--no-sanitize" ]; then
  # gcc has no libFuzzer: the fuzz targets exist only in a clang build (their CMake files).
  # CPU only: programs linking the CUDA backend are linked by g++, which has no
  # -fsanitize=fuzzer (AUTO skips CUDA for clang anyway).
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPSL_WERROR=ON \
    -DPSL_CUDA=OFF >/dev/null
  cmake --build build-fuzz -j"$jobs"
  (cd build-fuzz && ctest --output-on-failure -j"$jobs" -L fuzz)
fi
echo "all tests passed"
