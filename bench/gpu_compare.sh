#!/bin/sh
# The engine on a CUDA device against PyTorch on the same GPU, in one call: tokens/s of
# bench/gpu_bench (device=cuda, fp32 GEMMs) and of bench/torch_peer.py --device cuda at
# fp32, tf32 and bf16, eager and torch.compile, on the benchmark shapes. Prints a table
# and the ratio to the best PyTorch figure at the same precision (fp32).
# Usage: bench/gpu_compare.sh GPU_BENCH [STEPS] [SHAPES]   (SHAPES as gpu_bench --shapes)
set -eu
bench=$1 steps=${2:-20} shapes=${3:-64x2:256,128x4:128,256x6:64,512x8:64}
here=$(cd "$(dirname "$0")" && pwd)
"$bench" --steps "$steps" --shapes "$shapes" | tee /tmp/psl_gpu_bench.txt
printf "\n%-10s %12s %12s %12s %12s %12s %12s %8s\n" shape engine_fp32 torch_fp32 \
  compile_fp32 torch_tf32 torch_bf16 compile_bf16 ratio
for s in $(echo "$shapes" | tr , ' '); do
  d=${s%%x*} rest=${s#*x} L=${rest%%:*} b=${s#*:}
  ours=$(awk -v d="d$d" -v l="L$L" '$1 == d && $2 == l {print $7}' /tmp/psl_gpu_bench.txt)
  peer() { python3 "$here/torch_peer.py" "$d" "$L" --device cuda --batch "$b" --steps "$steps" --sdpa "$@"; }
  f32=$(peer --dtype fp32) c32=$(peer --dtype fp32 --compile) t32=$(peer --dtype tf32)
  b16=$(peer --dtype bf16) cb16=$(peer --dtype bf16 --compile)
  awk -v s="$s" -v o="$ours" -v a="$f32" -v b="$c32" -v c="$t32" -v e="$b16" -v f="$cb16" \
    'BEGIN { best = a > b ? a : b; printf "%-10s %12.0f %12.0f %12.0f %12.0f %12.0f %12.0f %7.2fx\n", s, o, a, b, c, e, f, o / best }'
done
