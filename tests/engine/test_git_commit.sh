#!/bin/sh
# engine/git_commit.cmake, the build-time commit of the run files, on a scratch
# repository (deterministic, whatever state the project's own tree is in): a clean tree
# gives the 12-digit commit, an edited tracked file adds -dirty, an untracked file does
# not, a new commit is seen without reconfiguring, a tree without .git (a tarball) and
# one unpacked inside another repository say "unknown", and an unchanged value leaves
# the generated file untouched (so builds stay incremental). 77 (skipped) without git.
# Usage: test_git_commit.sh CMAKE SCRIPT
set -eu
cmake=$1 script=$2
command -v git >/dev/null 2>&1 || exit 77
dir=$(mktemp -d /tmp/psl-gitcommit-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
src=$dir/src out=$dir/git_commit.c
mkdir "$src"
g() { git -C "$src" -c user.name=t -c user.email=t@t -c commit.gpgsign=false "$@"; }
g init -q
echo one >"$src/a.c"
g add a.c
g commit -q -m one
value() {
  "$cmake" -DSRC="$1" -DOUT="$out" -P "$script" || fail "script failed on $1"
  sed -n 's/.*return "\(.*\)";.*/\1/p' "$out"
}
head=$(g rev-parse --short=12 HEAD)
[ "$(value "$src")" = "$head" ] || fail "clean tree: $(value "$src"), expected $head"
# unchanged value: the file is not rewritten (its mtime stays)
touch -d '2001-01-01 00:00:00' "$out"
value "$src" >/dev/null
[ "$(date -r "$out" +%Y)" = 2001 ] || fail "unchanged value rewrote $out"
echo scratch >"$src/untracked.txt"
[ "$(value "$src")" = "$head" ] || fail "untracked file marked the tree dirty"
echo two >"$src/a.c"
[ "$(value "$src")" = "$head-dirty" ] || fail "edited tree: $(value "$src"), expected $head-dirty"
g commit -q -am two
head2=$(g rev-parse --short=12 HEAD)
[ "$head2" != "$head" ] && [ "$(value "$src")" = "$head2" ] || fail "new commit not seen"
# a tarball: the same files without .git, alone and inside another repository
mkdir "$dir/tarball"
cp "$src/a.c" "$dir/tarball/"
[ "$(value "$dir/tarball")" = unknown ] || fail "tree without .git: $(value "$dir/tarball")"
mkdir "$src/unpacked"
cp "$src/a.c" "$src/unpacked/"
[ "$(value "$src/unpacked")" = unknown ] || fail "tarball inside a repository: $(value "$src/unpacked")"
echo "git_commit.cmake OK"
