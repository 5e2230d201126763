#!/bin/sh
# The same small model trained at FP32, BF16, INT8, INT4 (straight-through), QuEST
# W4A4 and QuEST W1A1, on the same data and seed; prints the final validation loss
# of each (the evidence issue 3 asks for). Runs resume and are skipped when done.
# Usage: bench/qat_evidence.sh [BUILD_DIR] [RESULTS_DIR] [KEY=VALUE ...]
# Extra knobs override the common ones, e.g. the d96 set of results/reference:
#   bench/qat_evidence.sh build results/qat-evidence-d96 d_model=96 n_layer=3 n_head=3 batch=32 threads=1
set -eu
build=${1:-build} out=${2:-results/qat-evidence}
shift 2 2>/dev/null || shift $#
sweep=$build/sweeps/sweep
common="data=data/corpus/prose d_model=64 n_layer=2 n_head=2 ctx=128 batch=16 tokens_per_param=20 seed=0"
extra=${*:-threads=0} # knob values hold no spaces, so plain word splitting is safe
run() { # label, then knobs
  label=$1; shift
  # shellcheck disable=SC2086
  "$sweep" train $common "$@" $extra out="$out/$label.h5" >/dev/null 2>&1 || echo "$label: failed" >&2
}
run fp32 w_quant=fp32
run bf16 w_quant=bf16 a_quant=bf16 kv_quant=bf16
run int8 w_quant=int8 a_quant=int8
run int4-ste w_quant=int4 a_quant=int4 backward=ste
run quest4 w_quant=quest4 a_quant=quest4
run quest1 w_quant=quest1:clipmask a_quant=quest1:clipmask
printf "%-10s %-10s %-10s %s\n" run status val_loss tokens
for label in fp32 bf16 int8 int4-ste quest4 quest1; do
  /usr/bin/python3 - "$out/$label.h5" "$label" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    fin = f["final"].attrs
    print(f"{sys.argv[2]:<10} {fin['status']:<10} {fin['val_loss']:<10.4f} {fin['tokens']}")
PY
done
