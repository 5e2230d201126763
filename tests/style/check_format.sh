#!/bin/sh
# Lists the C files that clang-format would change; fails if there is any.
# Usage: check_format.sh CLANG_FORMAT SOURCE_DIR
set -eu
cf=$1 src=$2
cd "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files '*.c' '*.h')
else
  files=$(find engine corpus sweeps analysis tests bench -name '*.[ch]' 2>/dev/null)
fi
bad=""
for f in $files; do
  "$cf" --dry-run -Werror --style=file "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
  echo "not formatted with .clang-format (run: clang-format -i FILE):$bad" >&2
  exit 1
fi
echo "$(echo "$files" | wc -w) C files formatted"
