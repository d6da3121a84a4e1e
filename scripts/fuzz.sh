#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/*_fuzz.cpp: record decoding, shard reading, checkpoint
# decoding, manifest parsing, learner-state parsing, YAML config loading) for SECONDS each
# (default 20; the README's test command runs 20), starting from its seed corpus in
# fuzz/corpus/<target>/ and replaying fuzz/regressions/<target>/ first. Built with clang-14,
# ASan and UBSan into build-asan/ (shared with scripts/sanitize.sh). New inputs go to
# build-asan/fuzz-corpus/<target>/ (the repository's corpus is not changed); a crash is saved
# as build-asan/fuzz-crashes/<target>-crash-* and fails the run. Ends with one table.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-20}"
case "$SECONDS_EACH" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$1'" >&2; exit 2;; esac
JOBS="${ZEROPLAY_JOBS:-$(nproc)}"
TARGETS=(record shard checkpoint manifest learner_state config)
source scripts/sanitizer_build.sh

configure_sanitized build-asan -DZEROPLAY_SANITIZE=address,undefined -DZEROPLAY_FUZZ=ON
echo "[fuzz] building ${#TARGETS[@]} targets in build-asan"
cmake --build build-asan -j "$JOBS" --target "${TARGETS[@]/#/fuzz_}" > build-asan/fuzz-build.log 2>&1 ||
  { tail -40 build-asan/fuzz-build.log; exit 1; }
mkdir -p build-asan/fuzz-crashes

failed=0
rows=()
for t in "${TARGETS[@]}"; do
  bin=build-asan/fuzz/fuzz_$t
  work=build-asan/fuzz-corpus/$t
  log=build-asan/fuzz-$t.log
  mkdir -p "$work"
  regressions=()
  if [ -d "fuzz/regressions/$t" ]; then
    while IFS= read -r f; do regressions+=("$f"); done < <(find "fuzz/regressions/$t" -type f ! -name '*.md')
  fi
  if [ ${#regressions[@]} -gt 0 ] && ! "$bin" "${regressions[@]}" > "$log.regressions" 2>&1; then
    echo "[fuzz] $t: a regression input fails again; see $log.regressions"
    tail -30 "$log.regressions"
    failed=1
  fi
  echo "[fuzz] $t: fuzzing for ${SECONDS_EACH} s"
  status=ok
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="build-asan/fuzz-crashes/$t-" "$work" "fuzz/corpus/$t" \
    > "$log" 2>&1 || status=CRASH
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  corpus=$(find "$work" -type f | wc -l)
  rows+=("$(printf '%-14s %12s %10s %10s  %s' "$t" "$execs" "$rate" "$corpus" "$status")")
  if [ "$status" != ok ]; then
    failed=1
    echo "[fuzz] $t: CRASH; the end of $log:"
    tail -40 "$log"
  fi
done
printf '%-14s %12s %10s %10s  %s\n' target executions execs/s corpus result
printf '%s\n' "${rows[@]}"
exit $failed
