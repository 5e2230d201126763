# Shared by the sweep tests: a temporary directory holding the tokenized fixture corpus.
# Sets $work (cleaned up on exit) and $work/data. Needs $sweep and $fixture.
work=$(mktemp -d /tmp/psl-sweeptest-XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/data"
cp "$fixture/corpus/train.txt" "$fixture/corpus/val.txt" "$work/data/"
"$sweep" tokenize --vocab 384 "$work/data" >/dev/null
fail() { echo "FAIL: $*"; exit 1; }
