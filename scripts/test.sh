#!/usr/bin/env bash
# The README's test command: sets up, builds, checks function length, and runs the whole test
# suite with ctest (labels: unit, integration, chaos, smoke, gpu; gpu tests report Skipped on
# machines without a GPU), then the sanitizer and fuzzer runs. Extra arguments go to ctest
# (and leave the sanitizers and fuzzers out), e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/lint.sh
BUILD_DIR="${ZEROPLAY_BUILD_DIR:-build}"
rm -f "$BUILD_DIR/tests/chaos-report.txt" "$BUILD_DIR/tests/multihost-report.txt"
(cd "$BUILD_DIR" && ctest --output-on-failure --timeout 1200 "$@")
# The chaos test's figures (ctest shows no output of passing tests).
[ -f "$BUILD_DIR/tests/chaos-report.txt" ] && cat "$BUILD_DIR/tests/chaos-report.txt"
# The multihost test's figures (positions per host, versions, acknowledged/lost/duplicated).
[ -f "$BUILD_DIR/tests/multihost-report.txt" ] && cat "$BUILD_DIR/tests/multihost-report.txt"
# The whole suite (no ctest arguments) also runs the sanitizers and the fuzzers (issue 10):
# ASan+UBSan over the torch-free tests, TSan over the IPC tests, and each libFuzzer target
# for 20 s. ZEROPLAY_SKIP_SANITIZERS=1 leaves them out.
if [ $# -eq 0 ] && [ "${ZEROPLAY_SKIP_SANITIZERS:-0}" != 1 ]; then
  bash scripts/sanitize.sh
  bash scripts/fuzz.sh 20
fi
