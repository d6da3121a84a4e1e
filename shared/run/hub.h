// The hub protocol: how `zeroplay join` hosts (host/) talk to the head's hub role (hub/),
// over shared/ipc/request.h (DEALER -> ROUTER; CURVE with the run's writer keys over tcp).
// The hub listens on the writer's host at PORT+2 (the writer has PORT for records and PORT+1
// for acknowledgements). Each message is a list of frames, the verb first:
//
//   HELLO name actors host_id          -> WELCOME host_id actor_id_base run_id config_yaml
//         host_id 0 asks for a new id; a host that had one (the head restarted) asks for it
//         again and keeps its actor ids. actor_id_base = host_id * kActorIdsPerHost: the
//         head's own actors are 0..kMaxActors-1, so no two hosts' record ids collide.
//   MODEL which have version offset    -> MODEL version total xxh64 offset chunk
//         which: "latest" or "best"; have: the version the host's store holds; version: the
//         one being downloaded (0: none). The reply's version is the newest published (0:
//         none yet); when it is not newer than `have`, the chunk is empty. When it differs
//         from the request's `version`, the reply's chunk starts at offset 0 of the new
//         version (a host that joins late or missed versions gets the newest at once).
//         chunk: up to kModelChunkBytes of the model's bytes from `offset`; xxh64 (model_digest,
//         16 hex digits) covers the whole model, checked once the last chunk is in.
//   BEAT host_id report_json           -> OK | STOP | UNKNOWN
//         report_json: a HostReport (below). STOP: the head is stopping: stop the actors
//         (they drain into the writer, which stays up meanwhile), then BYE and exit.
//         UNKNOWN: the hub does not know this host id (HELLO again).
//   BYE host_id report_json            -> OK      (the host's last report: it has stopped)
//   anything else                      -> ERROR message
//
// The hub keeps one file per host, <run_dir>/hosts/host-<id>.json: the host's last report
// with the time of its last contact, read by the supervisor's status line and `zeroplay
// status` (supervisor/hosts_status.h).
//
// Plain functions and values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/run/files.h"
#include "shared/run/names.h"

namespace zp::run {

constexpr uint32_t kActorIdsPerHost = 1u << 16;
constexpr uint32_t kMaxHosts = 60000;            // host ids 1..kMaxHosts
constexpr size_t kModelChunkBytes = 1u << 20;    // model bytes per MODEL reply
constexpr size_t kMaxHubMessageBytes = 4u << 20;  // requests are small; reports are a few KB

// Whether the run has a hub: the writer listens on tcp://.
bool hub_enabled(const config::Config& config);
// tcp://HOST:PORT+2 for a records endpoint tcp://HOST:PORT. Throws ConfigError otherwise, or
// when PORT+2 is past 65535.
std::string hub_endpoint(const std::string& records_endpoint);

// xxh64 of `bytes` as 16 hex digits: the MODEL reply's checksum of the whole model.
std::string model_digest(const std::string& bytes);

// The newest model of one kind as the hub offers it, and the MODEL reply to `request` (the
// frames after the verb's request id: MODEL which have version offset) that offers it.
struct OfferedModel {
  int64_t version = 0;  // 0: none published yet
  std::string bytes;
  std::string digest;   // model_digest(bytes)
};
std::vector<std::string> model_reply(const OfferedModel& m,
                                     const std::vector<std::string>& request);

// What a host reports in each BEAT, and what the hub saves (with last_contact).
struct HostReport {
  int host_id = 0;
  std::string name;
  int actors = 0;              // actors configured
  int actors_alive = 0;        // actors running now
  int64_t positions = 0;       // positions its actors generated (since the host started)
  double positions_per_s = 0;  // over the last report interval
  int64_t model_version = 0;   // the oldest version in use by its actors
  int64_t relayed_version = 0; // the newest version in its store
  int64_t pending = 0;         // records waiting for an acknowledgement
  int64_t acked = 0;           // records acknowledged
  double last_contact = 0;     // unix time of the last request (set by the hub)
  bool stopped = false;        // said BYE
};
std::string host_report_json(const HostReport& r);
// Throws FormatError for anything that is not a report.
HostReport parse_host_report(const std::string& json);

// Every readable RunPaths::host_report file, by host id (a file being replaced or corrupt is
// skipped: these are status only).
std::vector<HostReport> read_host_reports(const RunPaths& paths);

}  // namespace zp::run
