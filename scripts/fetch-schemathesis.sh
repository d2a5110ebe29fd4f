#!/usr/bin/env bash
# Install the API fuzzer schemathesis 4.32.5 (used by bench/contract.sh) into a venv in
# ${CAIRN_CACHE_DIR:-~/.cache/cairn}/schemathesis-4.32.5/venv, from the wheels pinned with
# sha256 in scripts/schemathesis-requirements.txt (CPython 3.11, manylinux x86_64; pip
# install --require-hashes --no-deps --only-binary=:all:, so nothing unpinned comes in).
#
# Idempotent: when the venv's `schemathesis --version` prints 4.32.5 and the venv was built from
# the current requirements file, nothing is done (well under a second, no network). The wheels
# are kept in $CACHE/wheels (shared with fetch-models.sh), so rebuilding the venv works offline.
#
# Interrupt-safe: a venv cannot be renamed after it is made (pip writes its absolute path into
# the #! line of bin/schemathesis), so each build goes into a fresh venv-XXXXXX directory that
# is never moved, and `venv` is a symlink switched to it with an atomic rename only after the
# install, `pip check` and `schemathesis --version` all passed. A killed run leaves at most an
# unreferenced venv-XXXXXX, removed by the next run; `venv` always points at a working install.
#
# stdout is only the line CAIRN_SCHEMATHESIS=<the venv's schemathesis binary>, so
# `eval "$(scripts/fetch-schemathesis.sh)"` works; progress goes to stderr.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=4.32.5
REQ=$HERE/schemathesis-requirements.txt
CACHE=${CAIRN_CACHE_DIR:-$HOME/.cache/cairn}
DIR=$CACHE/schemathesis-$VERSION
VENV=$DIR/venv   # a symlink to $DIR/venv-XXXXXX
BIN=$VENV/bin/schemathesis
WHEELS=$CACHE/wheels   # pip's download dir; wheels placed here by hand work offline
STAMP=.requirements.sha256   # in the venv: sha256 of the requirements file it was built from

log() { echo "fetch-schemathesis: $*" >&2; }
die() { echo "fetch-schemathesis: error: $*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# True when the venv at $1 runs schemathesis $VERSION and was built from the current $REQ.
good() {
  [[ -x $1/bin/schemathesis && -f $1/$STAMP && $(<"$1/$STAMP") == "$(sha256 "$REQ")" ]] &&
    [[ $("$1/bin/schemathesis" --version 2>/dev/null) == *" $VERSION" ]]
}

finish() { echo "CAIRN_SCHEMATHESIS=$BIN"; }

[[ -f $REQ ]] || die "$REQ is missing"
if good "$VENV"; then finish; exit 0; fi

[[ $(uname -s)/$(uname -m) == Linux/x86_64 ]] ||
  die "only Linux x86_64 is supported (the pinned wheels are manylinux x86_64); got $(uname -s)/$(uname -m)"

mkdir -p "$DIR" "$WHEELS"
# Two concurrent runs must not build at once; the loser then finds the winner's venv.
exec 9>"$DIR/.lock"
flock 9
if good "$VENV"; then finish; exit 0; fi
# Leftovers of killed runs (anything but the venv the symlink points at); safe under the lock.
current=$(readlink "$VENV" 2>/dev/null || true)
for d in "$DIR"/venv-* "$DIR"/.venv-link.*; do
  [[ -e $d || -L $d ]] || continue
  [[ $(basename "$d") == "$current" ]] || rm -rf "$d"
done

# Python 3.11 with pip and venv: the pinned wheels are cp311.
PY=$("$HERE/python311.sh") || exit 1

# The wheels, offline first (a re-run or a hand-filled $WHEELS needs no network).
PIP=(--disable-pip-version-check -q --no-deps --require-hashes --only-binary=:all:)
if ! "$PY" -m pip download "${PIP[@]}" --no-index --find-links "$WHEELS" -r "$REQ" -d "$WHEELS" >/dev/null 2>&1; then
  log "downloading the wheels pinned in $(basename "$REQ") from PyPI"
  "$PY" -m pip download "${PIP[@]}" -r "$REQ" -d "$WHEELS" >&2 ||
    die "could not download the wheels pinned in $REQ: check access to PyPI, or place those exact wheels (sha256 in that file) in $WHEELS"
fi

NEW=$(mktemp -d "$DIR/venv-XXXXXX")
chmod 755 "$NEW"   # mktemp makes it 0700
log "installing schemathesis $VERSION into $NEW"
"$PY" -m venv "$NEW" || die "could not create a venv with $PY: install python3.11-venv (apt-get install python3-venv)"
"$NEW/bin/python" -m pip install "${PIP[@]}" --no-index --find-links "$WHEELS" -r "$REQ" >&2 ||
  die "could not install $REQ into $NEW"
# --no-deps installs exactly the pinned set: pip check catches a dependency missing from it.
"$NEW/bin/python" -m pip check >&2 || die "the pinned set in $REQ is incomplete or inconsistent (pip check above)"
[[ $("$NEW/bin/schemathesis" --version 2>/dev/null) == *" $VERSION" ]] ||
  die "$NEW/bin/schemathesis --version does not print $VERSION"
sha256 "$REQ" >"$NEW/$STAMP"

# Switch the symlink atomically (rename over the old one), then drop the venv it replaced.
ln -s "$(basename "$NEW")" "$DIR/.venv-link.$$"
if [[ -d $VENV && ! -L $VENV ]]; then rm -rf "$VENV"; fi   # a plain directory from elsewhere
mv -T "$DIR/.venv-link.$$" "$VENV"
if [[ -n $current && $current != "$(basename "$NEW")" ]]; then rm -rf "${DIR:?}/$current"; fi
good "$VENV" || die "$VENV does not work after the install"
log "schemathesis $VERSION ready"
finish
