#!/usr/bin/env bash
# Installs everything Zeroplay needs that is missing on a fresh Debian 12 machine:
#   - Debian packages: compilers' libraries (Boost.Interprocess, ZeroMQ + cppzmq, yaml-cpp,
#     Catch2, spdlog, CLI11, zstd, xxhash), ninja, matplotlib (for `zeroplay plot`), clang-14
#     with its sanitizer and libFuzzer runtimes (scripts/sanitize.sh, scripts/fuzz.sh), pybind11,
#     protobuf (compiler and library, for the TensorBoard event files);
#   - LibTorch, from PyPI's `torch` wheel, into a virtual environment that is reused between
#     runs ($ZEROPLAY_CACHE, default ~/.cache/zeroplay), so CI on the same machine does not
#     download it again.
# Idempotent: each step is skipped when its result is already present. Prints what it does.
set -euo pipefail

TORCH_VERSION="${ZEROPLAY_TORCH_VERSION:-2.11.0}"
CACHE="${ZEROPLAY_CACHE:-$HOME/.cache/zeroplay}"
VENV="$CACHE/venv"

DEBS=(build-essential cmake ninja-build pkg-config libboost-dev libzmq3-dev cppzmq-dev
      libyaml-cpp-dev catch2 libspdlog-dev libfmt-dev libcli11-dev libzstd-dev libxxhash-dev
      nlohmann-json3-dev python3-matplotlib clang-14 libclang-rt-14-dev pybind11-dev
      libprotobuf-dev protobuf-compiler iproute2)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /tmp/zeroplay-apt.log 2>&1 || { cat /tmp/zeroplay-apt.log; exit 1; }
else
  echo "[setup] Debian packages: all present"
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating virtual environment $VENV"
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('$TORCH_VERSION') else 1)" 2>/dev/null; then
  echo "[setup] installing torch==$TORCH_VERSION from PyPI into $VENV (first time only; large download)"
  "$VENV/bin/pip" install -q --cache-dir "$CACHE/pip" "torch==$TORCH_VERSION"
else
  echo "[setup] torch $TORCH_VERSION: present in $VENV"
fi
# lizard (function-length check in scripts/test.sh) lives in the same venv.
if [ ! -x "$VENV/bin/lizard" ]; then
  echo "[setup] installing lizard from PyPI into $VENV"
  "$VENV/bin/pip" install -q --cache-dir "$CACHE/pip" "lizard==1.17.31"
fi
# The Python package (python/, README "Python"): numpy for its arrays, onnx for
# `zeroplay export --format onnx` (torch's TorchScript-based exporter, no onnxscript needed) and
# onnxruntime for the parity test; tensorboard for the test that reads a run's tb/ event files
# with tensorboard's own EventAccumulator (protobuf's compiler and library, from Debian, build
# the event writer); matplotlib for scripts/dev/tb_charts.py (the charts of a run's tb/). A
# .pth file puts python/ and build/python (the extension) of this checkout on the venv's path.
PY_PKGS=("numpy==2.4.6" "onnx==1.23.2" "onnxruntime==1.32.0" "tensorboard==2.21.0"
         "matplotlib==3.11.2")
if ! "$VENV/bin/python" -c "import numpy, onnx, onnxruntime, tensorboard, matplotlib" 2>/dev/null; then
  echo "[setup] installing ${PY_PKGS[*]} from PyPI into $VENV"
  "$VENV/bin/pip" install -q --cache-dir "$CACHE/pip" "${PY_PKGS[@]}"
else
  echo "[setup] numpy, onnx, onnxruntime, tensorboard, matplotlib: present in $VENV"
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SITE="$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")"
printf '%s\n%s\n' "$ROOT/python" "$ROOT/build/python" > "$SITE/zeroplay.pth"
echo "[setup] $SITE/zeroplay.pth -> $ROOT/python, $ROOT/build/python"
echo "[setup] done"
