#!/usr/bin/env bash
# The README's test command: sets up, builds, checks function length, and runs the whole test
# suite with ctest (labels: unit, integration, gpu; gpu tests report Skipped on machines
# without a GPU). Extra arguments go to ctest, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/lint.sh
BUILD_DIR="${ZEROPLAY_BUILD_DIR:-build}"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 1200 "$@"
