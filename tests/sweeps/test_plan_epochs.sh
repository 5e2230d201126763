#!/bin/sh
# sweep plan and repeated data: the epochs column is D over the tokens of train.tok; a
# run above 1 epoch is marked '+' and warned about, one above --max-epochs (default 2) is
# marked '!', named on stderr with its token counts, and makes plan exit 1; --max-epochs
# allows it; bad --max-epochs values exit 2; a data dir without train.tok shows '?'.
# Usage: test_plan_epochs.sh SWEEP FIXTURE_DIR
set -u
sweep=$1 fixture=$2
. "$(dirname "$0")/common.sh"
cd "$work" || exit 1
# uint64 token count at offset 16 of the header (docs/data.md section 3)
n=$(od -An -t u8 -j 16 -N 8 data/train.tok | tr -d ' ')
[ "$n" -gt 1000 ] 2>/dev/null || fail "token count of data/train.tok (got '$n')"
half=$((n / 2)) one=$n onehalf=$((n * 3 / 2)) twohalf=$((n * 5 / 2))
mkdir notok && cp data/train.txt data/val.txt notok/
config() { # name, then the tokens of each run
  name=$1
  shift
  runs=""
  for t in "$@"; do runs="$runs { name = \"r$t\", tokens = $t },"; done
  cat >"$name.lua" <<LUA
return sweep{ name = "$name", data = "data", ctx = 32, batch = 8, eval_tokens = 1024,
  d_model = 32, n_layer = 2, n_head = 2, runs = { $runs } }
LUA
}

# Within one epoch (exactly one included): no mark, no warning, exit 0.
config fits "$half" "$one"
"$sweep" plan fits.lua --no-calibrate >fits.txt 2>&1 || { cat fits.txt; fail "plan within 1 epoch"; }
grep -q "r$half .* 0.50 " fits.txt || { cat fits.txt; fail "0.50 epochs shown unmarked"; }
grep -q "r$one .* 1.00 " fits.txt || { cat fits.txt; fail "1.00 epoch shown unmarked"; }
grep -q "warning" fits.txt && { cat fits.txt; fail "no warning within 1 epoch"; }

# 1.5 epochs: marked and warned about, allowed by the default limit of 2.
config warns "$half" "$onehalf"
"$sweep" plan warns.lua --no-calibrate >warns.txt 2>&1 || { cat warns.txt; fail "1.5 epochs allowed"; }
grep -q "r$onehalf .* 1.50+" warns.txt || { cat warns.txt; fail "1.5 epochs marked +"; }
grep -q "warning: 1 runs (marked +) .*up to 1.50 epochs" warns.txt ||
  { cat warns.txt; fail "repeat warning"; }

# 2.5 epochs: refused, the run named with its counts; the table still printed.
config refuses "$half" "$onehalf" "$twohalf"
"$sweep" plan refuses.lua --no-calibrate >ref.out 2>ref.err
rc=$?
[ $rc -eq 1 ] || { cat ref.out ref.err; fail "plan refuses above 2 epochs with exit 1 (got $rc)"; }
grep -q "r$twohalf .* 2.50!" ref.out || { cat ref.out; fail "2.5 epochs marked !"; }
grep -q "r$onehalf .* 1.50+" ref.out || { cat ref.out; fail "1.5 epochs still marked +"; }
grep -q "warning: 2 runs (marked + or !)" ref.out || { cat ref.out; fail "both repeats warned"; }
grep -q "1 runs (marked !) would read their train.tok more than 2 times" ref.err ||
  { cat ref.err; fail "refusal message"; }
grep -q "r$twohalf: tokens=$twohalf, data/train.tok holds $n (2.50 epochs)" ref.err ||
  { cat ref.err; fail "the refused run named with its token counts"; }
grep -q "r$onehalf:" ref.err && { cat ref.err; fail "only the refused run listed"; }
grep -q -- "--max-epochs 2.50" ref.err || { cat ref.err; fail "the flag that allows it"; }
# --only leaves the refused run out: no refusal.
"$sweep" plan refuses.lua --no-calibrate --only "r$onehalf" >only.txt 2>&1 ||
  { cat only.txt; fail "--only without the refused run"; }

# --max-epochs allows it (and a limit below the run refuses again).
"$sweep" plan refuses.lua --no-calibrate --max-epochs 2.5 >allow.txt 2>&1 ||
  { cat allow.txt; fail "--max-epochs 2.5 allows 2.5 epochs"; }
grep -q "r$twohalf .* 2.50+" allow.txt || { cat allow.txt; fail "allowed run marked +"; }
"$sweep" plan warns.lua --no-calibrate --max-epochs 1 >strict.out 2>strict.err
[ $? -eq 1 ] || { cat strict.out strict.err; fail "--max-epochs 1 refuses 1.5 epochs"; }
grep -q "r$onehalf .* 1.50!" strict.out || { cat strict.out; fail "1.5 epochs marked ! at limit 1"; }
for bad in 0.5 0 -1 abc 2x inf nan ""; do
  "$sweep" plan fits.lua --no-calibrate --max-epochs "$bad" >bad.txt 2>&1
  rc=$?
  [ $rc -eq 2 ] || { cat bad.txt; fail "--max-epochs '$bad' exits 2 (got $rc)"; }
  grep -q -- "--max-epochs needs a number >= 1, not '$bad'" bad.txt ||
    { cat bad.txt; fail "--max-epochs '$bad' message"; }
done

# No train.tok: epochs unknown, shown as '?', never refused.
sed 's/data = "data"/data = "notok"/' refuses.lua >notok.lua
"$sweep" plan notok.lua --no-calibrate >notok.txt 2>&1 || { cat notok.txt; fail "plan without train.tok"; }
grep -q "r$twohalf .* ? " notok.txt || { cat notok.txt; fail "unknown epochs shown as ?"; }
grep -q "no train.tok yet" notok.txt || { cat notok.txt; fail "missing train.tok warned"; }
echo "ok"
