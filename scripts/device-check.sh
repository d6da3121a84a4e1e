#!/usr/bin/env bash
# One prepared check of the GPU path, for the few minutes a GPU machine is lent (issue 9).
#
#   scripts/device-check.sh [--out DIR]        on the GPU machine (DIR default: $OUT)
#   scripts/device-check.sh --cpu [--out DIR]  here, as a smoke test of the same steps (about a
#                                              minute; ctest runs it, label smoke)
#
# In order, each step time-boxed (a failed or timed-out step is recorded and the next runs):
#   1. build      GPU: scripts/gpu/build.sh (the carried Debian packages in .gpu/, made by
#                 scripts/gpu/prepare.sh, and the machine's PyTorch) builds build-gpu (Release,
#                 CUDA arch 90 for the H100/H200); --cpu: checks the existing build directory
#                 ($ZEROPLAY_BUILD_DIR or build) has the binaries
#   2. gpu-tests  the [gpu] Catch2 tests (--cpu: they report Skipped, exit 77, which passes)
#   3. inference  bench inference: GPU fp32 and bf16, CUDA graphs on and off, batches 64..4096,
#                 the 10x128 network; --cpu: fp32, tiny model, batches 1 and 8
#   4. selfplay   bench selfplay at 1, 2, 4, 8 and 16 actors, one run per mode (selfplay-lock,
#                 then selfplay-server where this build has it: a slow one loses only its own
#                 rows); --cpu: tiny model, 1 and 2 actors, a few seconds a row
#   5. train      zeroplay train config/connect4.yaml with 4 actors for 3 minutes (less when the
#                 steps before took longer; --cpu: config/tiny.yaml, 20 s), keeping its final
#                 status line
# Everything goes under DIR, few files (the GPU tool brings back at most 8): summary.json
# (each step's status, seconds, exit code, the benches' JSON and the train's final status
# line), tables.md (the same as markdown tables), and one log per step (build.log, tests.log,
# inference.log, selfplay.log, train.log). The whole run keeps within $ZP_DC_TOTAL_S seconds
# (default 560 on the GPU, 150 with --cpu): a step gets at most what is left after the
# minimum the later steps need. Exits 1 when any step failed, 0 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=gpu
out="${OUT:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) mode=cpu; shift ;;
    --out) [ $# -ge 2 ] || { echo "device-check: --out needs a directory" >&2; exit 2; }
           out="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "device-check: unknown argument '$1' (--cpu, --out DIR)" >&2; exit 2 ;;
  esac
done
if [ -z "$out" ]; then
  if [ "$mode" = cpu ]; then out="${ZEROPLAY_BUILD_DIR:-build}/device-check"; else
    echo "device-check: no output directory: pass --out DIR or set OUT" >&2; exit 2; fi
fi
mkdir -p "$out" || { echo "device-check: cannot create $out" >&2; exit 2; }
out=$(cd "$out" && pwd)
rm -f "$out"/summary.json "$out"/tables.md "$out"/*.log
work=$(mktemp -d "${TMPDIR:-/tmp}/zeroplay-device-check-XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ "$mode" = gpu ]; then
  build_dir=build-gpu
  total_s=${ZP_DC_TOTAL_S:-560}
  # Step boxes (seconds) and the least each needs to be worth starting.
  box_build=240; box_tests=60; box_inference=75; box_selfplay=90; box_train=215
  min_build=60; min_tests=10; min_inference=20; min_selfplay=30; min_train=60
  train_config=config/connect4.yaml; train_seconds=180
  # connect4.yaml runs one actor (tuned for 2 CPU cores); the GPU run shares the device among 4
  train_args=(--set actors.count=4)
  selfplay_config=config/connect4.yaml
  selfplay_args=(--actors 1,2,4,8,16 --seconds 4 --warmup 2 --ceiling-seconds 1)
  inference_config=config/connect4.yaml
  inference_args=(--set model.blocks=10 --set model.channels=128
                  --batches 64,128,256,512,1024,2048,4096 --seconds 0.5)
  inference_axes=(--precision fp32,bf16 --graphs on,off)
else
  build_dir="${ZEROPLAY_BUILD_DIR:-build}"
  total_s=${ZP_DC_TOTAL_S:-150}
  box_build=10; box_tests=30; box_inference=30; box_selfplay=40; box_train=50
  min_build=1; min_tests=5; min_inference=5; min_selfplay=10; min_train=25
  train_config=config/tiny.yaml; train_seconds=20
  train_args=()
  selfplay_config=config/tiny.yaml
  selfplay_args=(--actors 1,2 --seconds 1.5 --warmup 0.5 --ceiling-seconds 0.3)
  inference_config=config/tiny.yaml
  inference_args=(--batches 1,8 --seconds 0.2)
  inference_axes=(--precision fp32 --graphs off)
fi
zp="$build_dir/cli/zeroplay"
tests_bin="$build_dir/tests/zeroplay_tests"
start_s=$(date +%s)
failed=0
steps_tsv="$work/steps.tsv"
: > "$steps_tsv"

say() { echo "[device-check] $*"; }

# Seconds a step may take: its box, less what the steps after it need at least.
step_limit() {
  local box=$1 later_min=$2
  local left=$(( total_s - ($(date +%s) - start_s) - later_min ))
  [ "$left" -lt "$box" ] && echo "$left" || echo "$box"
}

# record NAME STATUS SECONDS RC NOTE
record() {
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$steps_tsv"
  say "$1: $2 (${3} s${5:+; $5})"
  [ "$2" = failed ] || [ "$2" = timeout ] && failed=1
  return 0
}

# run_step NAME LIMIT MIN LOG SKIP_RC CMD...: runs CMD under `timeout` (SIGTERM, then SIGKILL
# 15 s later), appending to LOG. Exit code SKIP_RC (or none: -) counts as skipped.
run_step() {
  local name=$1 limit=$2 min=$3 log=$4 skip_rc=$5; shift 5
  if [ "$limit" -lt "$min" ]; then
    record "$name" failed 0 -1 "no time left (${limit} s, needs ${min} s)"; return 1
  fi
  say "$name: running (at most ${limit} s): $*"
  echo "### $name: $* (limit ${limit} s)" >> "$log"
  local t0 rc
  t0=$(date +%s.%N)
  timeout --kill-after=15 "$limit" "$@" >> "$log" 2>&1
  rc=$?
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" -eq 0 ]; then record "$name" ok "$secs" "$rc" ""
  elif [ "$rc" = "$skip_rc" ]; then record "$name" skipped "$secs" "$rc" "no CUDA device"
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    record "$name" timeout "$secs" "$rc" "stopped after ${limit} s"
  else record "$name" failed "$secs" "$rc" "see $(basename "$log")"; fi
  [ "$rc" -eq 0 ]
}

# ---- 1. build ---------------------------------------------------------------------------------
later=$(( min_tests + min_inference + 2 * min_selfplay + min_train ))
if [ "$mode" = gpu ]; then
  run_step build "$(step_limit $box_build $later)" $min_build "$out/build.log" - \
    bash scripts/gpu/build.sh "$build_dir"
  # The later steps run the binaries, which need the carried libraries on the loader's path.
  # shellcheck source=scripts/gpu/env.sh
  source scripts/gpu/env.sh >> "$out/build.log" 2>&1 || true
else
  run_step build "$(step_limit $box_build $later)" $min_build "$out/build.log" - \
    test -x "$zp" -a -x "$tests_bin"
fi

# ---- 2. [gpu] tests ---------------------------------------------------------------------------
later=$(( min_inference + 2 * min_selfplay + min_train ))
skip=-
[ "$mode" = cpu ] && skip=77
run_step gpu-tests "$(step_limit $box_tests $later)" $min_tests "$out/tests.log" "$skip" \
  "$tests_bin" --gpu-gate "[gpu]"

# ---- 3. bench inference -----------------------------------------------------------------------
later=$(( 2 * min_selfplay + min_train ))
axes=()
if [ -x "$zp" ] && "$zp" bench inference --help 2>/dev/null | grep -q -- '--precision'; then
  axes=("${inference_axes[@]}")
fi
run_step inference "$(step_limit $box_inference $later)" $min_inference "$out/inference.log" - \
  "$zp" bench inference "$inference_config" "${inference_args[@]}" "${axes[@]}" --json

# ---- 4. bench selfplay ------------------------------------------------------------------------
# Server mode where this build has it: bench selfplay refuses it with "not available" when not
# (checked before the actor count, so --actors 0 makes the probe fail at once either way).
modes=(lock)
if [ -x "$zp" ]; then
  probe=$("$zp" bench selfplay "$selfplay_config" --mode server --actors 0 2>&1)
  case "$probe" in *"not available"*) ;; *) modes+=(server) ;; esac
fi
for m in "${modes[@]}"; do
  later=$min_train
  [ "$m" = lock ] && [ "${#modes[@]}" -gt 1 ] && later=$(( min_selfplay + min_train ))
  run_step "selfplay-$m" "$(step_limit $box_selfplay $later)" $min_selfplay "$out/selfplay.log" - \
    "$zp" bench selfplay "$selfplay_config" --mode "$m" "${selfplay_args[@]}" --json
done

# ---- 5. train ---------------------------------------------------------------------------------
limit=$(step_limit $box_train 0)
secs=$train_seconds
[ $(( limit - 35 )) -lt "$secs" ] && secs=$(( limit - 35 ))
[ "$secs" -lt 5 ] && secs=5
export ZP_DC_TRAIN_SECONDS=$secs
run_step train "$limit" $min_train "$out/train.log" - \
  "$zp" train "$train_config" --run-dir "$work/train-run" --set "train.max_seconds=$secs" \
  "${train_args[@]}"

# ---- summary ----------------------------------------------------------------------------------
python3 - "$steps_tsv" "$out" "$mode" "$(( $(date +%s) - start_s ))" <<'PY' || failed=1
import json, os, re, sys
steps_tsv, out, mode, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def last_json(log):
    """The last line of a log that is a JSON object (a bench's --json output), or None."""
    try:
        lines = open(os.path.join(out, log), errors="replace").read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None

def all_json(log):
    """Every line of a log that is a JSON object (one per bench run), in order."""
    try:
        lines = open(os.path.join(out, log), errors="replace").read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                pass
    return found

def final_status(log):
    try:
        lines = open(os.path.join(out, log), errors="replace").read().splitlines()
    except OSError:
        return None
    finals = [l for l in lines if l.startswith("[final]")]
    if finals:
        return finals[-1]
    status = [l for l in lines if re.match(r"^\[ *\d+s\]", l)]
    return status[-1] if status else None

steps = []
for line in open(steps_tsv):
    name, status, secs, rc, note = line.rstrip("\n").split("\t")
    steps.append({"step": name, "status": status, "seconds": float(secs), "exit_code": int(rc),
                  "note": note})
summary = {"mode": mode, "seconds": total, "steps": steps,
           "ok": all(s["status"] in ("ok", "skipped") for s in steps),
           "inference": last_json("inference.log"), "selfplay": all_json("selfplay.log"),
           "train_max_seconds": int(os.environ.get("ZP_DC_TRAIN_SECONDS", "0")),
           "train_final_status": final_status("train.log")}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
    f.write("\n")

def table(rows, title):
    """A markdown table of a list of flat dicts (every scalar key a column)."""
    if not rows:
        return f"{title}: no rows\n"
    keys = [k for k in rows[0] if not isinstance(rows[0][k], (dict, list))]
    fmt = lambda v: "n/a" if v is None else (f"{v:.3g}" if isinstance(v, float) and abs(v) < 10
                                             else f"{v:.0f}" if isinstance(v, float) else str(v))
    lines = [f"{title}\n", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(fmt(r.get(k)) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"

md = [f"# device-check ({mode}), {total} s\n",
      table(steps, "## steps")]
inf = summary["inference"]
if inf:
    setup = {k: v for k, v in inf.items() if not isinstance(v, (dict, list))}
    md.append(f"## bench inference\n\n{json.dumps(setup)}\n")
    md.append(table(inf.get("results") or inf.get("rows") or [], "### rows"))
for sp in summary["selfplay"]:
    setup = {k: v for k, v in sp.items() if not isinstance(v, (dict, list))}
    md.append(f"## bench selfplay\n\n{json.dumps(setup)}\n")
    md.append(table(sp.get("rows", []), "### rows"))
    md.append(f"recommendation: {json.dumps(sp.get('recommendation'))}\n")
md.append(f"## train ({summary['train_max_seconds']} s), final status line\n\n"
          f"    {summary['train_final_status']}\n")
with open(os.path.join(out, "tables.md"), "w") as f:
    f.write("\n".join(md))
PY
say "summary: $out/summary.json, tables: $out/tables.md"
[ -f "$out/tables.md" ] && cat "$out/tables.md"
if [ "$failed" -ne 0 ]; then say "FAILED: at least one step failed"; exit 1; fi
say "all steps passed"
