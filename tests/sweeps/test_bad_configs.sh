#!/bin/sh
# Every config in bad/ must make `sweep plan` exit 2 with the message its first line
# names ("-- expect: TEXT"), without crashing (run under ASan/UBSan in the sanitizer
# build). Usage: test_bad_configs.sh SWEEP DIR
set -u
sweep=$1 dir=$2
tmp=$(mktemp -d /tmp/psl-badcfg-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$dir" || exit 1
failed=0 n=0
for f in *.lua; do
  n=$((n + 1))
  want=$(head -n 1 "$f" | sed -n 's/^-- expect: //p')
  timeout 60 "$sweep" plan "$f" --no-calibrate --results "$tmp" >/dev/null 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne 2 ]; then
    echo "FAIL $f: exit status $rc (expected 2)"; cat "$tmp/err"; failed=$((failed + 1)); continue
  fi
  if ! grep -qF -- "$want" "$tmp/err"; then
    echo "FAIL $f: message lacks \"$want\":"; cat "$tmp/err"; failed=$((failed + 1)); continue
  fi
  if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
    echo "FAIL $f: expected one line of error:"; cat "$tmp/err"; failed=$((failed + 1)); continue
  fi
done
test ! -e /tmp/psl-sweep-pwned || { echo "FAIL: a config's command ran"; failed=$((failed + 1)); }
echo "$n bad configs, $failed failed"

# Part 2, on the tokenized fixture corpus: the hostile names must also stop `sweep run`,
# `sweep run --slurm` (a stand-in sbatch keeps the script it is given) and `sweep exec`
# before anything is written, and nothing may land outside --results. Then a legal sweep
# under hostile paths and options: the batch script must say exactly what was asked
# (checked by parsing it as sh and as sbatch reads #SBATCH lines), sweep.json must be
# JSON, and cleaning up stale temporaries must touch no other run's files.
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
fixture=$(cd "$dir/../../fixtures" && pwd) || exit 1
w=$tmp/w
mkdir -p "$w/data/corpus/prose" "$w/bin" "$w/res"
cp "$fixture/corpus/train.txt" "$fixture/corpus/val.txt" "$w/data/corpus/prose/"
"$sweep" tokenize --vocab 384 "$w/data/corpus/prose" >/dev/null || exit 1
cat >"$w/bin/sbatch" <<'SH'
#!/bin/sh
for a; do last=$a; done
cp "$last" "$SBATCH_KEEP" && echo 4242
SH
chmod +x "$w/bin/sbatch"
export SBATCH_KEEP="$w/kept.sbatch"
outside() { find "$w" -newer "$w/marker" -type f ! -path "$w/res/deep/*" ! -name err ! -name marker ! -name kept.sbatch; }
cd "$w" || exit 1
for f in "$dir"/name_*.lua "$dir"/slurm_*.lua; do
  b=$(basename "$f")
  rm -rf "$w/res" "$SBATCH_KEEP" && mkdir -p "$w/res/deep" && touch "$w/marker" && sleep 0.01
  PATH="$w/bin:$PATH" timeout 60 "$sweep" run "$f" --slurm --threads 1 --results "$w/res/deep" \
    >/dev/null 2>"$w/err"
  rc=$?
  [ "$rc" -eq 2 ] || bad "$b: sweep run --slurm exit status $rc (expected 2)"
  if [ -e "$SBATCH_KEEP" ]; then
    grep -v '^#' "$SBATCH_KEEP" | grep -qv '^cd \|^exec ' &&
      { bad "$b: a line injected into sweep.sbatch:"; cat "$SBATCH_KEEP"; }
    bad "$b: a batch script was submitted"
  fi
  case $b in name_*)
    timeout 60 "$sweep" exec "$f" --index 0 --threads 1 --results "$w/res/deep" >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 2 ] || bad "$b: sweep exec exit status $rc (expected 2)" ;;
  esac
  [ -z "$(outside)" ] || { bad "$b: files written outside --results:"; outside; }
done
test ! -e /tmp/psl-sweep-pwned || bad "an injected command ran"

cat >"$w/good.lua" <<'LUA'
return sweep{ name = "q", ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1,
  n_head = 2, tokens = 1024, runs = grid{ seed = {0, 1} } }
LUA
weird="$w/it's \$(touch pwned) a \"#1 %j"
cwd="$w/c'wd \`touch pwned\`"
mkdir -p "$weird" "$cwd" && ln -s "$w/data" "$cwd/data"
rm -f "$SBATCH_KEEP"
(cd "$cwd" && PATH="$w/bin:$PATH" "$sweep" run "$w/good.lua" --slurm --threads 1 \
  --results "$weird" --partition "p'q\\" --time 10 --sbatch-arg "--comment=a b'c#d\"e") \
  >"$w/out" 2>&1 || { bad "sweep run --slurm under hostile paths:"; cat "$w/out"; }
if [ -e "$SBATCH_KEEP" ]; then
  sh -n "$SBATCH_KEEP" || bad "sweep.sbatch is not valid sh"
  python3 - "$SBATCH_KEEP" "$(cd "$weird" && pwd -P)/q" "$(cd "$cwd" && pwd -P)" \
    "$(realpath "$sweep")" <<'PY' || { bad "sweep.sbatch does not say what was asked:"; cat "$SBATCH_KEEP"; }
import shlex, sys
script, qdir, cwd, self = sys.argv[1:]
def sbatch_args(line):  # as sbatch reads an #SBATCH line: quotes group, \ escapes, # ends
    out, cur, quote, esc, have = [], "", None, False, False
    for ch in line:
        if esc: cur += ch; esc = False; have = True
        elif ch == "\\": esc = True
        elif quote:
            if ch == quote: quote = None
            else: cur += ch
        elif ch in "'\"": quote = ch; have = True
        elif ch == "#": break
        elif ch.isspace():
            if have: out.append(cur)
            cur, have = "", False
        else: cur += ch; have = True
    if have: out.append(cur)
    return out
directives, commands = [], []
for line in open(script).read().split("\n")[1:]:
    if line.startswith("#SBATCH"): directives += sbatch_args(line[len("#SBATCH"):])
    elif line and not line.startswith("#"): commands.append(shlex.split(line))
want = ["--job-name=sweep-q", "--array=0-1", "--ntasks=1", "--cpus-per-task=1",
        "--output=" + qdir.replace("%", "%%") + "/slurm/%A_%a.out", "--partition=p'q\\",
        "--time=10", "--comment=a b'c#d\"e"]
assert directives == want, (directives, want)
assert commands[0] == ["cd", cwd, "||", "exit", "1"], commands[0]
assert commands[1] == ["exec", self, "exec", qdir + "/sweep.lua", "--dir", qdir, "--index",
                       "$SLURM_ARRAY_TASK_ID", "--threads", "${SLURM_CPUS_PER_TASK:-1}"], commands[1]
assert len(commands) == 2, commands
PY
  (cd "$w" && SLURM_ARRAY_TASK_ID=1 SLURM_CPUS_PER_TASK=1 sh -c \
    "$(sed 's/^exec /printf "%s\\n" /' "$SBATCH_KEEP")" >"$w/args") || bad "running the script's lines"
  [ "$(sed -n 5p "$w/args")" = "$(cd "$weird" && pwd -P)/q" ] || { bad "sh reads another --dir:"; cat "$w/args"; }
  [ "$(sed -n 7p "$w/args")" = 1 ] || bad "sh reads another --index"
else
  bad "no batch script for a legal sweep"
fi
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["name"] == "q" and len(d["runs"]) == 2' \
  "$weird/q/sweep.json" || bad "sweep.json is not JSON"
find "$w" -name pwned | grep -q . && bad "a command in a path ran"

# Cleaning up a run's stale temporaries (<file>.tmp.<pid>) touches no other run's files,
# even a run whose name starts like one of those temporaries.
cat >"$w/tmpnames.lua" <<'LUA'
return sweep{ name = "t", ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1,
  n_head = 2, tokens = 1024, runs = { {name = "x"}, {name = "x.h5.tmp.1", seed = 1} } }
LUA
mkdir -p "$w/res2/t"
for f in x.h5.tmp.1.log x.h5.tmp.1.ckpt x.h5.tmp.1.state x.h5.tmp.777 x.ckpt.tmp.12 x.h5.tmp; do
  echo stale >"$w/res2/t/$f"
done
"$sweep" exec "$w/tmpnames.lua" --name x --threads 1 --results "$w/res2" >"$w/out" 2>&1 ||
  { bad "sweep exec of run x:"; cat "$w/out"; }
for f in x.h5.tmp.1.log x.h5.tmp.1.ckpt x.h5.tmp.1.state; do
  [ -e "$w/res2/t/$f" ] || bad "cleaning up run x's temporaries removed $f (another run's file)"
done
for f in x.h5.tmp.777 x.ckpt.tmp.12 x.h5.tmp; do
  [ ! -e "$w/res2/t/$f" ] || bad "the stale temporary $f was left"
done
# sweep train makes a run's files from name= (results/train/<name>.h5) or out=: the same rule.
mkdir -p "$w/tr"
for arg in name=../../trained "name=a b" out=sub/../.trained.h5 "out=x/t*.h5"; do
  (cd "$w/tr" && timeout 60 "$sweep" train "$arg" d_model=32 n_layer=1 n_head=2 ctx=16 batch=4 \
    tokens=1024 data="$w/data/corpus/prose" >/dev/null 2>"$w/err")
  rc=$?
  { [ $rc -eq 2 ] && grep -q "use letters, digits" "$w/err"; } ||
    { bad "sweep train $arg: exit status $rc (expected 2)"; cat "$w/err"; }
done
find "$w" -name '*trained*' | grep -q . && bad "sweep train wrote a run outside results/train"
echo "$failed failed in all"
[ "$failed" -eq 0 ]
