#!/bin/sh
# Builds the CUDA programs here and writes a relocatable bundle for a GPU node without
# package registries: bin/ (sweep, fitlaws, the GPU tests and benchmark), lib/ (the shared libraries
# such a node may lack), one wrapper per program that sets the library path, and,
# with --data DIR, the corpus token files compressed with xz. Copy the folder to the
# node and run e.g. BUNDLE/sweep train device=cuda ...  (docs/gpu.md).
# Usage: scripts/gpu_bundle.sh [--data DIR] [OUT]      (default OUT: .gpu)
# Needs the CUDA toolkit (nvcc, cuBLAS; CUDA 12 or newer) here; no GPU.
set -eu
cd "$(dirname "$0")/.."
data=""
if [ "${1:-}" = "--data" ]; then
  data=${2:?--data needs a directory}
  shift 2
fi
out=${1:-.gpu}
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
[ -x "$nvcc" ] || { echo "gpu_bundle.sh: no nvcc (install the CUDA toolkit)" >&2; exit 2; }
# Portable code (no -march=native: the node's CPU is not this one), sm_90 plus PTX.
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DPSL_CUDA=ON -DPSL_NATIVE=OFF \
  -DCMAKE_CUDA_COMPILER="$nvcc" >/dev/null
cmake --build build-gpu -j"$(nproc)" --target sweep fitlaws test_cuda_layers test_cuda_train gpu_bench
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
progs="build-gpu/sweeps/sweep build-gpu/analysis/fitlaws build-gpu/tests/cuda/test_cuda_layers
       build-gpu/tests/cuda/test_cuda_train build-gpu/bench/gpu_bench"
for p in $progs; do cp "$p" "$out/bin/"; done
# The libraries an Ubuntu 24.04 node with CUDA 13 lacked (measured: Lua, HDF5 and its
# compression libraries), and OpenBLAS with its runtime, whose kernels decide the CPU
# side's bits. glibc, libstdc++ and the CUDA libraries are the node's own.
want='liblua5\.4|libhdf5_serial|libsz|libaec|libopenblas|libgfortran|libquadmath|libgomp'
for p in $progs; do ldd "$p"; done | awk '$3 ~ /^\// {print $3}' | sort -u | grep -E "$want" |
  while read -r lib; do cp -L "$lib" "$out/lib/"; done
for p in $progs; do
  name=$(basename "$p")
  cat >"$out/$name" <<EOF
#!/bin/sh
# $name from the bundle: its libraries first, then the node's CUDA.
here=\$(cd "\$(dirname "\$0")" && pwd)
LD_LIBRARY_PATH="\$here/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
exec "\$here/bin/$name" "\$@"
EOF
  chmod +x "$out/$name"
done
if [ -n "$data" ]; then
  mkdir -p "$out/data"
  for f in "$data"/train.tok "$data"/val.tok "$data"/tokenizer.bin "$data"/manifest.tsv; do
    [ -f "$f" ] && xz -9 -T0 -c "$f" >"$out/data/$(basename "$f").xz"
  done
  echo "data: unpack on the node with: for f in BUNDLE/data/*.xz; do xz -dk \"\$f\"; done"
fi
du -sh "$out"
