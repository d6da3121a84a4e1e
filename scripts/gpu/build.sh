#!/usr/bin/env bash
# Builds Zeroplay on the GPU machine against the carried packages (.gpu/, from
# scripts/gpu/prepare.sh) and the machine's PyTorch: Release, Ninja, CUDA arch 90 (Hopper:
# H100, H200), the zeroplay binary and the test binary with the [gpu] tests.
#   bash scripts/gpu/build.sh [BUILD_DIR]     (default build-gpu)
set -uo pipefail
cd "$(dirname "$0")/../.."
build_dir="${1:-build-gpu}"
# shellcheck source=scripts/gpu/env.sh
source scripts/gpu/env.sh || exit 1
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZEROPLAY_PYTHON=python3 \
  -DCMAKE_CUDA_ARCHITECTURES=90 || exit 1
cmake --build "$build_dir" -j "$(nproc)" --target zeroplay zeroplay_tests
