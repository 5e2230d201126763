#!/bin/sh
# Installs what is missing, builds with warnings as errors, runs every test, then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the tests
# there too. Usage: scripts/test.sh [--no-sanitize]
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPSL_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
if [ "${1:-}" != "--no-sanitize" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPSL_SANITIZE=ON -DPSL_WERROR=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs")
fi
echo "all tests passed"
