#!/bin/sh
# The main job on the built-in default: install what is missing, build, prepare the
# small prose corpus, train its tokenizer, and train one default small model.
# Everything is cached or resumable: running it again skips finished work.
# Usage: scripts/main.sh [KEY=VALUE ...]   (extra knobs for the run, see `sweep train --help`)
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh all
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
corpus/prepare.sh --tier prose --build-dir build
[ -f data/corpus/prose/train.tok ] || build/sweeps/sweep tokenize data/corpus/prose
# The demo run: a 4-layer, 128-wide model on 20 tokens per parameter would take about
# an hour on 2 cores; the demo trains a smaller model on the same recipe.
build/sweeps/sweep train data=data/corpus/prose d_model=96 n_layer=3 n_head=3 ctx=128 \
  batch=32 tokens_per_param=20 out=results/demo/default.h5 "$@"
