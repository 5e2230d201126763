#!/bin/sh
# The sweep program's command-line habits (sweeps/cli.c, sweeps/main.c): --version,
# `sweep help COMMAND`, options as `--name VALUE` or `--name=VALUE`, a malformed value
# or a value on a flag refused with exit status 2 and a message naming the option, a
# bare `sweep train` printing its usage instead of training.
# Usage: test_cli.sh SWEEP FIXTURE_DIR
set -u
sweep=$1 fixture=$2
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
# expect RC PATTERN ARGS...: sweep ARGS exits RC and its output matches PATTERN
expect() {
  want=$1 pattern=$2
  shift 2
  "$sweep" "$@" >out.txt 2>&1
  rc=$?
  [ $rc -eq "$want" ] || { cat out.txt; fail "sweep $*: exit $rc, expected $want"; }
  grep -Eq -- "$pattern" out.txt || { cat out.txt; fail "sweep $*: no '$pattern'"; }
}
expect 0 '^sweep [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{12}|^sweep [0-9.]+ \(commit unknown' --version
expect 0 '^usage: sweep run CONFIG' help run
expect 0 '^usage: sweep COMMAND' help
expect 2 "unknown command 'nope'" help nope
expect 2 '^usage: sweep train KEY=VALUE' train
cat >t.lua <<'LUA'
return sweep{ name = "t", data = "data", ctx = 32, batch = 8, eval_tokens = 2048,
  d_model = 32, n_layer = 1, n_head = 2, tokens = 4096, runs = grid{ seed = {0, 1} } }
LUA
# both forms of a value, and flags
expect 0 '2 runs' plan t.lua --no-calibrate --jobs=2 --threads 1
expect 0 '2 runs' plan t.lua --no-calibrate --jobs 2 --threads=1 --only=s
expect 2 -- '--jobs=0: expected an integer in 1\.\.4096' run t.lua --jobs=0
expect 2 -- '--threads=2x: expected an integer' run t.lua --threads 2x
expect 2 -- '--jobs needs a value' plan t.lua --jobs
expect 2 -- '--force takes no value' run t.lua --force=1
expect 2 -- '--index=-1: expected an integer' exec t.lua --index=-1
expect 2 -- '--progress-fd=x: expected an integer' exec t.lua --index 0 --progress-fd x
expect 2 "unexpected argument '--jobsx'" run t.lua --jobsx 2
[ ! -d results ] || fail "refused commands wrote results"
# tokenize takes --vocab=N too
mkdir tk && cp "$fixture/corpus/train.txt" "$fixture/corpus/val.txt" tk/
expect 0 'tk/val.tok' tokenize --vocab=300 tk
expect 2 -- '--vocab "x": expected an integer' tokenize --vocab x tk
# --name=VALUE and --threads=1 reach sweep exec
expect 0 'done' exec t.lua --name=d32-l1-h2_D4.1k_fp32_s1 --threads=1
# sweep ptq takes several run files or a directory, and --jobs
expect 0 '' run t.lua --jobs 2 --threads 1
expect 0 'd32-l1-h2_D4.1k_fp32_s0.h5: /ptq/rtn updated' ptq results/t --jobs=2 ptq=rtn ptq_bits=4
for f in results/t/*.h5; do
  /usr/bin/python3 -c "import h5py,sys; b=h5py.File(sys.argv[1])['ptq/rtn/bits'][()]; sys.exit(0 if list(b) == [4] else 1)" \
    "$f" || fail "sweep ptq DIR --jobs=2 quantized $f"
done
expect 0 's1.h5: /ptq/gptq updated' ptq results/t/d32-l1-h2_D4.1k_fp32_s0.h5 \
  results/t/d32-l1-h2_D4.1k_fp32_s1.h5 ptq_bits=4 ptq_calib=4 threads=1
expect 1 'missing.h5: No such file or directory' ptq results/t results/t/missing.h5 ptq=rtn ptq_bits=3
expect 2 -- '--jobs=0: expected an integer' ptq results/t --jobs=0
expect 2 'checkpoint= names the weights of one run' ptq results/t checkpoint=x.ckpt
echo "ok"
