#!/bin/sh
# Benchmark: fit every applicable law on RUNS synthetic runs (drawn from the paper's
# constants, analysis/synth_runs.awk) with BOOT bootstrap replicates, held-out checks
# included; print a table of wall times with their medians.
#   analysis/bench_fit.sh [FITLAWS_BINARY] [RUNS] [BOOT]
# Environment:
#   REPEATS=3        runs per binary and thread count (the table shows each and the median)
#   THREADS="1 2"    OMP_NUM_THREADS values to measure (default: unset, OpenMP's default)
#   BEFORE=BINARY    a second fitlaws measured in the same invocation, alternating with
#                    FITLAWS run by run, so both see the same machine; the table adds the
#                    ratio of the medians and says whether the two printed the same results
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/analysis/fitlaws}
runs=${2:-500}
boot=${3:-1000}
repeats=${REPEATS:-3}
threads=${THREADS:-default}
before=${BEFORE:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v runs="$runs" -v seed=1 -f "$here/synth_runs.awk" > "$tmp/runs.csv"
echo "bench_fit: $runs runs ($(($(wc -l < "$tmp/runs.csv") - 1)) CSV rows), $boot bootstrap replicates, $repeats repeats, $(nproc) cores"

# one run: wall seconds to stdout; the program's output kept in $tmp/out.<tag>.txt
one() { # tag binary threads
    if [ "$3" = default ]; then
        s=$(date +%s.%N)
        "$2" --csv "$tmp/runs.csv" --bootstrap "$boot" --figures none > "$tmp/out.$1.txt" 2> "$tmp/err.$1.txt"
        e=$(date +%s.%N)
    else
        s=$(date +%s.%N)
        OMP_NUM_THREADS=$3 "$2" --csv "$tmp/runs.csv" --bootstrap "$boot" --figures none > "$tmp/out.$1.txt" 2> "$tmp/err.$1.txt"
        e=$(date +%s.%N)
    fi
    echo "$e - $s" | bc
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {printf "%.2f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
fitmed() { grep -h 'fit time' "$@" | awk '{print $3}' | median; }

for t in $threads; do
    wa=""
    wb=""
    i=0
    while [ $i -lt "$repeats" ]; do
        i=$((i + 1))
        if [ -n "$before" ]; then
            wb="$wb $(one b$t.$i "$before" "$t")"
        fi
        wa="$wa $(one a$t.$i "$bin" "$t")"
    done
    echo "$wa" > "$tmp/wall.a$t"
    echo "$wb" > "$tmp/wall.b$t"
done

first=$(echo $threads | awk '{print $1}')
# per law: fitted or why not (the terminal summary up to the derived quantities)
sed '/^== derived/,$d' "$tmp/out.a$first.1.txt" | grep -E '^== |converged|not fitted' | grep -v 'replicates' | paste - - |
    awk -F'\t' '{printf "  %-60.60s %s\n", $1, $2}'
echo
echo "| binary | OMP_NUM_THREADS | wall s, each run | median wall s | median fit time s |"
echo "|---|---|---|---|---|"
for t in $threads; do
    if [ -n "$before" ]; then
        echo "| before: $before | $t | $(cat "$tmp/wall.b$t" | xargs printf '%.2f ') | $(median < "$tmp/wall.b$t") | $(fitmed "$tmp"/out.b$t.*.txt) |"
    fi
    echo "| $bin | $t | $(cat "$tmp/wall.a$t" | xargs printf '%.2f ') | $(median < "$tmp/wall.a$t") | $(fitmed "$tmp"/out.a$t.*.txt) |"
done
if [ -n "$before" ]; then
    echo
    grep -v '^fit time' "$tmp/out.a$first.1.txt" > "$tmp/ref.txt"
    for t in $threads; do
        mb=$(median < "$tmp/wall.b$t")
        ma=$(median < "$tmp/wall.a$t")
        same=yes
        for f in "$tmp"/out.a$t.*.txt "$tmp"/out.b$t.*.txt; do
            grep -v '^fit time' "$f" | cmp -s - "$tmp/ref.txt" || same=no
        done
        echo "OMP_NUM_THREADS=$t: median wall before/after $(echo "scale=2; $mb / $ma" | bc)x; printed results the same in every run (both binaries, all thread counts): $same"
    done
fi
