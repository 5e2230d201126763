#!/bin/sh
# The engine against tuned PyTorch (python3-torch, fp32, AdamW) on the benchmark
# shapes, side by side in one run, at the same thread count. Prints both and the ratio.
# PyTorch gets the process settings that make it fast here (its defaults are 2-4x
# slower on this VM); the engine runs with its defaults.
# Usage: bench/compare_torch.sh [BUILD_DIR] [THREADS] [STEPS]
set -eu
build=${1:-build} threads=${2:-2} steps=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$build/bench/train_bench" ] || { echo "build $build/bench/train_bench first" >&2; exit 1; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "needs python3-torch (apt-get install python3-torch)" >&2; exit 1; }
printf "%-12s %8s %12s %12s %8s\n" "shape" "threads" "engine tok/s" "torch tok/s" "ratio"
for shape in 128x4 256x6 512x8; do
  d=${shape%x*} L=${shape#*x}
  ours=$("$build/bench/train_bench" --shapes "$shape" --threads "$threads" --steps "$steps" |
         awk '!/^#/ && $1 ~ /^[0-9]+$/ {print $3}')
  theirs=$(OPENBLAS_THREAD_TIMEOUT=4 OMP_WAIT_POLICY=PASSIVE GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
           /usr/bin/python3 "$here/torch_peer.py" "$d" "$L" --threads "$threads" --steps "$steps")
  awk -v s="$shape" -v t="$threads" -v a="$ours" -v b="$theirs" \
      'BEGIN { printf "%-12s %8d %12.0f %12.0f %7.2fx\n", s, t, a, b, a / b }'
done
