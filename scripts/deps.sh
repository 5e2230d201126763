#!/bin/sh
# Installs the Debian packages the project needs, only those missing.
# Usage: scripts/deps.sh [build|test|corpus|all]   (default: all)
set -eu
what=${1:-all}
build="build-essential cmake pkg-config libopenblas-dev libhdf5-dev libgsl-dev liblua5.4-dev
       libcmocka-dev zlib1g-dev gnuplot-nox"
test="python3 python3-h5py python3-numpy slurm-wlm munge clang-format clang libclang-rt-dev"
corpus="curl ca-certificates groff-base xz-utils gzip dpkg-dev"
case "$what" in
  build) pkgs="$build" ;;
  test) pkgs="$build $test" ;;
  corpus) pkgs="$build $corpus" ;;
  all) pkgs="$build $test $corpus" ;;
  *) echo "deps.sh: unknown set '$what' (build|test|corpus|all)" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
