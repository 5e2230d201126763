#!/bin/sh
# sweep run / status / exec end to end on tiny runs: parallel jobs, a diverging run (data,
# exit 0), a failing run (exit 1, the others go on), skipping finished runs, conflicts
# and --force, --only, and Ctrl-C (checkpoint, exit 130, resume).
# Usage: test_run.sh SWEEP FIXTURE_DIR
set -u
sweep=$1 fixture=$2
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
mkdir broken && cp data/train.tok broken/ # no val.tok: training fails
cat >tiny.lua <<'LUA'
-- four good runs, one that diverges, one that fails
return sweep{
  name = "tiny", data = "data", ctx = 32, batch = 8, eval_tokens = 2048, lr = 0.01,
  d_model = 32, n_layer = 2, n_head = 2, tokens = 8192,
  runs = concat(
    grid{ model = ladder{ {d = 32, l = 2, h = 2}, {d = 48, l = 1, h = 2} }, seed = {0, 1} },
    { name = "diverges", lr = 10, warmup_frac = 0, clip = 0 },
    { name = "fails", data = "broken" }),
}
LUA
"$sweep" plan tiny.lua --no-calibrate >plan.txt || fail "plan"
grep -q "6 runs" plan.txt || fail "plan lists 6 runs"
# With calibration every run gets a measured time estimate.
"$sweep" plan tiny.lua --threads 1 >plan2.txt || fail "plan with calibration"
grep -q "no time estimate" plan2.txt && { cat plan2.txt; fail "calibrated times"; }
grep -q "diverges" plan2.txt || fail "plan lists named runs"
"$sweep" run tiny.lua --jobs 2 --threads 1 >out.txt 2>&1
rc=$?
[ $rc -eq 1 ] || { cat out.txt; fail "a failed run makes the exit status 1 (got $rc)"; }
grep -q "4 done, 1 diverged, 1 failed" out.txt || { cat out.txt; fail "summary counts"; }
grep -q "diverged runs are results" out.txt || fail "summary says diverged runs are data"
[ "$(ls results/tiny/*.h5 | wc -l)" -eq 5 ] || fail "five run files (the failing run fails before writing one)"
grep -q '^done ' results/tiny/d32-l2-h2_D8.19k_fp32_s0.state || fail "state file says done"
grep -q '^failed ' results/tiny/fails.state || fail "state file says failed"
test -f results/tiny/sweep.lua -a -f results/tiny/sweep.json || fail "sweep copy saved"
# no empty side files: a released lock is removed, an empty log of a run that ended well too
for f in results/tiny/*.lock results/tiny/*.log; do
  [ -e "$f" ] || continue
  [ -s "$f" ] || fail "empty $f left behind"
done
grep -q . results/tiny/fails.log || fail "the failed run's log kept"

"$sweep" status results/tiny >status.txt
[ $? -eq 1 ] || fail "status exits 1 while a run failed"
grep -Eq "done +4" status.txt && grep -Eq "diverged +1" status.txt && grep -Eq "failed +1" status.txt ||
  { cat status.txt; fail "status counts"; }
"$sweep" status tiny.lua >status2.txt; [ $? -eq 1 ] || fail "status CONFIG"
diff status.txt status2.txt >/dev/null || fail "status DIR and status CONFIG agree"

# Second run: only the failed run is tried again (and fails again).
"$sweep" run tiny.lua --jobs 2 --threads 1 >out2.txt 2>&1
grep -q "5 already finished, 1 to train" out2.txt || { cat out2.txt; fail "finished runs skipped"; }
# --only selects by substring or glob; everything selected is finished: exit 0.
"$sweep" run tiny.lua --only 'd48-*' >out3.txt 2>&1 || { cat out3.txt; fail "--only exit 0"; }
grep -q "0 to train" out3.txt || fail "--only: nothing to train"

# PTQ a config newly asks for is added to a finished run by `sweep exec` (what Slurm
# tasks and sweep run's jobs start; the ptq knobs are not part of the run's identity),
# under its lock, which it leaves no file of.
sed 's/lr = 0.01,/lr = 0.01, ptq = "rtn", ptq_bits = "4",/' tiny.lua >tiny_ptq.lua
"$sweep" exec tiny_ptq.lua --name d32-l2-h2_D8.19k_fp32_s0 --threads 1 >out_ptq.txt 2>&1 ||
  { cat out_ptq.txt; fail "sweep exec adds PTQ to a finished run"; }
grep -q "post-training quantization added" out_ptq.txt || { cat out_ptq.txt; fail "PTQ added"; }
/usr/bin/python3 -c "import h5py,sys; b=h5py.File(sys.argv[1])['ptq/rtn/bits'][()]; sys.exit(0 if list(b) == [4] else 1)" \
  results/tiny/d32-l2-h2_D8.19k_fp32_s0.h5 || fail "one /ptq/rtn row in the finished run"
[ ! -e results/tiny/d32-l2-h2_D8.19k_fp32_s0.lock ] || fail "no lock file left"
"$sweep" exec tiny_ptq.lua --name d32-l2-h2_D8.19k_fp32_s0 --threads 1 >out_ptq2.txt 2>&1 ||
  fail "sweep exec again"
grep -q "post-training quantization added" out_ptq2.txt && fail "nothing added the second time"
# sweep run (and --slurm) give such finished runs to sweep exec too; then nothing is left.
"$sweep" run tiny_ptq.lua --only 'd48-*' --jobs 2 --threads 1 >out_ptq3.txt 2>&1 ||
  { cat out_ptq3.txt; fail "sweep run adds PTQ to finished runs"; }
grep -q "2 already finished, 0 to train, 2 finished to add PTQ to" out_ptq3.txt ||
  { cat out_ptq3.txt; fail "sweep run counts the runs it adds PTQ to"; }
for f in results/tiny/d48-*.h5; do
  /usr/bin/python3 -c "import h5py,sys; b=h5py.File(sys.argv[1])['ptq/rtn/bits'][()]; sys.exit(0 if list(b) == [4] else 1)" \
    "$f" || fail "sweep run added /ptq/rtn to $f"
done
"$sweep" run tiny_ptq.lua --only 'd48-*' >out_ptq4.txt 2>&1 || fail "sweep run again"
grep -q "2 already finished, 0 to train -> " out_ptq4.txt || { cat out_ptq4.txt; fail "nothing left"; }

# A changed config whose run keeps its name: the old run file is kept and reported.
sed 's/name = "diverges", lr = 10/name = "diverges", lr = 9/' tiny.lua >tiny2.lua
sed -i 's/name = "tiny"/name = "tiny"/' tiny2.lua
cp results/tiny/sweep.lua saved_before.lua
"$sweep" run tiny2.lua --only diverges >out4.txt 2>&1
[ $? -eq 1 ] || { cat out4.txt; fail "conflict exits 1"; }
grep -q "belongs to run_id" out4.txt || { cat out4.txt; fail "conflict reported"; }
grep -q "(lr 10 in the file, 9 in the config)" out4.txt ||
  { cat out4.txt; fail "the conflict names the knob that differs and both values"; }
cmp -s saved_before.lua results/tiny/sweep.lua || fail "a refused sweep run kept the saved config"
"$sweep" status tiny2.lua --only diverges | grep -q conflict || fail "status shows conflict"
# `sweep exec` (what a Slurm task runs) records the conflict in the state file; the user
# then moves the foreign files away by hand: the recorded conflict is gone with them (the
# run file alone decides), so the run is pending again.
"$sweep" exec tiny2.lua --name diverges --threads 1 >out4b.txt 2>&1
[ $? -eq 4 ] || { cat out4b.txt; fail "sweep exec on a conflict exits 4"; }
grep -q '^conflict ' results/tiny/diverges.state || fail "exec records the conflict"
mkdir -p aside && mv results/tiny/diverges.h5 results/tiny/diverges.ckpt aside/
"$sweep" status tiny2.lua --only diverges | grep -q conflict && fail "stale conflict after the files were moved"
mv aside/diverges.h5 aside/diverges.ckpt results/tiny/
"$sweep" run tiny2.lua --only diverges --force >out5.txt 2>&1 || { cat out5.txt; fail "--force"; }
ls results/tiny/diverges.h5.replaced-* >/dev/null 2>&1 || fail "--force moved the old run file aside"

# Ctrl-C (SIGINT to the scheduler): runs checkpoint, exit 130, a rerun resumes them.
sed -e 's/name = "tiny"/name = "long"/' -e 's/tokens = 8192/tokens = 262144/' tiny.lua >long.lua
"$sweep" run long.lua --only s0 --jobs 2 --threads 1 >out6.txt 2>&1 &
pid=$!
i=0
until ls results/long/*.h5 >/dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
# While they train, status sees them running (their locks are held).
"$sweep" status long.lua --only s0 >status_live.txt
grep -Eq "running +2" status_live.txt || { cat status_live.txt; fail "status shows the running runs"; }
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || { cat out6.txt; fail "Ctrl-C exits 130 (got $rc)"; }
ls results/long/*.ckpt >/dev/null 2>&1 || fail "stopped runs checkpointed"
"$sweep" status long.lua --only s0 >status3.txt
grep -q "pending" status3.txt || { cat status3.txt; fail "stopped runs are pending"; }
echo "ok"
