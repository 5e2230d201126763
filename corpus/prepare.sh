#!/bin/bash
# Prepares the training corpus from pinned Debian and npm packages (corpus/sources.tsv):
# download (cached), extract (cached), list the documents of each package, and run
# corpus-build, which cleans, deduplicates, splits and writes train.txt, val.txt and
# manifest.json as docs/data.md section 1 specifies. See docs/corpus.md.
set -euo pipefail
export LC_ALL=C

# Bump when an extractor below changes what it lists or renders, so cached document
# lists are made again (downloads and unpacked packages are kept).
EXTRACT_VERSION=1
SEED=20241125
# Validation share in per mille of documents, by tier: fnv1a64(id) % 1000 < this.
# prose keeps 8, the rule its committed results (results/reference/) were made with, so
# its data identity does not change. full takes more so that val.tok holds at least
# 2^20 tokens (docs/corpus.md, "Tiers"); since the rule compares the same hash with a
# larger threshold, the full tier's validation set is a superset of what 8 gave.
VAL_PROSE=8
VAL_FULL=30

usage() {
  cat <<'EOF'
usage: corpus/prepare.sh [--tier prose|full] [--out DIR] [--cache DIR]
                         [--build-dir DIR] [--allow-missing] [--seed N]
                         [--val-per-mille N]

  --tier prose|full  prose (default): books, speeches, Brown corpus, Bible, fortunes and
                     humorous dictionaries (~40 MB). full: prose plus dictionaries and
                     technical documentation (~200 MB).
  --out DIR          output directory (default data/corpus/<tier>)
  --cache DIR        downloads and unpacked packages (default data/cache)
  --build-dir DIR    CMake build directory holding corpus/corpus-build; configured and
                     built there if needed (default: build). The environment variable
                     CORPUS_BUILD may name the corpus-build program directly.
  --allow-missing    if a source cannot be downloaded or unpacked, say which and build
                     the corpus from the others (default: stop with an error)
  --seed N           seed of the training-piece shuffle (default 20241125)
  --val-per-mille N  a document goes to validation when fnv1a64(id) % 1000 < N
                     (0..1000; default 8 for prose, 30 for full)
  --sources FILE     the pinned source list (default corpus/sources.tsv)
EOF
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tier=prose
out=""
cache=""
build_dir="${CORPUS_BUILD_DIR:-}"
allow_missing=0
sources=""
val_pm=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tier) tier=${2:?--tier needs prose or full}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --cache) cache=${2:?--cache needs a directory}; shift 2 ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --allow-missing) allow_missing=1; shift ;;
    --seed) SEED=${2:?--seed needs a number}; shift 2 ;;
    --sources) sources=${2:?--sources needs a file}; shift 2 ;;
    --val-per-mille) val_pm=${2:?--val-per-mille needs a number}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "prepare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$tier" in
  prose|full) ;;
  *) echo "prepare.sh: --tier must be prose or full, not '$tier'" >&2; exit 2 ;;
esac
case "$SEED" in
  ''|*[!0-9]*) echo "prepare.sh: --seed must be a non-negative integer" >&2; exit 2 ;;
esac
if [ -z "$val_pm" ]; then
  if [ "$tier" = full ]; then val_pm=$VAL_FULL; else val_pm=$VAL_PROSE; fi
fi
case "$val_pm" in
  ''|*[!0-9]*) echo "prepare.sh: --val-per-mille must be an integer 0..1000, not '$val_pm'" >&2
    exit 2 ;;
esac
# Leading zeros would read as octal below; the value is at most 4 digits.
if [ ${#val_pm} -gt 4 ] || [ $((10#$val_pm)) -gt 1000 ]; then
  echo "prepare.sh: --val-per-mille must be an integer 0..1000, not '$val_pm'" >&2
  exit 2
fi
val_pm=$((10#$val_pm))
out=${out:-$root/data/corpus/$tier}
cache=${cache:-$root/data/cache}
build_dir=${build_dir:-$root/build}
case "$build_dir" in /*) ;; *) build_dir=$PWD/$build_dir ;; esac
mkdir -p "$out" "$cache/dl" "$cache/x"
out=$(cd "$out" && pwd)
cache=$(cd "$cache" && pwd)

t_start=$(date +%s.%N)
say() { printf 'prepare: %s\n' "$*" >&2; }
die() { printf 'prepare: error: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

sources=${sources:-$root/corpus/sources.tsv}
[ -f "$sources" ] || die "source list $sources does not exist"
sources=$(cd "$(dirname "$sources")" && pwd)/$(basename "$sources")

# --- the corpus-build program -----------------------------------------------------
if [ -n "${CORPUS_BUILD:-}" ]; then
  tool=$CORPUS_BUILD
  case "$tool" in /*) ;; *) tool=$(command -v "$tool" || echo "$PWD/$tool") ;; esac
  [ -x "$tool" ] || die "CORPUS_BUILD=$tool is not an executable program"
else
  command -v cmake >/dev/null || die "cmake is needed to build corpus-build (or set CORPUS_BUILD)"
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    say "configuring $build_dir"
    cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null ||
      die "cmake could not configure $build_dir"
  fi
  cmake --build "$build_dir" --target corpus-build -j 2 >"$cache/build.log" 2>&1 ||
    die "building corpus-build failed (log: $cache/build.log)"
  tool=$build_dir/corpus/corpus-build
fi

# --- download ------------------------------------------------------------------------
# Each fetch_* prints the path of the cached file. A file counts as cached once its
# .sha256 stamp exists, written only after a complete download.
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

finish_download() { # tmpfile dest
  mv "$1" "$2"
  sha_of "$2" >"$2.sha256"
}

fetch_debian() { # package version
  local pkg=$1 ver=$2 f tmp
  f=$(ls "$cache/dl/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
  if [ -n "$f" ] && [ -f "$f.sha256" ]; then echo "$f"; return 0; fi
  command -v apt-get >/dev/null || { echo "apt-get is not available" >&2; return 1; }
  tmp=$(mktemp -d "$cache/dl/.tmp.XXXXXX")
  if ! (cd "$tmp" && apt-get download -q=2 "$pkg=$ver" >/dev/null 2>"$tmp/err"); then
    sed 's/^/    /' "$tmp/err" >&2
    echo "apt-get download $pkg=$ver failed (is the version still in the archive? " \
      "'apt-cache policy $pkg' lists what apt knows; 'apt-get update' refreshes it)" >&2
    rm -rf "$tmp"
    return 1
  fi
  f=$(ls "$tmp"/*.deb)
  finish_download "$f" "$cache/dl/$(basename "$f")"
  rm -rf "$tmp"
  echo "$cache/dl/$(basename "$f")"
}

fetch_npm() { # package version
  local pkg=$1 ver=$2 safe f tmp
  safe=${pkg#@}
  safe=${safe//\//-}
  f=$cache/dl/npm_${safe}-${ver}.tgz
  if [ -f "$f.sha256" ]; then echo "$f"; return 0; fi
  tmp=$(mktemp -d "$cache/dl/.tmp.XXXXXX")
  if command -v npm >/dev/null; then
    if ! (cd "$tmp" && npm pack "$pkg@$ver" --silent >/dev/null 2>"$tmp/err"); then
      sed 's/^/    /' "$tmp/err" >&2
      echo "npm pack $pkg@$ver failed" >&2
      rm -rf "$tmp"
      return 1
    fi
  else # the registry's tarball URL, for machines without npm
    if ! curl -fsSL -o "$tmp/p.tgz" \
      "https://registry.npmjs.org/$pkg/-/${pkg##*/}-$ver.tgz"; then
      echo "downloading $pkg@$ver from registry.npmjs.org failed (npm is not installed)" >&2
      rm -rf "$tmp"
      return 1
    fi
  fi
  finish_download "$(ls "$tmp"/*.tgz)" "$f"
  rm -rf "$tmp"
  echo "$f"
}

fetch_debian_index() { # name suite
  local name=$1 suite=$2 f tmp
  local mirror=${CORPUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  f=$cache/dl/debian-index_${suite}_${name}.xz
  if [ -f "$f.sha256" ]; then echo "$f"; return 0; fi
  tmp=$(mktemp "$cache/dl/.tmp.XXXXXX")
  if ! curl -fsSL -o "$tmp" "$mirror/dists/$suite/main/i18n/$name.xz"; then
    echo "downloading $mirror/dists/$suite/main/i18n/$name.xz failed" >&2
    rm -f "$tmp"
    return 1
  fi
  finish_download "$tmp" "$f"
  echo "$f"
}

# --- unpack ------------------------------------------------------------------------
unpack() { # registry file dir
  local reg=$1 f=$2 d=$3
  [ -f "$d/.unpacked" ] && return 0
  rm -rf "$d"
  mkdir -p "$d"
  case "$reg" in
    debian) dpkg-deb -x "$f" "$d" ;;
    npm) tar -xzf "$f" -C "$d" --no-same-owner ;;
    debian-index) xz -dc "$f" >"$d/$(basename "${f%.xz}" | sed 's/^debian-index_[^_]*_//')" ;;
  esac || { echo "unpacking $(basename "$f") failed" >&2; return 1; }
  touch "$d/.unpacked"
}

# --- extractors --------------------------------------------------------------------
# x_<name> runs inside the unpacked package directory and prints one line per document:
#   format<TAB>id<TAB>path
# id is <package>/<path in the package>, the name the train/validation split hashes;
# path is relative to the package directory (derived files go under .derived/).
files() { # find arguments...; sorted, so the document order is fixed
  find "$@" -type f | sed 's|^\./||' | sort
}
emit() { printf '%s\t%s/%s\t%s\n' "$1" "$pkg" "$2" "${3:-$2}"; }
emit_all() { # format, file list on stdin
  local p
  while IFS= read -r p; do emit "$1" "$p"; done
}

x_gutenberg() { files package/gutenberg -name '*.txt' | emit_all gutenberg; }
x_sotu() { files package/data -name '*.txt' | emit_all text; }
x_brown() { files package -name 'c[a-r][0-9][0-9]' | emit_all brown; }
x_dictd() { files usr/share/dictd -name '*.dict.dz' | emit_all dictd; }
x_fortune() {
  files usr/share/games/fortunes ! -name '*.dat' ! -name '*.u8' ! -name 'ascii-art' |
    emit_all fortune
}
x_wordnet() { files package/dict -name 'data.*' | emit_all wordnet; }
x_debdesc() { emit debdesc Translation-en; }
x_sword() {
  local m=usr/share/sword/modules/texts/ztext/engWEB2015eb
  mkdir -p .derived
  "$tool" --sword-dump "$m" >.derived/engWEB2015eb.osis || return 1
  emit osis "$m" .derived/engWEB2015eb.osis
}
# R lazy-load data: every character vector of 100+ strings (a book, one line a string).
x_rdata() {
  local rdb
  mkdir -p .derived
  files usr/lib/R -name '*.rdb' -path '*/data/*' >.derived/rdb.list
  while IFS= read -r rdb; do
    mkdir -p ".derived/$rdb"
    "$tool" --rdata-dump "$rdb" ".derived/$rdb" >/dev/null || return 1
    files ".derived/$rdb" -name 'vector-*.txt' | while IFS= read -r v; do
      emit text "$rdb#$(basename "$v" .txt)" "$v"
    done
  done <.derived/rdb.list
}
# Sphinx copies each page's reStructuredText source to _sources/<page>.rst.txt.
x_sphinx_sources() { files . -path '*/_sources/*' -name '*.txt' | emit_all rst; }
x_linux_doc() {
  files . -path '*/_sources/*' -name '*.rst.txt' ! -path '*/_sources/translations/*' |
    emit_all rst
}
x_perl_pod() { files usr/share/perl -name '*.pod' | emit_all pod; }
x_postgres_html() { files usr/share/doc/postgresql-doc-15/html -name '*.html' | emit_all html; }
x_git_doc() { files usr/share/doc/git-doc -maxdepth 2 -name '*.txt' | emit_all asciidoc; }
x_vim_help() { files usr/share/vim -path '*/doc/*' -name '*.txt' | emit_all vimhelp; }
x_html_tree() {
  files . \( -name '*.html' -o -name '*.htm' \) ! -name 'genindex*' ! -name 'search.html' \
    ! -name 'py-modindex.html' ! -path '*/_modules/*' ! -name '*-modindex.html' |
    emit_all html
}
# Manual pages rendered with groff (tbl for tables; no hyphenation; one long page);
# ".so" redirections are skipped: their target is listed on its own.
x_manpages() {
  mkdir -p .derived
  files usr/share/man -name '*.gz' >.derived/man.list
  # shellcheck disable=SC2016
  tr '\n' '\0' <.derived/man.list | xargs -0 -r -n 64 -P 2 sh -c '
    for p; do
      o=.derived/$p.txt
      mkdir -p "$(dirname "$o")"
      if zcat "$p" | head -c 4 | grep -q "^\.so "; then : >"$o"; continue; fi
      zcat "$p" | groff -t -Tutf8 -man -P-cbou -rcR=1 -rHY=0 2>/dev/null >"$o" || : >"$o"
    done' sh || return 1
  while IFS= read -r p; do
    if [ -s ".derived/$p.txt" ]; then emit man "$p" ".derived/$p.txt"; fi
  done <.derived/man.list
}

# Lists the documents of one unpacked source (cached per EXTRACT_VERSION).
list_docs() { # extractor dir -> path of the document list
  local x=$1 d=$2 list
  list=$d/.docs-v$EXTRACT_VERSION.tsv
  if [ ! -f "$list" ]; then
    declare -F "x_$x" >/dev/null || { echo "no extractor named x_$x in prepare.sh" >&2; return 1; }
    (cd "$d" && "x_$x") >"$list.tmp" || { echo "extractor x_$x failed" >&2; return 1; }
    [ -s "$list.tmp" ] || { echo "extractor x_$x found no documents" >&2; return 1; }
    mv "$list.tmp" "$list"
  fi
  echo "$list"
}

# --- all sources -------------------------------------------------------------------
docs=$out/docs.tsv
meta=$out/sources.tsv
: >"$docs.tmp"
: >"$meta.tmp"
missing=()
n=0
while IFS=$'\t' read -r stier reg pkg ver x lic pin; do
  case "$stier" in ''|'#'*) continue ;; esac
  [ "$tier" = full ] || [ "$stier" = prose ] || continue
  n=$((n + 1))
  err=$(mktemp)
  ok=1
  case "$reg" in
    debian) f=$(fetch_debian "$pkg" "$ver" 2>"$err") || ok=0 ;;
    npm) f=$(fetch_npm "$pkg" "$ver" 2>"$err") || ok=0 ;;
    debian-index) f=$(fetch_debian_index "$pkg" "$ver" 2>"$err") || ok=0 ;;
    *) echo "unknown registry '$reg' in corpus/sources.tsv" >"$err"; ok=0 ;;
  esac
  if [ $ok = 1 ]; then
    sha=$(cat "$f.sha256")
    if [ "$pin" != "-" ] && [ "$pin" != "$sha" ]; then
      echo "SHA-256 of $(basename "$f") is $sha, $(basename "$sources") pins $pin" >"$err"
      ok=0
    fi
  fi
  d=$cache/x/$reg/${pkg//\//_}_$ver
  [ $ok = 1 ] && { unpack "$reg" "$f" "$d" 2>"$err" || ok=0; }
  [ $ok = 1 ] && { list=$(list_docs "$x" "$d" 2>"$err") || ok=0; }
  if [ $ok = 0 ]; then
    what="$pkg ($reg $ver)"
    if [ $allow_missing = 1 ]; then
      say "MISSING $what: $(tr '\n' ' ' <"$err")-- continuing without it (--allow-missing)"
      missing+=("$pkg")
      rm -f "$err"
      continue
    fi
    cat "$err" >&2
    rm -f "$err"
    die "source $what failed; fix it or re-run with --allow-missing to build without it"
  fi
  rm -f "$err"
  awk -F'\t' -v s="$pkg" -v d="$d" 'BEGIN{OFS="\t"} {print s, $1, $2, d "/" $3}' "$list" >>"$docs.tmp"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pkg" "$reg" "$pkg" "$ver" "$lic" \
    "$(basename "$f")" "$(stat -c %s "$f")" "$sha" >>"$meta.tmp"
  say "$(printf '%-22s %6d documents  [%ss]' "$pkg" "$(wc -l <"$list")" "$(elapsed)")"
done <"$sources"
[ $n -gt 0 ] || die "$sources lists no source for tier $tier"
[ -s "$docs.tmp" ] || die "no source could be prepared"
mv "$docs.tmp" "$docs"
mv "$meta.tmp" "$meta"
if [ ${#missing[@]} -gt 0 ]; then
  printf '%s\n' "${missing[@]}" >"$out/missing.txt"
else
  rm -f "$out/missing.txt"
fi

# --- build -------------------------------------------------------------------------
# Skipped when the listed files (names, sizes, times), the options and the program are
# unchanged.
key=$( (cat "$docs" "$meta"; echo "$tier $SEED $val_pm ${missing[*]}"; sha_of "$tool"
  cut -f4 "$docs" | tr '\n' '\0' | xargs -0 stat -c '%n %s %Y') | sha256sum | cut -d' ' -f1)
if [ -f "$out/.built" ] && [ "$(cat "$out/.built")" = "$key" ] && [ -f "$out/train.txt" ] &&
  [ -f "$out/val.txt" ] && [ -f "$out/manifest.json" ]; then
  say "corpus in $out is up to date [$(elapsed)s]"
else
  rm -f "$out/.built"
  say "cleaning, deduplicating, splitting ($(wc -l <"$docs") documents)"
  margs=()
  for m in "${missing[@]}"; do margs+=(--missing "$m"); done
  nice -n 5 "$tool" --list "$docs" --sources "$meta" --out "$out" --tier "$tier" \
    --seed "$SEED" --val-per-mille "$val_pm" "${margs[@]}" || die "corpus-build failed"
  echo "$key" >"$out/.built"
fi
train=$(stat -c %s "$out/train.txt")
val=$(stat -c %s "$out/val.txt")
say "$(awk -v t="$train" -v v="$val" -v s="$(elapsed)" -v o="$out" \
  'BEGIN{printf "done in %ss: train.txt %.1f MB, val.txt %.2f MB (%s)", s, t/1e6, v/1e6, o}')"
[ ${#missing[@]} -eq 0 ] || say "built WITHOUT: ${missing[*]} (see $out/missing.txt)"
