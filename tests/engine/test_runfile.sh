#!/bin/sh
# End to end through the command line: tokenize the fixture, train a tiny run with
# `sweep train`, check the run file with h5py. Usage: test_runfile.sh SWEEP FIXTURE_DIR
set -eu
sweep=$1 fixture=$2
dir=$(mktemp -d /tmp/psl-runfile-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$fixture/corpus/train.txt" "$fixture/corpus/val.txt" "$dir/"
"$sweep" tokenize --vocab 384 "$dir" >/dev/null
"$sweep" train data="$dir" d_model=32 n_layer=2 n_head=2 ctx=32 batch=8 tokens=8192 \
  eval_tokens=2048 lr=0.01 threads=2 out="$dir/run.h5" >/dev/null 2>&1
# Bad knobs: a clear message and exit status 2, nothing written.
if "$sweep" train d_modle=3 out="$dir/bad.h5" 2>"$dir/err"; then exit 1; fi
grep -q "did you mean 'd_model'" "$dir/err"
test ! -e "$dir/bad.h5"
/usr/bin/python3 "$(dirname "$0")/check_runfile.py" "$dir/run.h5"
