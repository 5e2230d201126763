#!/bin/sh
# Builds the CUDA programs here and writes a relocatable bundle for a GPU node without
# package registries: bin/ (sweep, fitlaws, the GPU tests and benchmark), lib/ (the shared libraries
# such a node may lack), one wrapper per program that sets the library path, and,
# with --data DIR, the corpus text compressed with xz and its tokenizer. Copy the folder
# to the node and run e.g. BUNDLE/sweep train device=cuda ... or BUNDLE/gpu_sweep.sh
# CONFIG OUT (docs/gpu.md).
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
cmake --build build-gpu -j"$(nproc)" --target sweep fitlaws test_cuda_layers test_cuda_train test_cuda_quant gpu_bench
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
progs="build-gpu/sweeps/sweep build-gpu/analysis/fitlaws build-gpu/tests/cuda/test_cuda_layers
       build-gpu/tests/cuda/test_cuda_train build-gpu/tests/cuda/test_cuda_quant build-gpu/bench/gpu_bench"
for p in $progs; do cp "$p" "$out/bin/"; done
# The libraries an Ubuntu 24.04 node with CUDA 13 lacked (measured: Lua, HDF5 and its
# compression libraries), and OpenBLAS with its runtime, whose kernels decide the CPU
# side's bits. glibc, libstdc++ and the CUDA libraries are the node's own.
want='liblua5\.4|libhdf5_serial|libsz|libaec|libopenblas|libgfortran|libquadmath|libgomp'
for p in $progs; do ldd "$p"; done | awk '$3 ~ /^\// {print $3}' | sort -u | grep -E "$want" |
  while read -r lib; do cp -L "$lib" "$out/lib/"; done
# bin/ and lib/ travel as one xz archive (OpenBLAS alone is 37 MB, 7 MB packed: a node
# reached through a size-limited copy gets the bundle in 54 MB with the full corpus);
# the first wrapper that runs unpacks it, atomically, so parallel first calls are safe.
tar -cJf "$out/progs.tar.xz" -C "$out" bin lib
rm -rf "$out/bin" "$out/lib"
for p in $progs; do
  name=$(basename "$p")
  cat >"$out/$name" <<EOF
#!/bin/sh
# $name from the bundle: its libraries first, then the node's CUDA.
here=\$(cd "\$(dirname "\$0")" && pwd)
if [ ! -d "\$here/bin" ]; then
  tmp=\$(mktemp -d "\$here/.unpack-XXXXXX")
  tar -xJf "\$here/progs.tar.xz" -C "\$tmp"
  mv "\$tmp/lib" "\$here/lib" 2>/dev/null || true
  mv "\$tmp/bin" "\$here/bin" 2>/dev/null || true
  rm -rf "\$tmp"
fi
LD_LIBRARY_PATH="\$here/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
exec "\$here/bin/$name" "\$@"
EOF
  chmod +x "$out/$name"
done
cp scripts/gpu_sweep.sh "$out/"
# The corpus as text, not tokens: xz packs English text to a quarter (the full tier's
# 180 MB train.txt to 45 MB, measured), and tokenizing on the node
# takes seconds (gpu_sweep.sh does it with the tokenizer sent along, so the tokens are
# the same). The slow xz -9 of train.txt is kept beside it and reused while train.txt
# is unchanged.
if [ -n "$data" ]; then
  tier=$(basename "$data")
  mkdir -p "$out/data/$tier"
  for f in train.txt val.txt; do
    [ -f "$data/$f" ] || { echo "gpu_bundle.sh: no $data/$f" >&2; exit 2; }
    if [ ! -f "$data/$f.xz" ] || [ "$data/$f" -nt "$data/$f.xz" ]; then
      xz -9 -T0 -c "$data/$f" >"$data/$f.xz.tmp" && mv "$data/$f.xz.tmp" "$data/$f.xz"
    fi
    cp "$data/$f.xz" "$out/data/$tier/"
  done
  for f in tokenizer.bpe manifest.json; do
    [ -f "$data/$f" ] && cp "$data/$f" "$out/data/$tier/"
  done
  echo "data: $tier as text; BUNDLE/gpu_sweep.sh unpacks and tokenizes it on the node"
fi
du -sh "$out"
