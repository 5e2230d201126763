#!/bin/sh
# Cooldown branches in sweep run (docs/sweeps.md): a wsd parent keeping checkpoints at two
# branch points and two branches (branch_from = "@p"), run with --jobs 2 and --jobs 1:
# the branches wait (board, sweep status) and then start from the parent's checkpoints,
# and every run equals the same knobs trained from scratch bit for bit (compare_runs.py:
# run id, /train step and loss, /eval, /final). A parent that fails fails its branches
# with a reason naming it; a sweep killed mid-parent and started again finishes with the
# same results. Usage: test_branch.sh SWEEP FIXTURE_DIR
set -u
sweep=$1 fixture=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cd "$work" || exit 1
mkdir broken && cp data/train.tok broken/ # no val.tok: training fails
# 40 steps of 256 tokens; the branches decay after steps 16 (of 20) and 24 (of 30)
cat >br.lua <<'LUA'
return sweep{
  name = "br", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  d_model = 32, n_layer = 2, n_head = 2, schedule = "wsd", decay_frac = 0.2,
  schedule_tokens = 10240, eval_every = 8,
  runs = {
    { tokens = 10240, ckpt_keep = "16,24", label = "p" },
    { tokens = 5120, branch_from = "@p" },
    { tokens = 7680, branch_from = "d32-l2-h2_D10.2k_fp32_s0" },
  },
}
LUA
# the same runs from scratch
sed -e 's/name = "br"/name = "scr"/' -e 's/, ckpt_keep = "16,24", label = "p"//' \
  -e 's/, branch_from = "[^"]*"//' br.lua >scr.lua
grep -q branch_from scr.lua && fail "scr.lua still branches"
"$sweep" run scr.lua --jobs 2 --threads 1 --results ref >ref.txt 2>&1 || { cat ref.txt; fail "scratch sweep"; }

"$sweep" plan br.lua --no-calibrate >plan.txt || { cat plan.txt; fail "plan"; }
grep -q "d32-l2-h2_D5.12k_fp32_s0 from #2 d32-l2-h2_D10.2k_fp32_s0 at step 16 of 20" plan.txt &&
  grep -q "d32-l2-h2_D7.68k_fp32_s0 from #2 d32-l2-h2_D10.2k_fp32_s0 at step 24 of 30" plan.txt ||
  { cat plan.txt; fail "plan shows the branches and their parent"; }
"$sweep" status br.lua --results j2 >st0.txt
grep -Eq "waiting +2" st0.txt && grep -Eq "pending +1" st0.txt &&
  grep -q "waiting for j2/br/d32-l2-h2_D10.2k_fp32_s0.step16.ckpt" st0.txt ||
  { cat st0.txt; fail "status: the branches wait for the parent's checkpoints"; }
"$sweep" status br.lua --results j2 --json >st0.json
/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); t=d['totals']; sys.exit(0 if t['waiting']==2 and [r['state'] for r in d['runs']]==['waiting','waiting','pending'] and d['runs'][0]['reason'].startswith('waiting for') else 1)" st0.json ||
  { cat st0.json; fail "status --json: waiting"; }

for jobs in 2 1; do
  "$sweep" run br.lua --jobs $jobs --threads 1 --results j$jobs >run$jobs.txt 2>&1 ||
    { cat run$jobs.txt; fail "sweep run --jobs $jobs"; }
  grep -q "3 done, 0 diverged, 0 failed" run$jobs.txt || { cat run$jobs.txt; fail "--jobs $jobs: three done"; }
  /usr/bin/python3 "$here/compare_runs.py" ref/scr j$jobs/br || fail "--jobs $jobs: branches differ from scratch"
  for b in d32-l2-h2_D5.12k_fp32_s0:16 d32-l2-h2_D7.68k_fp32_s0:24; do
    /usr/bin/python3 -c "import h5py,sys; sys.exit(0 if h5py.File(sys.argv[1])['config'].attrs['branch_step'] == int(sys.argv[2]) else 1)" \
      "j$jobs/br/${b%:*}.h5" "${b#*:}" || fail "--jobs $jobs: ${b%:*} was branched at step ${b#*:}"
  done
done
# --jobs 1: the board showed the branches waiting while the parent trained
grep -q "waiting for d32-l2-h2_D10.2k_fp32_s0 (step 16)" run1.txt || { cat run1.txt; fail "board shows waiting"; }
grep -q "2 waiting for parents" run1.txt || { cat run1.txt; fail "board counts waiting runs"; }
"$sweep" status br.lua --results j1 >st1.txt || { cat st1.txt; fail "status after the sweep"; }

# cooldown{} writes the same three runs (one parent, two branches): equal to scratch too.
cat >cd.lua <<'LUA'
return sweep{
  name = "cd", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  runs = cooldown{ d_model = 32, n_layer = 2, n_head = 2, tokens = {5120, 10240, 7680},
                   decay_frac = 0.2, eval_every = 8 },
}
LUA
"$sweep" run cd.lua --jobs 2 --threads 1 >cd.txt 2>&1 || { cat cd.txt; fail "cooldown{} sweep"; }
/usr/bin/python3 "$here/compare_runs.py" ref/scr results/cd || fail "cooldown{}: differs from scratch"
ls results/cd/*.step16.ckpt results/cd/*.step24.ckpt >/dev/null || fail "cooldown{}: kept checkpoints"

# --slurm (a stand-in sbatch that keeps each script and answers job ids 100, 101, ...):
# the parent and the runs without a parent in one array, the branches of each parent in
# an array that depends on the parent's task. Two cooldown{} groups, one parent done.
mkdir -p bin
cat >bin/sbatch <<'SH'
#!/bin/sh
for a; do last=$a; done
n=$(ls "$SBATCH_KEEP" | wc -l)
cp "$last" "$SBATCH_KEEP/$n.sbatch" && echo $((100 + n))
SH
chmod +x bin/sbatch
mkdir kept
cat >sl.lua <<'LUA'
return sweep{
  name = "sl", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  runs = concat(
    cooldown{ model = ladder{ {d = 32, l = 2, h = 2}, {d = 48, l = 1, h = 2} },
              tokens = {5120, 10240, 7680}, decay_frac = 0.2, eval_every = 8 },
    { d_model = 32, n_layer = 2, n_head = 2, tokens = 2560, name = "plain" }),
}
LUA
"$sweep" plan sl.lua --no-calibrate >slplan.txt || { cat slplan.txt; fail "plan sl"; }
# plan order: 0 plain, 1-3 d32 (D5.12k, D7.68k, D10.2k), 4-6 d48
SBATCH_KEEP=$work/kept PATH=$work/bin:$PATH "$sweep" run sl.lua --slurm --threads 1 >sl.txt 2>&1 ||
  { cat sl.txt; fail "--slurm with branches"; }
grep -q "submitted Slurm job 100: 3 tasks (array 0,3,6)" sl.txt &&
  grep -q "submitted Slurm job 101: 2 tasks (array 1-2), after task 100_3 (their parent)" sl.txt &&
  grep -q "submitted Slurm job 102: 2 tasks (array 4-5), after task 100_6 (their parent)" sl.txt &&
  grep -q "3 array jobs" sl.txt || { cat slplan.txt sl.txt; fail "--slurm: arrays and dependencies"; }
grep -qx "#SBATCH --array=0,3,6" kept/0.sbatch && ! grep -q dependency kept/0.sbatch ||
  { cat kept/0.sbatch; fail "the first array"; }
grep -qx "#SBATCH --array=1-2" kept/1.sbatch && grep -qx "#SBATCH --dependency=afterok:100_3" kept/1.sbatch &&
  grep -qx "#SBATCH --kill-on-invalid-dep=yes" kept/1.sbatch || { cat kept/1.sbatch; fail "a branch array"; }
grep -qx "#SBATCH --dependency=afterok:100_6" kept/2.sbatch || { cat kept/2.sbatch; fail "the second branch array"; }
grep -q -- '--index "$SLURM_ARRAY_TASK_ID"' kept/1.sbatch || fail "branch tasks run sweep exec"
test -f results/sl/slurm/branches-3.sbatch -a -f results/sl/slurm/branches-6.sbatch || fail "branch scripts kept"
# A parent already done: its branches go into the first array (they wait for nothing).
"$sweep" run sl.lua --only d48-l1-h2_D10.2k --threads 1 >sl1.txt 2>&1 || { cat sl1.txt; fail "train a parent"; }
rm -f kept/*
SBATCH_KEEP=$work/kept PATH=$work/bin:$PATH "$sweep" run sl.lua --slurm --threads 1 >sl2.txt 2>&1 ||
  { cat sl2.txt; fail "--slurm, one parent done"; }
grep -q "submitted Slurm job 100: 4 tasks (array 0,3-5)" sl2.txt &&
  grep -q "submitted Slurm job 101: 2 tasks (array 1-2), after task 100_3" sl2.txt ||
  { cat sl2.txt; fail "--slurm: a done parent's branches in the first array"; }

# A parent that fails: its branches fail naming it, and no branch is started.
sed -e 's/name = "br"/name = "bad"/' -e 's/data = "data"/data = "broken"/' br.lua >bad.lua
"$sweep" run bad.lua --jobs 2 --threads 1 >bad.txt 2>&1
[ $? -eq 1 ] || { cat bad.txt; fail "a failed parent: exit 1"; }
grep -q "0 done, 0 diverged, 3 failed" bad.txt || { cat bad.txt; fail "parent and branches failed"; }
grep -q "failed: d32-l2-h2_D5.12k_fp32_s0: its parent d32-l2-h2_D10.2k_fp32_s0 failed" bad.txt ||
  { cat bad.txt; fail "the branch's reason names its parent"; }
"$sweep" status bad.lua >badst.txt
grep -q "its parent d32-l2-h2_D10.2k_fp32_s0 failed" badst.txt || { cat badst.txt; fail "status: reason"; }
[ ! -e results/bad/d32-l2-h2_D5.12k_fp32_s0.h5 ] || fail "a branch of a failed parent wrote a run file"

# A parent outside the sweep is a file that must exist.
cat >ext.lua <<'LUA'
return sweep{
  name = "ext", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  d_model = 32, n_layer = 2, n_head = 2, schedule = "wsd", decay_frac = 0.2,
  schedule_tokens = 10240, eval_every = 8,
  runs = { { tokens = 5120, branch_from = "nowhere/p.h5" } },
}
LUA
"$sweep" run ext.lua --threads 1 >ext.txt 2>&1
[ $? -eq 1 ] && grep -q "its parent run file nowhere/p.h5 (branch_from) is missing" ext.txt ||
  { cat ext.txt; fail "a missing outside parent"; }
sed -i 's#nowhere/p.h5#j1/br/d32-l2-h2_D10.2k_fp32_s0.h5#' ext.lua
"$sweep" run ext.lua --threads 1 >ext2.txt 2>&1 || { cat ext2.txt; fail "an outside parent"; }
/usr/bin/python3 -c "import h5py,sys; a,b=(h5py.File(p) for p in sys.argv[1:]); sys.exit(0 if (a['train/loss'][()]==b['train/loss'][()]).all() and a['final'].attrs['val_loss']==b['final'].attrs['val_loss'] else 1)" \
  results/ext/d32-l2-h2_D5.12k_fp32_s0.h5 ref/scr/d32-l2-h2_D5.12k_fp32_s0.h5 || fail "outside parent: equals scratch"

# Killed mid-parent (scheduler and runs at once, then the scheduler alone) and started
# again: everything finishes, equal to scratch. 400 steps; branches decay after 160, 240.
for f in br scr; do
  sed -e "s/name = \"$f\"/name = \"k$f\"/" -e 's/10240/102400/g' -e 's/7680/76800/' -e 's/5120/51200/' \
    -e 's/"16,24"/"160,240"/' -e 's/eval_every = 8/eval_every = 20/' -e 's/D10.2k/D102k/' $f.lua >k$f.lua
done
"$sweep" run kscr.lua --jobs 2 --threads 1 --results ref >kref.txt 2>&1 || { cat kref.txt; fail "scratch (kill)"; }
for delay in 0.7 1.5; do
  "$sweep" run kbr.lua --jobs 2 --threads 1 --results kill >>kill.txt 2>&1 &
  pid=$!
  sleep $delay
  kids=$(pgrep -P "$pid" | tr '\n' ' ')
  if [ $delay = 0.7 ]; then kill -9 "$pid" $kids 2>/dev/null; else kill -9 "$pid" 2>/dev/null; fi
  wait "$pid" 2>/dev/null
  for k in $kids; do while kill -0 "$k" 2>/dev/null; do sleep 0.05; done; done
  "$sweep" status kbr.lua --results kill >>kill.txt
done
grep -q "d32-l2-h2_D102k_fp32_s0 done" kill.txt && { cat kill.txt; fail "the parent finished before a kill (make it longer)"; }
"$sweep" run kbr.lua --jobs 2 --threads 1 --results kill >kfinal.txt 2>&1 || { cat kill.txt kfinal.txt; fail "rerun after kills"; }
/usr/bin/python3 "$here/compare_runs.py" ref/kscr kill/kbr || { cat kill.txt kfinal.txt; fail "killed sweep differs from scratch"; }
grep -E "^ +[0-9]+ " kill.txt # the states after each kill (in the test log)
echo ok
