#!/usr/bin/env bash
# A timed training run for the learning tables (docs/results.md): trains CONFIG for MINUTES,
# copying the newest published model at 15, 30 and 60 minutes (and at the end) into
# OUT/model-<m>min.zpck. Extra arguments go to `zeroplay train`. The run directory is OUT/run.
#
#   scripts/dev/timed_run.sh config/connect4-gumbel.yaml 60 runs/gumbel60
set -euo pipefail
cd "$(dirname "$0")/../.."
config=$1 minutes=$2 out=$3
shift 3
mkdir -p "$out"
build/cli/zeroplay train "$config" --run-dir "$out/run" --set train.max_seconds=$((minutes * 60)) "$@" \
  > "$out/train.out" 2>&1 &
pid=$!
snapshot() {
  local latest
  latest=$(head -1 "$out/run/checkpoints/latest" 2>/dev/null || true)
  if [ -n "$latest" ] && cp "$out/run/checkpoints/$latest" "$out/model-$1min.zpck"; then
    echo "[timed_run] $1 min: $latest -> $out/model-$1min.zpck"
  fi
}
start=$(date +%s)
for m in 15 30 60; do
  [ "$m" -le "$minutes" ] || break
  while kill -0 "$pid" 2>/dev/null && [ $(( $(date +%s) - start )) -lt $((m * 60 - 5)) ]; do sleep 5; done
  kill -0 "$pid" 2>/dev/null && snapshot "$m"
done
wait "$pid" || { echo "[timed_run] train failed; see $out/train.out"; exit 1; }
snapshot end
tail -2 "$out/train.out"
