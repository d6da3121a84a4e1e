#!/usr/bin/env bash
# Positions per second reaching the head with 0, 1 and 2 joined actor hosts, each "host" a
# Linux network namespace on this machine (issue 12's table):
#
#   scripts/dev/multihost_bench.sh [--seconds S] [--hosts 0,1,2] [--host-actors N]
#                                  [--config FILE] [--out FILE.json]
#
# For each host count it builds a bridge zpb-br0 (10.78.0.254/24 in the root namespace) with
# one namespace per machine: zpb-head (10.78.0.1) runs `zeroplay train CONFIG` with
# writer.endpoint tcp://10.78.0.1:7700, zpb-h1 (10.78.0.2) and zpb-h2 (10.78.0.3) each run
# `zeroplay join tcp://10.78.0.1:7700 --keys <head run>/keys --actors N`. Each namespace also
# gets its own IPC namespace (unshare --ipc), so no process sees another machine's /dev/shm
# segments. After S seconds (default 90) the head is stopped (Ctrl-C) and the hosts with it.
# The figure is the head writer's intake: written_positions over the second half of the run,
# from the head's metrics.jsonl, with the hosts' own last reports (positions, model version).
# Traffic stays inside 10.78.0.0/24 on this machine. Needs root; everything it made is removed
# at the end, also on an error or Ctrl-C. On a machine with few cores the hosts share the CPU
# with the head, so this shows the mechanism (records from every host arrive and are
# counted), not a speedup.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_RUN=90
HOST_COUNTS="0,1,2"
HOST_ACTORS=1
CONFIG=config/tiny.yaml
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --hosts) HOST_COUNTS="$2"; shift 2 ;;
    --host-actors) HOST_ACTORS="$2"; shift 2 ;;
    --config) CONFIG="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "multihost_bench: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "multihost_bench: needs root (ip netns)" >&2; exit 2; }
command -v ip >/dev/null || { echo "multihost_bench: needs iproute2 ('ip')" >&2; exit 2; }
BIN="$(pwd)/${ZEROPLAY_BUILD_DIR:-build}/cli/zeroplay"
[ -x "$BIN" ] || { echo "multihost_bench: no $BIN; run scripts/build.sh" >&2; exit 2; }
CONFIG="$(realpath "$CONFIG")"
WORK="$(mktemp -d /tmp/zp-multihost.XXXXXX)"
NS=(zpb-head zpb-h1 zpb-h2)
ADDR=(10.78.0.1 10.78.0.2 10.78.0.3)
ENDPOINT="tcp://10.78.0.1:7700"

teardown() {
  for ns in "${NS[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    # A namespace lives on while a (killed) process is still in it: wait for them to go.
    for _ in $(seq 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns del "$ns" 2>/dev/null || true
  done
  for i in 0 1 2; do ip link del "zpb-v$i" 2>/dev/null || true; done
  ip link del zpb-br0 2>/dev/null || true
}
trap 'teardown' EXIT INT TERM

setup_net() {
  teardown
  ip link add zpb-br0 type bridge
  ip addr add 10.78.0.254/24 dev zpb-br0
  ip link set zpb-br0 up
  for i in 0 1 2; do
    ip netns add "${NS[$i]}"
    ip link add "zpb-v$i" type veth peer name eth0 netns "${NS[$i]}"
    ip link set "zpb-v$i" master zpb-br0 up
    ip -n "${NS[$i]}" addr add "${ADDR[$i]}/24" dev eth0
    ip -n "${NS[$i]}" link set eth0 up
    ip -n "${NS[$i]}" link set lo up
  done
}

# in_ns NS CMD...: CMD inside the namespace's network and a fresh IPC namespace.
in_ns() {
  local ns="$1"; shift
  ip netns exec "$ns" unshare --ipc "$@"
}

# The mean of written_positions' rate over the second half of metrics.jsonl.
intake() {
  python3 - "$1" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"written_positions"' in l]
rows = [r for r in rows if r.get("kind", "status") == "status" and r.get("elapsed_s")]
half = [r for r in rows if r["elapsed_s"] >= rows[-1]["elapsed_s"] / 2]
a, b = half[0], half[-1]
print("%.1f" % ((b["written_positions"] - a["written_positions"]) /
                max(1e-9, b["elapsed_s"] - a["elapsed_s"])))
EOF
}

RESULTS=()
IFS=',' read -r -a COUNTS <<< "$HOST_COUNTS"
for n in "${COUNTS[@]}"; do
  setup_net
  run="$WORK/head-$n"
  echo "[multihost] $n host(s): head in zpb-head for ${SECONDS_RUN} s" >&2
  in_ns zpb-head "$BIN" train "$CONFIG" --run-dir "$run" --set "writer.endpoint=$ENDPOINT" \
      > "$WORK/head-$n.out" 2>&1 &
  head_pid=$!
  for _ in $(seq 100); do [ -f "$run/keys/writer.public" ] && break; sleep 0.2; done
  host_pids=()
  for h in $(seq 1 "$n"); do
    in_ns "${NS[$h]}" "$BIN" join "$ENDPOINT" --keys "$run/keys" --actors "$HOST_ACTORS" \
        --run-dir "$WORK/host-$n-$h" --name "${NS[$h]}" > "$WORK/host-$n-$h.out" 2>&1 &
    host_pids+=($!)
  done
  sleep "$SECONDS_RUN"
  # train runs inside `unshare`: signal the zeroplay process itself.
  pkill -INT -f "zeroplay train $CONFIG --run-dir $run" || true
  wait "$head_pid" || true
  for p in "${host_pids[@]}"; do
    for _ in $(seq 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -INT "$p" 2>/dev/null || true
    wait "$p" || true
  done
  rate="$(intake "$run/metrics.jsonl")"
  hosts_json="[]"
  [ -d "$run/hosts" ] && hosts_json="$(python3 -c '
import json, sys, glob
print(json.dumps([json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/hosts/*.json"))]))
' "$run")"
  echo "[multihost] $n host(s): head intake $rate positions/s" >&2
  RESULTS+=("{\"hosts\": $n, \"head_written_positions_per_s\": $rate, \"host_reports\": $hosts_json}")
done

json="[$(IFS=,; echo "${RESULTS[*]}")]"
python3 - "$json" "$SECONDS_RUN" "$HOST_ACTORS" <<'EOF'
import json, sys
rows = json.loads(sys.argv[1])
# A host's last report is its goodbye, after its actors stopped: its rate is over the run.
seconds = float(sys.argv[2])
print("hosts  head intake pos/s  per host: positions, mean pos/s over the run, model version"
      "   [%s s, %s actor(s) per host]" % (sys.argv[2], sys.argv[3]))
for r in rows:
    per = ", ".join("%s: %s pos, %.0f pos/s, v%s" % (
        h.get("name", h.get("host_id")), h.get("positions"), h.get("positions", 0) / seconds,
        h.get("model_version")) for h in r["host_reports"])
    print("%5d  %18s  %s" % (r["hosts"], r["head_written_positions_per_s"], per or "-"))
EOF
[ -n "$OUT" ] && echo "$json" > "$OUT"
echo "[multihost] logs in $WORK" >&2
