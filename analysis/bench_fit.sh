#!/bin/sh
# Benchmark: fit every applicable law on RUNS synthetic runs (drawn from the paper's
# constants, analysis/synth_runs.awk) with BOOT bootstrap replicates, held-out checks
# included, and print the time.
#   analysis/bench_fit.sh [FITLAWS_BINARY] [RUNS] [BOOT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/analysis/fitlaws}
runs=${2:-500}
boot=${3:-1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v runs="$runs" -v seed=1 -f "$here/synth_runs.awk" > "$tmp/runs.csv"
echo "bench_fit: $runs runs ($(($(wc -l < "$tmp/runs.csv") - 1)) CSV rows), $boot bootstrap replicates, OMP_NUM_THREADS=${OMP_NUM_THREADS:-default}, $(nproc) cores"
start=$(date +%s.%N)
"$bin" --csv "$tmp/runs.csv" --bootstrap "$boot" --figures none > "$tmp/out.txt" 2> "$tmp/err.txt"
end=$(date +%s.%N)
grep -E '^== |converged|not fitted' "$tmp/out.txt" | grep -v 'replicates' | paste - - | awk -F'\t' '{printf "  %-60.60s %s\n", $1, $2}'
grep 'fit time' "$tmp/out.txt"
echo "bench_fit: wall $(echo "$end - $start" | bc) s"
