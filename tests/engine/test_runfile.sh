#!/bin/sh
# End to end through the command line: tokenize the fixture, train a tiny run with
# `sweep train`, check the run file with h5py. Usage: test_runfile.sh SWEEP FIXTURE_DIR
set -eu
sweep=$1 fixture=$2
dir=$(mktemp -d /tmp/psl-runfile-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$fixture/corpus/train.txt" "$fixture/corpus/val.txt" "$dir/"
"$sweep" tokenize --vocab 384 "$dir" >/dev/null
knobs="data=$dir d_model=32 n_layer=2 n_head=2 ctx=32 batch=8 tokens=8192 eval_tokens=2048 lr=0.01 threads=2"
# shellcheck disable=SC2086
"$sweep" train $knobs ptq=rtn ptq_bits=4,8 ptq_every=16 ptq_calib=8 ptq_embed=1 out="$dir/run.h5" >/dev/null 2>&1
# The finished run asked again with one more method: only GPTQ's rows are added
# (Hessians collected once and embedding/head included: ptq_seq=0 and ptq_embed=1 must
# reach the table's settings).
# shellcheck disable=SC2086
"$sweep" train $knobs ptq=rtn,gptq ptq_bits=4,8 ptq_calib=8 ptq_seq=0 ptq_embed=1 out="$dir/run.h5" >"$dir/again" 2>&1
grep -q "post-training quantization added" "$dir/again"
# and prints the run's PTQ table: both methods, at 4 and 8 bits
grep -Eq "^ptq gptq +4 bits [-+][0-9.]+  8 bits" "$dir/again" || { cat "$dir/again"; exit 1; }
grep -Eq "^ptq rtn +4 bits [-+][0-9.]+  8 bits" "$dir/again" || { cat "$dir/again"; exit 1; }
# The same bit widths asked again with another ptq_seq: refused with a message naming the
# setting, not ignored; the file stays as it was.
cp "$dir/run.h5" "$dir/before.h5"
# shellcheck disable=SC2086
if "$sweep" train $knobs ptq=gptq ptq_bits=4,8 ptq_calib=8 ptq_seq=1 ptq_embed=1 out="$dir/run.h5" >"$dir/third" 2>&1; then
  cat "$dir/third"; exit 1
fi
grep -q "another sequential" "$dir/third" || { cat "$dir/third"; exit 1; }
cmp -s "$dir/run.h5" "$dir/before.h5" || { echo "run file changed by a refused request"; exit 1; }
# Bad knobs: a clear message and exit status 2, nothing written.
if "$sweep" train d_modle=3 out="$dir/bad.h5" 2>"$dir/err"; then exit 1; fi
grep -q "did you mean 'd_model'" "$dir/err"
test ! -e "$dir/bad.h5"
/usr/bin/python3 "$(dirname "$0")/check_runfile.py" "$dir/run.h5"
