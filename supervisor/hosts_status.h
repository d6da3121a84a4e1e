// The joined hosts (`zeroplay join`) on the head's status line and in `zeroplay status`, from
// the hub's hosts/host-<id>.json reports (shared/run/hub.h).
//
// Plain functions; thread-safe as far as the file system is.
#pragma once

#include <string>
#include <vector>

#include "shared/run/files.h"
#include "shared/run/hub.h"

namespace zp::supervisor {

// "host-1 NAME: 2 actors, 35.1 pos/s, model v4, pending 3, contact 0.8 s ago" (", stopped"
// after a BYE; "no contact for N s" when that is over 10 s).
std::string format_host(const run::HostReport& r, double now_unix);
// " | hosts: <host>; <host>" for the hosts of `reports` (run::read_host_reports) heard from in
// the last 10 minutes; "" when none.
std::string hosts_status_part(const std::vector<run::HostReport>& reports, double now_unix);
// `status_json` (one JSON object, the metrics.jsonl line) with a "hosts" object added, keyed
// "host-<id>", for the hosts of `reports` heard from in the last 10 minutes: name, actors,
// actors_alive, positions, positions_per_s, model_version, relayed_version, pending, acked,
// contact_age_s, stopped (0/1). Unchanged when there are none. TensorBoard shows them as
// hosts/host-<id>/<field> (tb/json_scalars.h).
std::string add_hosts_json(const std::string& status_json,
                           const std::vector<run::HostReport>& reports, double now_unix);

}  // namespace zp::supervisor
