#!/usr/bin/env bash
# A screenshot of the real TensorBoard showing a run's main charts (the README's picture):
# starts `tensorboard --logdir RUN_DIR/tb` from the venv on a free local port, points headless
# Chromium at its Scalars dashboard filtered to the main tags (no smoothing),
# writes OUT.png and stops TensorBoard.
#
#   scripts/dev/tb_screenshot.sh RUN_DIR OUT.png [TAG_REGEX]
#
# Needs chromium (Debian: apt-get install chromium; not installed by scripts/setup.sh) and
# tensorboard in the venv (scripts/setup.sh). scripts/dev/tb_charts.py draws similar charts
# with matplotlib where there is no browser.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 RUN_DIR OUT.png [TAG_REGEX]" >&2
  exit 1
fi
RUN_DIR=$1 OUT=$2
TAGS=${3:-'selfplay/(positions|evals)_per_s$|selfplay/mean_batch|selfplay/lock_wait_share|cpu/actors|learner/loss_(policy|value)|eval/elo$|match/win_rate_mcts|oracle/search_accuracy|pons/(policy|search)_error_rate/Test_L1_R3'}
VENV="${ZEROPLAY_CACHE:-$HOME/.cache/zeroplay}/venv"
[ -d "$RUN_DIR/tb" ] || { echo "tb_screenshot: no $RUN_DIR/tb" >&2; exit 1; }
command -v chromium >/dev/null || { echo "tb_screenshot: chromium not found (apt-get install chromium)" >&2; exit 1; }

PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOG=$(mktemp)
"$VENV/bin/tensorboard" --logdir "$RUN_DIR/tb" --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
TB=$!
trap 'kill $TB 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 60); do
  curl -sf "http://127.0.0.1:$PORT/data/runs" >/dev/null && break
  kill -0 $TB 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.5
done
QUERY=$("$VENV/bin/python" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$TAGS")
URL="http://127.0.0.1:$PORT/#scalars&tagFilter=$QUERY&_smoothingWeight=0"
chromium --headless=new --no-sandbox --hide-scrollbars --window-size=1800,1020 \
  --virtual-time-budget=30000 --screenshot="$OUT" "$URL" 2>/dev/null
echo "wrote $OUT (TensorBoard $("$VENV/bin/python" -c 'import tensorboard; print(tensorboard.__version__)'), $RUN_DIR/tb)"
