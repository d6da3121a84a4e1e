#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then configures and builds Zeroplay in
# $ZEROPLAY_BUILD_DIR (default: build/). Release build with Ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR="${ZEROPLAY_BUILD_DIR:-build}"
JOBS="${ZEROPLAY_JOBS:-$(nproc)}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
