#!/bin/sh
# The provenance attributes of a run file (docs/run-file.md, engine/provenance.c): a tiny
# `sweep train` on the fixture corpus with a manifest.json beside its token files, then
# h5py checks each attribute's value; again after `sweep ptq` rewrote the file (the
# reader must keep them), and with another OpenBLAS core the run id stays the same (the
# provenance is not part of the run identity) while blas_core says which core ran.
# Usage: test_provenance.sh SWEEP FIXTURE_DIR
set -eu
sweep=$1 fixture=$2
dir=$(mktemp -d /tmp/psl-prov-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$fixture/corpus/train.txt" "$fixture/corpus/val.txt" "$dir/"
"$sweep" tokenize --vocab 300 "$dir" >/dev/null
# Any bytes do: the run records the file's SHA-256, it does not parse it.
printf '{"tier": "fixture", "note": "a manifest for test_provenance.sh, %s"}\n' \
  "longer than one SHA-256 block of 64 bytes" >"$dir/manifest.json"
knobs="data=$dir d_model=16 n_layer=1 n_head=1 ctx=16 batch=4 tokens=2048 eval_tokens=256"
# shellcheck disable=SC2086
"$sweep" train $knobs threads=2 out="$dir/a.h5" >"$dir/log" 2>&1 || { cat "$dir/log"; exit 1; }
# shellcheck disable=SC2086
"$sweep" train $knobs threads=1 out="$dir/one.h5" >"$dir/log" 2>&1 || { cat "$dir/log"; exit 1; }
"$sweep" ptq "$dir/a.h5" method=rtn bits=4 >"$dir/log" 2>&1 || { cat "$dir/log"; exit 1; }
# The engine's own GEMM: gemm and gemm_path say so and which kernel path ran.
# shellcheck disable=SC2086
"$sweep" train $knobs threads=2 gemm=own out="$dir/own.h5" >"$dir/log" 2>&1 || { cat "$dir/log"; exit 1; }
# Released locks leave no files (engine/fsutil.h run_file_unlock), and a mistyped run
# path says so without making a lock file or folders.
for f in a one; do
  [ ! -e "$dir/$f.lock" ] || { echo "FAIL: $f.lock left behind after training and PTQ"; exit 1; }
done
if "$sweep" ptq "$dir/missing/x.h5" ptq_bits=4 >"$dir/log" 2>&1; then
  echo "FAIL: sweep ptq of a missing run file succeeded"; exit 1
fi
grep -q "x.h5: No such file or directory" "$dir/log" || { cat "$dir/log"; exit 1; }
[ ! -e "$dir/missing" ] || { echo "FAIL: sweep ptq of a missing run made $dir/missing"; exit 1; }
# Another kernel core (OpenBLAS's DYNAMIC_ARCH builds honour OPENBLAS_CORETYPE; another
# build ignores it and the check of blas_core below is skipped).
# shellcheck disable=SC2086
OPENBLAS_CORETYPE=Sandybridge "$sweep" train $knobs threads=2 out="$dir/sandy.h5" >"$dir/log" 2>&1 ||
  { cat "$dir/log"; exit 1; }

/usr/bin/python3 - "$dir" <<'EOF'
import hashlib
import json
import re
import sys

import h5py

d = sys.argv[1]


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def root(name):
    with h5py.File(f"{d}/{name}", "r") as f:
        return dict(f.attrs)


def cpuinfo_model():
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return None


manifest_sha = hashlib.sha256(open(f"{d}/manifest.json", "rb").read()).hexdigest()
tok_hash = int.from_bytes(open(f"{d}/train.tok", "rb").read(64)[24:32], "little")
assert tok_hash == fnv1a64(open(f"{d}/tokenizer.bpe", "rb").read()), "fixture tokenizer hash"

for name, threads in [("a.h5", 2), ("one.h5", 1)]:
    a = root(name)
    strings = ["engine_version", "git_commit", "compiler", "build", "cpu_model", "os", "libc",
               "blas_config", "blas_version", "blas_core", "blas_library", "tokenizer_hash",
               "train_data_id", "val_data_id", "corpus_manifest_sha256"]
    for k in strings:
        assert isinstance(a.get(k), str) and a[k], f"{name}: {k} missing or empty: {a.get(k)!r}"
    assert re.fullmatch(r"[0-9a-f]{12}(-dirty)?|unknown", a["git_commit"]), a["git_commit"]
    want_cpu = cpuinfo_model()
    if want_cpu:
        assert a["cpu_model"] == want_cpu, (a["cpu_model"], want_cpu)
    assert a["threads"] == threads and a["omp_threads"] == threads, (name, a["threads"])
    if "OpenBLAS" in a["blas_config"]:
        assert a["blas_threads"] == threads, (name, a["blas_threads"])
        assert a["blas_core"] != "unknown" and a["blas_core"] in a["blas_config"], a["blas_core"]
        assert re.fullmatch(r"OpenBLAS \d+\.\d+\.\d+\S*", a["blas_version"]), a["blas_version"]
    assert a["compiler"] != "unknown" and re.search(r"\d+\.\d+", a["compiler"]), a["compiler"]
    assert a["libc"].startswith("glibc "), a["libc"]
    assert a["tokenizer_hash"] == f"{tok_hash:016x}", (a["tokenizer_hash"], tok_hash)
    for k in ["train_data_id", "val_data_id"]:
        assert re.fullmatch(r"[0-9a-f]{16}", a[k]) and int(a[k], 16) != 0, (k, a[k])
    assert a["train_data_id"] != a["val_data_id"]
    assert a["corpus_manifest_sha256"] == manifest_sha, (a["corpus_manifest_sha256"], manifest_sha)
    # device=cpu (the default): the GPU attributes are there, saying there is none
    for k in ["gpu_model", "gpu_cc", "gpu_driver"]:
        assert a.get(k) == "none", (name, k, a.get(k))
    for k in ["cuda_driver", "cuda_runtime", "cublas_version"]:
        assert k in a and int(a[k]) == 0, (name, k, a.get(k))
    # The run identity is the knobs' alone: the id is the hash of the config JSON, which
    # names no provenance attribute.
    cfg = json.loads(a["config"])
    assert a["run_id"] == f"{fnv1a64(a['config'].encode()):016x}", "run_id is the config's hash"
    gpu = ["gpu_model", "gpu_cc", "gpu_driver", "cuda_driver", "cuda_runtime", "cublas_version"]
    for k in strings + gpu + ["host", "created", "gemm_path"]:
        assert k not in cfg, f"{k} in the run identity"
    # the default GEMM: OpenBLAS, out of the identity at its default
    assert a.get("gemm") == "openblas" and a.get("gemm_path") == "none", (a.get("gemm"), a.get("gemm_path"))
    assert "gemm" not in cfg, "gemm=openblas (the default) in the run identity"

own = root("own.h5")
assert own["gemm"] == "own" and own["gemm_path"] in ("ref", "avx2", "avx512"), (own["gemm"], own["gemm_path"])
assert json.loads(own["config"])["gemm"] == "own" and own["run_id"] != root("a.h5")["run_id"]

# sweep ptq rewrote a.h5 (load and save): it still has every attribute, unchanged.
with h5py.File(f"{d}/a.h5", "r") as f:
    assert "ptq/rtn" in f, "sweep ptq added its table"
sandy, a = root("sandy.h5"), root("a.h5")
assert sandy["run_id"] == a["run_id"], "another BLAS core is the same run"
if "DYNAMIC_ARCH" in a["blas_config"]:
    assert sandy["blas_core"] == "Sandybridge", sandy["blas_core"]
print("provenance OK:", {k: a[k] for k in ["cpu_model", "blas_version", "blas_core", "threads",
                                           "compiler", "git_commit", "gpu_model", "gemm"]},
      "own:", own["gemm_path"])
EOF
