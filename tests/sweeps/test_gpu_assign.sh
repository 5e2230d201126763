#!/bin/sh
# sweep run spreads runs with device=cuda over the visible GPUs: each run's process sees
# one GPU (CUDA_VISIBLE_DEVICES set to it alone), the least loaded, so --jobs runs share
# them evenly; runs on the CPU get none; --slurm asks one GPU per task (--gres=gpu:1)
# when runs are on cuda and no GPU for a CPU-only sweep. No GPU is needed: the runs fail
# to open one here (this machine has none, or the build has no CUDA), after their log
# has recorded the GPU they were given. Usage: test_gpu_assign.sh SWEEP FIXTURE_DIR
set -u
sweep=$1 fixture=$2
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
cat >gpu.lua <<'LUA'
return sweep{ name = "gpu", data = "data", ctx = 32, batch = 8, eval_tokens = 1024,
  d_model = 32, n_layer = 1, n_head = 2, tokens = 4096, device = "cuda",
  runs = { {seed = 0}, {seed = 1}, {seed = 2}, {seed = 3}, {seed = 4}, {seed = 5} } }
LUA
# Three GPUs by UUID-like name (entries are passed through as they are), three jobs at
# once: every run goes to a GPU with no run on it, so the six runs use all three.
CUDA_VISIBLE_DEVICES="GPU-aa, GPU-bb,GPU-cc" "$sweep" run gpu.lua --jobs 3 --threads 1 \
  --results res >run.out 2>&1
rc=$?
[ "$rc" -eq 1 ] || { cat run.out; fail "sweep run on a machine without GPU: exit $rc, expected 1"; }
grep -q "6 runs on cuda, spread over 3 GPUs: GPU-aa GPU-bb GPU-cc" run.out ||
  { cat run.out; fail "the GPUs found"; }
n=0
for log in res/gpu/*.log; do
  g=$(sed -n 's/^sweep run: GPU \([^ ]*\) of 3 (CUDA_VISIBLE_DEVICES=\1)$/\1/p' "$log" | head -n 1)
  case $g in GPU-aa | GPU-bb | GPU-cc) ;; *) cat "$log"; fail "$log: no GPU given ($g)" ;; esac
  echo "$g" >>given
  n=$((n + 1))
done
[ "$n" -eq 6 ] || fail "$n run logs, expected 6"
[ "$(sort -u given | wc -l)" -eq 3 ] || { sort given | uniq -c; fail "not all three GPUs used"; }
# Each run failed to open the device, and said so with the GPU it was given.
grep -l "device=cuda" res/gpu/*.log | wc -l | grep -qx 6 || fail "the runs' device errors"
# One job at a time on two GPUs: always the first (the least loaded, lowest on a tie: its
# load is 0 again when a run ends).
rm -rf res given
CUDA_VISIBLE_DEVICES=3,7 "$sweep" run gpu.lua --jobs 1 --threads 1 --results res >run.out 2>&1
for log in res/gpu/*.log; do
  grep -q "^sweep run: GPU 3 of 2 (CUDA_VISIBLE_DEVICES=3)$" "$log" ||
    { cat "$log"; fail "$log: with one job at a time the first GPU"; }
done
# CUDA_VISIBLE_DEVICES hiding every GPU: no assignment, the runs fail on no device.
rm -rf res
CUDA_VISIBLE_DEVICES= "$sweep" run gpu.lua --jobs 1 --threads 1 --results res >run.out 2>&1
grep -q "spread over" run.out && { cat run.out; fail "GPUs found in an empty CUDA_VISIBLE_DEVICES"; }
grep -q "^sweep run: GPU" res/gpu/*.log && fail "a GPU given with none visible"
# A CPU run is never given a GPU.
sed 's/device = "cuda",//' gpu.lua | sed 's/name = "gpu"/name = "cpu"/' >cpu.lua
rm -rf res
CUDA_VISIBLE_DEVICES=0 "$sweep" run cpu.lua --jobs 2 --threads 1 --results res --only '*s0' \
  >run.out 2>&1 || { cat run.out; fail "a CPU run"; }
grep -q "^sweep run: GPU" res/cpu/*.log && fail "a CPU run was given a GPU"
# --slurm: a stand-in sbatch keeps the script.
mkdir -p bin
cat >bin/sbatch <<'SH'
#!/bin/sh
for a; do last=$a; done
cp "$last" "$SBATCH_KEEP" && echo 4242
SH
chmod +x bin/sbatch
export SBATCH_KEEP=$work/kept.sbatch
PATH=$work/bin:$PATH "$sweep" run gpu.lua --slurm --results res2 >slurm.out 2>&1 ||
  { cat slurm.out; fail "sweep run --slurm (cuda)"; }
grep -qx "#SBATCH --gres=gpu:1" kept.sbatch || { cat kept.sbatch; fail "--gres=gpu:1 for cuda runs"; }
rm -f kept.sbatch
PATH=$work/bin:$PATH "$sweep" run cpu.lua --slurm --results res2 >slurm.out 2>&1 ||
  { cat slurm.out; fail "sweep run --slurm (cpu)"; }
grep -q "gres" kept.sbatch && { cat kept.sbatch; fail "a CPU sweep asked for a GPU"; }
echo "gpu assignment: ok"
