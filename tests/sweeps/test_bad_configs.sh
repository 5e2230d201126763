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
test ! -e /tmp/psl-sweep-pwned || { echo "FAIL: os.execute ran"; failed=$((failed + 1)); }
echo "$n bad configs, $failed failed"
[ "$failed" -eq 0 ]
