#!/bin/sh
# The main job on the built-in default: install what is missing, build, prepare the
# small prose corpus, train its tokenizer, run the demo sweep, fit the laws and draw
# the figures. Everything is cached or resumable: running it again skips finished work.
# Usage: scripts/main.sh [sweep run options]
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh corpus   # build tools, libraries, and what corpus preparation uses
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
corpus/prepare.sh --tier prose --build-dir build
[ -f data/corpus/prose/train.tok ] || build/sweeps/sweep tokenize data/corpus/prose
# The demo sweep (configs/demo.lua): 18 small runs at FP32 and INT3 weights, each
# quantized after training with RTN and GPTQ; then the fit of the laws, a report and
# figures.
build/sweeps/sweep run configs/demo.lua --jobs 2 --threads 1 "$@"
build/analysis/fitlaws results/demo --out results/demo/report
echo "report: results/demo/report/report.md (figures beside it)"
