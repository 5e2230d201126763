#!/bin/sh
# kill -9 a sweep at pseudo-random moments (several seeds), start it again each time,
# and check that the final run files equal those of an uninterrupted sweep bit for bit,
# with no run file missing, duplicated, corrupt or left half-written. Odd seeds kill the
# scheduler and its runs at once (a crash); even seeds kill only the scheduler, whose
# runs then checkpoint and stop on their own (parent-death signal).
# Usage: test_kill.sh SWEEP FIXTURE_DIR
set -u
sweep=$1 fixture=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cd "$work" || exit 1
cat >k.lua <<'LUA'
return sweep{
  name = "k", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  d_model = 32, n_layer = 2, n_head = 2, tokens = 163840,
  runs = grid{ seed = {0, 1, 2, 3} },
}
LUA
start=$(date +%s.%N)
"$sweep" run k.lua --jobs 2 --threads 1 --results ref >ref.txt 2>&1 || { cat ref.txt; fail "reference sweep"; }
echo "uninterrupted sweep: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
for seed in 1 2 3 4 5; do
  delay=$(awk "BEGIN { srand($seed); printf \"%.2f\", 0.3 + 2.5 * rand() }")
  "$sweep" run k.lua --jobs 2 --threads 1 --results kill >>kill.txt 2>&1 &
  pid=$!
  sleep "$delay"
  kids=$(pgrep -P "$pid" | tr '\n' ' ')
  if [ $((seed % 2)) -eq 1 ]; then kill -9 "$pid" $kids 2>/dev/null; else kill -9 "$pid" 2>/dev/null; fi
  wait "$pid" 2>/dev/null
  # The runs are gone (or checkpointing) before the next start; a run still held is
  # waited for by the next scheduler anyway.
  for k in $kids; do while kill -0 "$k" 2>/dev/null; do sleep 0.05; done; done
  echo "seed $seed: killed after ${delay}s: $("$sweep" status kill/k | grep -cE '^ +[0-9]+ .* done ') runs done"
done
"$sweep" run k.lua --jobs 2 --threads 1 --results kill >final.txt 2>&1 || { cat final.txt; fail "final sweep"; }
"$sweep" status kill/k >/dev/null || fail "status after the final sweep"
/usr/bin/python3 "$here/compare_runs.py" ref/k kill/k || fail "results differ"
