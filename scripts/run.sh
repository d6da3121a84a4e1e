#!/usr/bin/env bash
# The README's run command: sets up, builds, and starts the default training run
# (config/connect4.yaml; on the GPU if there is one, else the CPU). Extra arguments go to
# `zeroplay train`, e.g. `scripts/run.sh --set actors.count=4`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
BUILD_DIR="${ZEROPLAY_BUILD_DIR:-build}"
exec "$BUILD_DIR/cli/zeroplay" train config/connect4.yaml "$@"
