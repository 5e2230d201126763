#!/bin/sh
# Runs a sweep on a GPU node from the bundle of scripts/gpu_bundle.sh, for at most a given
# time, and packs what it finished. On the node, in the bundle's directory:
#   ./gpu_sweep.sh CONFIG OUT_DIR [--jobs J] [--threads T] [--seconds S]
# 1. Unpacks the corpus text of data/ (gpu_bundle.sh --data) into data/corpus/<tier>/ and
#    tokenizes it with the tokenizer that came with it (sweep tokenize reuses it when it
#    was trained on this train.txt), so the token files are the ones made here: their
#    identity is in every run file (train_data_id), and this script prints it.
# 2. Runs `sweep run CONFIG --jobs J --threads T` (J runs share the GPU; their PTQ and
#    evaluation on the CPU overlap the others' training). After S seconds the sweep gets
#    SIGINT, so every run stops after a checkpoint (45 s later a kill: PTQ does not stop
#    midway); finished runs are done, the others resume when this is run again on the
#    same directory.
# 3. Writes OUT_DIR/results.tar.xz (also every minute while the sweep runs): the run files and logs of the sweep (no checkpoints),
#    the sweep's own files, nvidia-smi's view of the GPU, and the wall time of each step
#    in OUT_DIR/gpu_sweep.log.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
config=${1:?usage: gpu_sweep.sh CONFIG OUT_DIR [--jobs J] [--threads T] [--seconds S]}
out=${2:?usage: gpu_sweep.sh CONFIG OUT_DIR [--jobs J] [--threads T] [--seconds S]}
shift 2
jobs=4 threads=0 secs=540
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    *) echo "gpu_sweep.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$threads" -gt 0 ] || threads=$(( $(nproc) / jobs > 0 ? $(nproc) / jobs : 1 ))
mkdir -p "$out"
log=$out/gpu_sweep.log
t0=$(date +%s)
say() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$log"; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >>"$log" 2>&1 || true
for tier in "$here"/data/*/; do
  [ -d "$tier" ] || continue
  name=$(basename "$tier")
  dest=data/corpus/$name
  mkdir -p "$dest"
  for f in "$tier"*; do
    base=$(basename "$f")
    case $base in
      *.xz) [ -f "$dest/${base%.xz}" ] || xz -dc "$f" >"$dest/${base%.xz}" ;;
      *) cp "$f" "$dest/" ;;
    esac
  done
  "$here/sweep" tokenize --threads "$(nproc)" "$dest" 2>&1 | tee -a "$log"
  say "data $dest ready"
done
name=$(sed -n 's/^ *name *= *"\([^"]*\)".*/\1/p' "$config" | head -n 1)
# Packs what is there now (atomically: a command killed mid-way leaves the last pack).
pack() {
  [ -d "results/$name" ] || return 0
  tar -cJf "$out/results.tar.xz.tmp" --exclude='*.ckpt' --exclude='*.ckpt.tmp*' \
    --exclude='*.h5.tmp*' "results/$name" 2>/dev/null && mv "$out/results.tar.xz.tmp" "$out/results.tar.xz"
}
# Also every minute while the sweep runs, for a node that takes the machine away at a
# hard limit: finished runs come back whatever happens to this script.
(while sleep 60; do pack; done) &
packer=$!
say "sweep run $config --jobs $jobs --threads $threads, at most $secs s"
rc=0
timeout -s INT -k 45 "$secs" "$here/sweep" run "$config" --jobs "$jobs" --threads "$threads" \
  >>"$log" 2>&1 || rc=$?
case $rc in
  0) say "sweep run: every run done" ;;
  124 | 137) say "sweep run stopped at the time limit (exit $rc): rerun on this directory to resume" ;;
  *) say "sweep run exit $rc: some runs failed or conflict (see the log above)" ;;
esac
kill "$packer" 2>/dev/null || true
"$here/sweep" status "$config" >>"$log" 2>&1 || true
pack
say "packed $(du -h "$out/results.tar.xz" | cut -f1) into $out/results.tar.xz"
