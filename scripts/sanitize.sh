#!/usr/bin/env bash
# Sanitizer runs, part of the README's test command (scripts/test.sh):
#   - ASan + UBSan: the torch-free libraries with their tests, zeroplay_core_tests (core,
#     config, games, search, nn, self-play, records, arena, inference-server slots) and
#     zeroplay_ipc_tests (stats block, model store, GPU lock, record channel with CURVE);
#   - TSan: zeroplay_ipc_tests (the shared-memory and channel code that several threads and
#     processes touch).
# Builds with clang-14 into build-asan/ (shared with scripts/fuzz.sh) and build-tsan/, reused
# between runs. Any sanitizer report fails the run (halt_on_error). Prints one line per run.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${ZEROPLAY_JOBS:-$(nproc)}"
source scripts/sanitizer_build.sh

configure_sanitized build-asan -DZEROPLAY_SANITIZE=address,undefined -DZEROPLAY_FUZZ=ON
configure_sanitized build-tsan -DZEROPLAY_SANITIZE=thread
echo "[sanitize] building (ASan+UBSan: build-asan, TSan: build-tsan)"
cmake --build build-asan -j "$JOBS" --target zeroplay_core_tests zeroplay_ipc_tests > build-asan/build.log 2>&1 ||
  { tail -40 build-asan/build.log; exit 1; }
cmake --build build-tsan -j "$JOBS" --target zeroplay_ipc_tests > build-tsan/build.log 2>&1 ||
  { tail -40 build-tsan/build.log; exit 1; }

failed=0
run() {  # run NAME ENV... -- BINARY ARGS...
  local name=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local log="$1.$name.log" t0=$SECONDS
  if env "${envs[@]}" "$@" > "$log" 2>&1; then
    echo "[sanitize] $name: clean ($(grep -Eo 'All tests passed \([0-9]+ assertions in [0-9]+ test cases\)' "$log" | tail -1), $((SECONDS - t0)) s)"
  else
    echo "[sanitize] $name: FAILED ($((SECONDS - t0)) s); the end of $log:"
    tail -60 "$log"
    failed=1
  fi
}
ASAN="ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1"
UBSAN="UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
TSAN="TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
# [binary]: tests that run the zeroplay executable, which torch-free builds do not have.
run asan-ubsan "$ASAN" "$UBSAN" -- build-asan/tests/zeroplay_core_tests "~[binary]"
run asan-ubsan "$ASAN" "$UBSAN" -- build-asan/tests/zeroplay_ipc_tests
run tsan "$TSAN" -- build-tsan/tests/zeroplay_ipc_tests
exit $failed
