#!/bin/sh
# sweep status on a sweep with damaged run files, and from another working directory:
# every run is listed, a bad file is reported by name as a conflict (never a crash of
# the whole command), and runs are not conflicts just because the data dir is relative.
# Usage: test_status_readers.sh SWEEP MUTANTS_BIN FIXTURE_DIR
set -u
sweep=$1 mutants=$2 fixture=$3
. "$(dirname "$0")/../sweeps/common.sh"
cd "$work" || exit 1
cat >t.lua <<'LUA'
return sweep{ name = "t", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  d_model = 32, n_layer = 2, n_head = 2, tokens = 4096, runs = grid{ seed = {0, 1, 2} } }
LUA
"$sweep" run t.lua --jobs 1 --threads 1 >run.txt 2>&1 || { cat run.txt; fail "sweep run"; }
"$sweep" status results/t >s0.txt || { cat s0.txt; fail "all done"; }
# from another directory (it reported every run as a conflict)
(cd / && "$sweep" status "$work/results/t") >s1.txt 2>&1 || { cat s1.txt; fail "status from /"; }
grep -q conflict s1.txt && { cat s1.txt; fail "no conflicts from another directory"; }
[ "$(grep -c '_s[0-9] *done' s1.txt)" -eq 3 ] || { cat s1.txt; fail "three done from /"; }
# a truncated run file and one that crashes libhdf5 itself
set -- results/t/*_s0.h5; r0=$1
set -- results/t/*_s1.h5; r1=$1
head -c 3000 "$r0" >x && mv x "$r0"
PSL_KEEP_HDF5_FAULT="$work/fault.h5" "$mutants" 80 >mut.txt 2>&1
if [ -f fault.h5 ]; then cp fault.h5 "$r1"; fi
"$sweep" status results/t >s2.txt 2>&1
rc=$?
[ $rc -eq 1 ] || { cat s2.txt; fail "status exit 1 with damaged files (got $rc)"; }
grep -q "conflict.*$(basename "$r0")" s2.txt || { cat s2.txt; fail "the truncated file named"; }
if [ -f fault.h5 ]; then
  grep -q "crashed the HDF5 library" s2.txt || { cat s2.txt; fail "the libhdf5 crash reported"; }
else
  echo "note: no mutant crashed libhdf5 here; that part not exercised"
fi
grep -q "_s2 *done" s2.txt || { cat s2.txt; fail "the good run still listed as done"; }
"$sweep" plan t.lua --no-calibrate >p.txt 2>&1 || { cat p.txt; fail "plan with damaged files"; }
echo "ok"
