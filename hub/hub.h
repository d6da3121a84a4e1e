// The hub role: the head's side of `zeroplay join`. Started by the supervisor when the writer
// listens on tcp:// (writer.endpoint), it serves the hub protocol (shared/run/hub.h) on the
// writer's host at PORT+2 with the writer's CURVE keys, admitting the keys the writer admits:
// it hands each host an id, a range of actor ids and the run's resolved config, relays
// published models from the run's model store in chunks, and keeps each host's last report
// in hosts/host-<id>.json for the status line. Refused peers (no CURVE, or a key that is not
// authorized) are logged and counted (kPeersRefused in kHubSlot).
//
// On SIGTERM (the run stops) it answers every BEAT with STOP and keeps serving until every
// host in contact said BYE (their actors drained into the writer, which the supervisor stops
// after the hub), or until writer.shard_seconds + 15 s have passed. A SIGTERM because the
// supervisor died (killed or crashed: the kernel's parent-death signal) tells the hosts
// nothing: they wait for the head to come back (train --resume) and hello again.
#pragma once

#include <string>

namespace zp::hub {

// Runs the hub of the run in `run_dir` until stopped. Returns the exit code.
int run_hub(const std::string& run_dir);

}  // namespace zp::hub
