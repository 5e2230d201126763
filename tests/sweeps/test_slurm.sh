#!/bin/sh
# `sweep run --slurm` against a real single-node Slurm started here: munged, slurmctld
# and slurmd on localhost with a config in a temporary directory. Installs Debian's
# slurm-wlm and munge when missing (needs root); exits 77 (skipped) only when they
# cannot be installed. Stops the daemons it started, by their pid.
# Usage: test_slurm.sh SWEEP FIXTURE_DIR
set -u
sweep=$1 fixture=$2
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  if [ "$(id -u)" -ne 0 ] ||
    ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1; then
    echo "SKIP: slurm-wlm and munge are not installed and cannot be installed here"
    exit 77
  fi
fi
[ "$(id -u)" -eq 0 ] || { echo "SKIP: starting slurmd needs root"; exit 77; }

. "$here/common.sh"
pids=""
stop_daemons() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$p" 2>/dev/null
  done
}
trap 'stop_daemons; cleanup' EXIT
show_logs() { for f in "$work"/slurm/*.log "$work"/results/*/slurm/*.out; do echo "== $f"; tail -20 "$f"; done 2>/dev/null; }

# munge with its own key and socket
m=$work/munge
mkdir -p /run/munge "$m" && chmod 700 "$m"
if command -v mungekey >/dev/null; then
  mungekey --create --keyfile="$m/munge.key" >/dev/null 2>&1
else
  dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 2>/dev/null
fi
chmod 600 "$m/munge.key"
munged --force --foreground --socket="$m/munge.sock" --key-file="$m/munge.key" \
  --pid-file="$m/munged.pid" --log-file="$m/munged.log" --seed-file="$m/munge.seed" 2>"$m/munged.out" &
pids="$pids $!"

s=$work/slurm
mkdir -p "$s/state" "$s/spool"
port=$((20000 + $$ % 20000))
cat >"$s/slurm.conf" <<CONF
ClusterName=psltest
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$m/munge.sock
CredType=cred/munge
StateSaveLocation=$s/state
SlurmdSpoolDir=$s/spool
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd.pid
SlurmctldLogFile=$s/slurmctld.log
SlurmdLogFile=$s/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$s/slurm.conf"
i=0
until [ -S "$m/munge.sock" ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
slurmctld -D -f "$SLURM_CONF" >"$s/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" -N localhost >"$s/slurmd.out" 2>&1 &
pids="$pids $!"
i=0
until sinfo -h -o %T 2>/dev/null | grep -q idle || [ $i -ge 300 ]; do sleep 0.2; i=$((i + 1)); done
sinfo -h -o %T | grep -q idle || { show_logs; cat "$s"/*.out; fail "the Slurm node never became idle"; }

cd "$work" || exit 1
cat >tiny.lua <<'LUA'
return sweep{
  name = "slurmy", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  d_model = 32, n_layer = 2, n_head = 2, tokens = 8192,
  runs = grid{ seed = {0, 1, 2} },
}
LUA
# One run done locally first: the array job must hold only the other two.
"$sweep" run tiny.lua --only s0 --threads 1 --results results >local.txt 2>&1 || { cat local.txt; fail "local run"; }
"$sweep" run tiny.lua --slurm --threads 1 --array-limit 2 --time 10 --partition test \
  --sbatch-arg "--comment=psl sweep'test #1" --results results >submit.txt 2>&1
rc=$?
[ $rc -eq 0 ] || { cat submit.txt; show_logs; fail "sweep run --slurm exit $rc"; }
cat submit.txt
grep -q "2 tasks (array 1-2%2)" submit.txt || fail "array of the two runs not done"
test -f results/slurmy/slurm/sweep.sbatch || fail "batch script written"
job=$(sed -n 's/^submitted Slurm job \([0-9]*\).*/\1/p' submit.txt)
# The script's quoted #SBATCH values reach Slurm as they were given.
scontrol show job "$job" >job.txt 2>&1
grep -q "JobName=sweep-slurmy" job.txt || { cat job.txt; fail "the job's name"; }
grep -q "Comment=psl sweep'test #1" job.txt || { cat job.txt; fail "a quoted --sbatch-arg"; }
i=0
while [ -n "$(squeue -h -j "$job" 2>/dev/null)" ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || { show_logs; fail "job $job did not finish"; }
"$sweep" status results/slurmy >status.txt || { cat status.txt; show_logs; fail "not every run is done"; }
grep -Eq "done +3" status.txt || { cat status.txt; fail "three runs done"; }
ls results/slurmy/slurm/*_1.out results/slurmy/slurm/*_2.out >/dev/null || fail "task outputs"

# Cooldown branches: their array waits for the parent's task (afterok:JOB_TASK); the
# results equal the same runs trained from scratch locally.
cat >cd.lua <<'LUA'
return sweep{
  name = "cd", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  runs = cooldown{ d_model = 32, n_layer = 2, n_head = 2, tokens = {5120, 10240, 7680},
                   decay_frac = 0.2, eval_every = 8 },
}
LUA
sed -e 's/name = "cd"/name = "scr"/' -e 's/runs = cooldown{/runs = grid{/' -e 's/tokens = {5120, 10240, 7680},/tokens = {5120, 10240, 7680}, schedule = "wsd", schedule_tokens = 10240,/' cd.lua >scr.lua
"$sweep" run scr.lua --jobs 2 --threads 1 --results ref >scr.txt 2>&1 || { cat scr.txt; fail "scratch runs"; }
"$sweep" run cd.lua --slurm --threads 1 --time 10 --partition test --results results >submit3.txt 2>&1 ||
  { cat submit3.txt; show_logs; fail "submit branches"; }
cat submit3.txt
grep -q "after task [0-9]*_2 (their parent)" submit3.txt || fail "the branches' array depends on the parent's task"
i=0
while [ -n "$(squeue -h 2>/dev/null)" ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
"$sweep" status results/cd >status3.txt || { cat status3.txt; show_logs; fail "branches through Slurm not done"; }
/usr/bin/python3 "$here/compare_runs.py" ref/scr results/cd || fail "branches through Slurm differ from scratch"

# SIGTERM (what Slurm sends at the time limit or on preemption): the task checkpoints.
sed -e 's/"slurmy"/"longer"/' -e 's/tokens = 8192/tokens = 2097152/' -e 's/seed = {0, 1, 2}/seed = {0}/' tiny.lua >long.lua
"$sweep" run long.lua --slurm --threads 1 --results results >submit2.txt 2>&1 || { cat submit2.txt; fail "submit long"; }
job2=$(sed -n 's/^submitted Slurm job \([0-9]*\).*/\1/p' submit2.txt)
i=0
until ls results/longer/*.h5 >/dev/null 2>&1 || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
scancel --batch --signal=TERM "$job2"
i=0
while [ -n "$(squeue -h -j "$job2" 2>/dev/null)" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
"$sweep" status results/longer >status2.txt
grep -q "pending" status2.txt || { cat status2.txt; show_logs; fail "the terminated run is pending"; }
ls results/longer/*.ckpt >/dev/null 2>&1 || { show_logs; fail "SIGTERM wrote a checkpoint"; }
grep -q "stopped" results/longer/slurm/*.out || { show_logs; fail "the task says it stopped"; }
echo "ok: Slurm job $job trained 2 runs; job $job2 checkpointed on SIGTERM"
