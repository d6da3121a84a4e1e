#!/usr/bin/env bash
# Soak test: does every process's memory stay flat?
#
#   scripts/soak.sh MINUTES [--dir DIR] [--threshold PCT] [--measure rss|anon] [--config FILE]
#                   [--set key=value ...]
#
# Runs `zeroplay train` on config/tiny.yaml (or --config) for MINUTES (train.max_seconds) in a
# fresh run directory (DIR/run; DIR defaults to a new /tmp/zp-soak.XXXXXX), printing progress
# every 30 s. Each process publishes its resident memory into the stats block, and the
# supervisor writes it to metrics.jsonl once a status interval (rss_mb_* fields, MiB). At the
# end it prints, per role (supervisor, writer, learner, evaluator, each actor, the actors
# together, the inference servers), the resident memory (RSS) at the end of warm-up, at the
# end, and its growth in percent; then the same for its anonymous part (anon_mb_*: heap and
# stacks, without libtorch's mapped code, some 300 MiB of every process's RSS), where a leak
# shows undiluted.
#
# Warm-up: max(60 s, 10% of the run), but at most half of it (so a one-minute soak still has
# a start and an end). "At the end" is the last status line before the stop began.
#
# Exit status: 0 when no role's RSS (or, with --measure anon, its anonymous part) grew by more
# than PCT percent (default 5), 1 when one did, 2
# when the run failed or its metrics lack the memory figures. Arguments it does not know
# (e.g. --set actors.count=4) go to `zeroplay train`. The build must be current
# (scripts/build.sh); ZEROPLAY_BUILD_DIR picks another build directory.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/soak.sh MINUTES [--dir DIR] [--threshold PCT] [--measure rss|anon]" \
       "[--config FILE] [--set key=value ...]" >&2
  exit 2
}

[ $# -ge 1 ] || usage
MINUTES="$1"
shift
if ! [[ "$MINUTES" =~ ^[0-9]+([.][0-9]+)?$ ]] || awk -v m="$MINUTES" 'BEGIN { exit !(m <= 0) }'
then
  echo "soak: MINUTES must be a positive number, got '$MINUTES'" >&2
  exit 2
fi
DIR=""
THRESHOLD=5
MEASURE=rss
CONFIG=config/tiny.yaml
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage; DIR="$2"; shift 2 ;;
    --threshold) [ $# -ge 2 ] || usage; THRESHOLD="$2"; shift 2 ;;
    --config) [ $# -ge 2 ] || usage; CONFIG="$2"; shift 2 ;;
    --measure) [ $# -ge 2 ] || usage; MEASURE="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
if ! [[ "$THRESHOLD" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "soak: --threshold must be a percentage >= 0, got '$THRESHOLD'" >&2
  exit 2
fi
case "$MEASURE" in
  rss|anon) ;;
  *) echo "soak: --measure must be rss or anon, got '$MEASURE'" >&2; exit 2 ;;
esac
[ -f "$CONFIG" ] || { echo "soak: config $CONFIG not found" >&2; exit 2; }
BIN="${ZEROPLAY_BUILD_DIR:-build}/cli/zeroplay"
[ -x "$BIN" ] || { echo "soak: $BIN not found; run scripts/build.sh" >&2; exit 2; }
PY="${ZEROPLAY_CACHE:-$HOME/.cache/zeroplay}/venv/bin/python"
[ -x "$PY" ] || PY=python3

SECONDS_TOTAL=$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 + 0.5 }')
WARMUP=$(awk -v t="$SECONDS_TOTAL" 'BEGIN { w = t / 10; if (w < 60) w = 60; if (w > t / 2) w = t / 2;
                                             printf "%d", w }')
[ -n "$DIR" ] || DIR=$(mktemp -d /tmp/zp-soak.XXXXXX)
mkdir -p "$DIR"
RUN="$DIR/run"
if [ -e "$RUN" ]; then
  echo "soak: $RUN already exists; give a fresh --dir" >&2
  exit 2
fi
OUT="$DIR/train.out"
echo "[soak] $CONFIG for ${SECONDS_TOTAL} s (warm-up ${WARMUP} s, threshold ${THRESHOLD}%)" \
     "in $RUN; output in $OUT"

"$BIN" train "$CONFIG" --run-dir "$RUN" --set "train.max_seconds=$SECONDS_TOTAL" \
  ${EXTRA[@]+"${EXTRA[@]}"} >"$OUT" 2>&1 &
TRAIN=$!
# Ctrl-C or a kill of the script stops the run (SIGINT: the supervisor's clean stop).
trap 'kill -INT "$TRAIN" 2>/dev/null || true' INT TERM

START=$(date +%s)
NEXT=30
while kill -0 "$TRAIN" 2>/dev/null; do
  sleep 2
  now=$(($(date +%s) - START))
  if [ "$now" -ge "$NEXT" ]; then
    NEXT=$((NEXT + 30))
    line=$(grep -a '^\[ *[0-9]*s\] ' "$OUT" | tail -n 1 || true)
    mem=$(printf '%s' "$line" | grep -o '| mem [^|]*' || true)
    step=$(printf '%s' "$line" | grep -o 'learner step [0-9]*' || true)
    echo "[soak] ${now}/${SECONDS_TOTAL} s: ${step:-no status line yet} ${mem}"
  fi
done
set +e
wait "$TRAIN"
RC=$?
set -e
trap - INT TERM
if [ "$RC" -ne 0 ]; then
  echo "soak: zeroplay train exited $RC; the last lines of $OUT:" >&2
  tail -n 20 "$OUT" >&2
  exit 2
fi

"$PY" - "$RUN/metrics.jsonl" "$WARMUP" "$SECONDS_TOTAL" "$THRESHOLD" "$MEASURE" <<'EOF'
import json, sys

path = sys.argv[1]
warmup, total, threshold = (float(a) for a in sys.argv[2:5])
measure = sys.argv[5]
lines = []
with open(path) as f:
    for text in f:
        try:
            j = json.loads(text)
        except ValueError:
            continue
        if "kind" not in j and "rss_mb_learner" in j:  # a status line (eval lines have "kind")
            lines.append(j)

def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)

if not lines:
    fail("soak: %s has no status line with memory figures (rss_mb_*)" % path)
start = next((j for j in lines if j["elapsed_s"] >= warmup), None)
running = [j for j in lines if j["elapsed_s"] <= total]
end = running[-1] if running else lines[-1]
if start is None or end["elapsed_s"] <= start["elapsed_s"]:
    fail("soak: no status line after the warm-up of %.0f s" % warmup)

def roles(j, prefix):
    out = [(r, j.get(prefix + r)) for r in ("supervisor", "writer", "learner", "evaluator")]
    out += [("actor-%d" % i, v) for i, v in enumerate(j.get(prefix + "actor", []))]
    out.append(("actors (sum)", j.get(prefix + "actors")))
    if prefix + "servers" in j:
        out.append(("servers (sum)", j.get(prefix + "servers")))
    return out

def growth(a, b):
    return None if a is None or b is None or a <= 0 else 100.0 * (b - a) / a

def cell(v, fmt):
    return fmt % v if v is not None else "-"

print("[soak] memory (MiB) at %.0f s (after warm-up) and at %.0f s (end); the threshold "
      "applies to %s" % (start["elapsed_s"], end["elapsed_s"], measure))
print("%-14s | %9s | %9s | %7s | %10s | %9s | %7s" % (
    "role", "rss start", "rss end", "growth", "anon start", "anon end", "growth"))
print("-" * 15 + ("+" + "-" * 11) * 2 + "+" + "-" * 9 + "+" + "-" * 12 + "+" + "-" * 11 + "+" +
      "-" * 8)
failed, missing = [], []
anon_end = dict(roles(end, "anon_mb_"))
anon_start = dict(roles(start, "anon_mb_"))
rss_end = dict(roles(end, "rss_mb_"))
for name, a in roles(start, "rss_mb_"):
    b = rss_end.get(name)
    ga, gb = anon_start.get(name), anon_end.get(name)
    g_rss, g_anon = growth(a, b), growth(ga, gb)
    g = g_rss if measure == "rss" else g_anon
    if g is None:
        if name != "evaluator" or (a, b) != (None, None):  # no evaluator: nothing to say
            missing.append(name)
    elif g > threshold:
        failed.append("%s %+.1f%%" % (name, g))
    print("%-14s | %9s | %9s | %7s | %10s | %9s | %7s" % (
        name, cell(a, "%.1f"), cell(b, "%.1f"), cell(g_rss, "%+.1f%%"),
        cell(ga, "%.1f"), cell(gb, "%.1f"), cell(g_anon, "%+.1f%%")))
if missing:
    fail("soak: no %s figures for %s" % (measure, ", ".join(missing)))
if failed:
    print("soak: %s grew by more than %g%%: %s" % (measure, threshold, ", ".join(failed)),
          file=sys.stderr)
    sys.exit(1)
print("[soak] every role's %s within %g%%" % (measure, threshold))
EOF
