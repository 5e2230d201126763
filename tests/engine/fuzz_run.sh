#!/bin/sh
# Runs a reader fuzzer for a bounded time from the mutation test's seeds, then says what
# it ran. Usage: fuzz_run.sh ckpt|runlog FUZZER TEST_READER_MUTANTS SEEDS_DIR SECONDS
#   ckpt    our own format, no libhdf5: in process, and any crash fails.
#   runlog  libhdf5 crashes and loops on some garbled files by itself, so libFuzzer runs
#           in -fork mode and goes on past crashes and timeouts; afterwards every
#           artifact is replayed through test_reader_mutants --classify, which places each
#           fault inside libhdf5 or in our code, and only ours fail.
# The corpus and artifacts stay in fuzz-<kind>/ of the working directory (the build's
# tests/engine) for a look afterwards.
set -eu
kind=$1 fuzzer=$2 mutants=$3 seeds=$4 secs=$5
work=fuzz-$kind
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
# fuzz_runlog's input files (one per process; a crashed one is left here, not in /tmp)
PSL_FUZZ_TMP=$PWD/$work/tmp
export PSL_FUZZ_TMP
case $kind in
  ckpt) cp "$seeds"/*.ckpt "$work/corpus/" ;;
  runlog) cp "$seeds"/*.h5 "$work/corpus/" ;;
  *) echo "fuzz_run.sh: unknown kind $kind" >&2; exit 2 ;;
esac
log=$work/fuzz.log
# -timeout: a single input taking 10 s is a hang (a few ms is normal). -rss_limit_mb and
# -malloc_limit_mb: libhdf5 asks for absurd sizes on garbled files.
common="-max_total_time=$secs -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
        -artifact_prefix=$work/artifacts/ -print_final_stats=1"
if [ "$kind" = ckpt ]; then
  rc=0
  # shellcheck disable=SC2086
  "$fuzzer" $common "$work/corpus" >"$log" 2>&1 || rc=$?
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done [0-9]+ runs' "$log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$log"
    echo "fuzz_ckpt: FAILED (exit $rc); the input is in $work/artifacts/" >&2
    exit 1
  fi
  echo "fuzz_ckpt: $secs s, no crash, leak or hang"
  exit 0
fi
# ASan-reported leaks are not checked here: libhdf5 leaks on its own error paths.
rc=0
# shellcheck disable=SC2086
ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
  "$fuzzer" $common -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  "$work/corpus" >"$log" 2>&1 || rc=$?
# the fork-mode parent's last status line: executions, coverage, crashes seen
grep -E '^#[0-9]+: cov: ' "$log" | tail -n 1 || true
# In -fork mode libFuzzer exits with the status of the last job that crashed or timed
# out (70 for a timeout), also with -ignore_crashes: a non-zero status with artifacts is
# for the replay to judge; one without is libFuzzer failing by itself.
set -- "$work"/artifacts/*
if [ ! -e "$1" ]; then
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$log"
    echo "fuzz_runlog: libFuzzer failed (exit $rc) and left no artifact" >&2
    exit 1
  fi
  echo "fuzz_runlog: $secs s, no crash or timeout artifacts"
  exit 0
fi
echo "fuzz_runlog: $# artifacts; replaying each in a fresh process:"
# As engine_reader_mutants runs (tests/engine/CMakeLists.txt); a sanitizer report that
# test_reader_mutants cannot place exits 12, which counts as ours.
ASAN_OPTIONS=exitcode=12:allocator_may_return_null=1:detect_leaks=0 "$mutants" --classify "$@"
