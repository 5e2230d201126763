#!/bin/sh
# sweep status --json and --watch on a tiny real sweep with done runs (RTN and GPTQ), a
# partly trained run (stopped after 10 steps), a pending run, a diverged run, a failed run
# and a truncated run file (a conflict), in a results directory whose name holds a quote,
# a backslash, a tab, a control character, a valid UTF-8 letter and two bytes that are not
# UTF-8. --json: parsed by Python's json module, every value checked against the run files
# (check_status_json.py, h5py), DIR = CONFIG, --only. --watch: on a finished selection it
# exits 0 at once with the summary (not a terminal: the same text as sweep status); on an
# unfinished one it runs until SIGINT (exit 130); on a terminal (script(1), when present)
# every line fits its width, from TIOCGWINSZ or, without one, COLUMNS. Usage errors exit 2
# naming the option.
# Usage: test_status_json.sh SWEEP FIXTURE_DIR
set -u
sweep=$1 fixture=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
cd "$work" || exit 1
py=/usr/bin/python3
mkdir broken && cp data/train.tok broken/ # no val.tok: training fails
cat >st.lua <<'LUA'
return sweep{
  name = "st", data = "data", ctx = 32, batch = 8, eval_tokens = 1024, lr = 0.01,
  d_model = 32, n_layer = 2, n_head = 2, tokens = 8192, eval_every = 8, ptq_calib = 8,
  runs = concat(
    grid{ seed = {0, 1, 2}, post = ptq{ "rtn", "gptq", bits = {3, 4} } },
    { name = "diverges", lr = 10, warmup_frac = 0, clip = 0 },
    { name = "fails", data = "broken" },
    { name = "damaged", seed = 7 }),
}
LUA
res="$work/$(printf 'r "q" \\ \t\001 \351\377 é')"
mkdir "$res" || fail "mkdir of the odd results directory"
dir="$res/st"
for only in _s0 diverges damaged; do
  "$sweep" run st.lua --results "$res" --only $only --threads 1 >>run.txt 2>&1 || { cat run.txt; fail "sweep run --only $only"; }
done
"$sweep" run st.lua --results "$res" --only fails --threads 1 >>run.txt 2>&1 && fail "the failing run fails"
name() { $py -c 'import json,sys; print([r["name"] for r in json.load(open(sys.argv[1]))["runs"] if r["name"].endswith(sys.argv[2])][0])' "$dir/sweep.json" "$1"; }
s0=$(name _s0) s1=$(name _s1) s2=$(name _s2)
PSL_TEST_ABORT_AFTER_STEPS=10 "$sweep" exec st.lua --dir "$dir" --name "$s1" --threads 1 >exec.txt 2>&1
[ $? -eq 130 ] || { cat exec.txt; fail "the partial run stops after 10 steps"; }
head -c 3000 "$dir/damaged.h5" >x && mv x "$dir/damaged.h5"

"$sweep" status st.lua --results "$res" --json >s.json 2>s.err
rc=$?
[ $rc -eq 1 ] || { cat s.json s.err; fail "--json exits 1 while runs are not done (got $rc)"; }
$py "$here/check_status_json.py" s.json "$dir/sweep.json" \
  "$s0=done $s1=pending,partial $s2=pending diverges=diverged fails=failed damaged=conflict" "$dir" >check.txt ||
  { cat check.txt; cat s.json; fail "--json against the run files"; }
cat check.txt
# the odd bytes: the directory as given (each byte that is not UTF-8 as U+FFFD), in "dir"
# and in the conflict's reason; the partial run's values by hand
$py - "$res" s.json <<'PY' || { cat s.json; fail "strings escaped, values of the partial run"; }
import json, os, sys
want = os.fsencode(sys.argv[1]).decode("utf-8", "replace") + "/st"
doc = json.load(open(sys.argv[2], encoding="utf-8"))
assert doc["dir"] == want, (doc["dir"], want)
assert "\ufffd\ufffd é" in doc["dir"] and '"q" \\ \t\x01' in doc["dir"], doc["dir"]
runs = {r["name"]: r for r in doc["runs"]}
d = runs["damaged"]
assert want + "/damaged.h5" in d["reason"], d["reason"]
p = [r for r in doc["runs"] if r["partial"]][0]
assert p["step"] == 8 and p["tokens"] == 8 * 8 * 32 and p["eta_s"] > 0, p  # saved at step 8
assert p["phase"] is None and p["val_loss"] is None and p["ptq"] == [], p
s0 = [r for r in doc["runs"] if r["name"].endswith("_s0")][0]
assert sorted(t["table"] for t in s0["ptq"]) == ["gptq", "rtn"], s0["ptq"]
assert all(t["bits"] == [3, 4] for t in s0["ptq"]), s0["ptq"]
assert runs["diverges"]["val_loss"] is None and runs["diverges"]["reason"], runs["diverges"]
assert runs["fails"]["reason"], runs["fails"]
print("escapes and the partial run ok")
PY
# DIR gives the same document (but for the time); --only selects
"$sweep" status "$dir" --json >s2.json 2>/dev/null
$py -c 'import json,sys
a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:])
a.pop("time"); b.pop("time")
assert a == b' s.json s2.json || fail "--json of DIR = of CONFIG"
"$sweep" status "$dir" --json --only=_s0 >s3.json
[ $? -eq 0 ] || fail "--json of a finished selection exits 0"
$py -c 'import json,sys; d = json.load(open(sys.argv[1])); assert [r["state"] for r in d["runs"]] == ["done"] and d["totals"]["finished"] is True and d["totals"]["eta_s"] == 0, d' s3.json ||
  { cat s3.json; fail "--only with --json"; }

# --watch, stdout not a terminal: a finished selection prints the summary at once, exit 0
"$sweep" status "$dir" --only _s0 >plain.txt
start=$(date +%s)
timeout 20 "$sweep" status "$dir" --only _s0 --watch >watch.txt 2>&1
rc=$?
[ $rc -eq 0 ] || { cat watch.txt; fail "--watch on a finished sweep exits 0 (got $rc)"; }
[ $(($(date +%s) - start)) -le 5 ] || fail "--watch on a finished sweep returns at once"
cmp -s plain.txt watch.txt || { diff plain.txt watch.txt; fail "--watch's summary is sweep status's"; }
timeout 20 "$sweep" status "$dir" --only diverges --watch=0.5 >watch2.txt 2>&1 || fail "--watch=0.5 on a diverged run exits 0"
# an unfinished sweep: watched until SIGINT, exit 130; the summary first
timeout --preserve-status -s INT 2 "$sweep" status "$dir" --watch=0.2 >watch3.txt 2>&1
rc=$?
[ $rc -eq 130 ] || { cat watch3.txt; fail "--watch stopped by SIGINT exits 130 (got $rc)"; }
head -1 watch3.txt | grep -q '^sweep st: 6 runs in ' || { cat watch3.txt; fail "--watch prints the summary"; }
grep -q "crashed" watch3.txt && fail "no reader reported as crashed by the interrupt"

# on a terminal: redrawn in place, every line within the width
if command -v script >/dev/null 2>&1; then
  cp -r "$dir" plain
  for how in "stty cols 50 rows 30" "stty cols 0 rows 0; COLUMNS=40; export COLUMNS"; do
    width=$(echo "$how" | sed -n 's/.*COLUMNS=\([0-9]*\).*/\1/p')
    [ -n "$width" ] || width=50
    script -qec "$how; $sweep status plain --only _s0 --watch" /dev/null >tty.txt 2>&1
    rc=$?
    [ $rc -eq 0 ] || { cat -v tty.txt; fail "--watch on a terminal ($how) exits 0 (got $rc)"; }
    $py - "$width" tty.txt <<'PY' || { cat -v tty.txt; fail "--watch on a terminal ($how) fits the width"; }
import re, sys
width = int(sys.argv[1])
text = open(sys.argv[2], "rb").read().decode("utf-8", "replace")
lines = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", l).rstrip("\r") for l in text.split("\n")]
lines = [l for l in lines if l]
assert any(" done " in l for l in lines), lines
assert any(l.startswith("sweep st ") for l in lines), lines
too_long = [l for l in lines if len(l) >= width]
assert not too_long, too_long
print(f"terminal of {width} columns: {len(lines)} lines, all shorter")
PY
  done
else
  echo "note: no script(1); the terminal display is not exercised"
fi

# usage errors: exit 2, the option named
for args in "--watch=abc" "--watch=0" "--watch=" "--watch=-1" "--watch=nan" "--watch=1e9" \
  "--watch=2x" "--bogus" "--json=1" "--json --watch" "--only" "--watch 5"; do
  # shellcheck disable=SC2086
  "$sweep" status "$dir" $args >u.txt 2>&1
  rc=$?
  [ $rc -eq 2 ] || { cat u.txt; fail "'sweep status DIR $args' exits 2 (got $rc)"; }
  opt=${args%% *}
  opt=${opt%%=*}
  [ "$args" = "--watch 5" ] && opt="'5'"
  grep -q -- "$opt" u.txt || { cat u.txt; fail "'$args': the message names $opt"; }
done
"$sweep" status "$work/nonexistent" --json >u.txt 2>&1
[ $? -eq 2 ] && grep -q nonexistent u.txt || { cat u.txt; fail "a missing sweep: exit 2, named"; }
echo "ok"
