#include "hub/hub.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "shared/core/log.h"
#include "shared/core/parse.h"
#include "shared/core/signals.h"
#include "shared/ipc/curve_keys.h"
#include "shared/ipc/model_store.h"
#include "shared/ipc/request.h"
#include "shared/run/hub.h"
#include "shared/run/role.h"

namespace zp::hub {

namespace {

// A host counts as in contact (the hub waits for it to drain) if heard from this recently.
constexpr double kContactS = 10.0;

class Hub {
 public:
  explicit Hub(run::Role& role)
      : role_(role),
        paths_(role.ctx().paths()),
        store_(ipc::ModelStore::open(role.ctx().names.models)) {}
  int run();

 private:
  void load_hosts();
  ipc::Frames handle(const ipc::Frames& request);
  ipc::Frames hello(const ipc::Frames& request);
  ipc::Frames model(const ipc::Frames& request);
  ipc::Frames beat(const ipc::Frames& request, bool bye);
  void save(const run::HostReport& r);
  bool hosts_in_contact() const;
  void log_refused();

  run::Role& role_;
  const run::RunPaths paths_;
  std::unique_ptr<ipc::ModelStore> store_;
  std::unique_ptr<ipc::RequestServer> server_;
  std::map<int, run::HostReport> hosts_;  // by host id
  int next_id_ = 1;
  run::OfferedModel latest_, best_;  // read once per version from the store
  bool stopping_ = false;
};

// Hosts known from an earlier incarnation of the hub (the head was restarted): their ids
// stay taken, so a host that comes back keeps its actor ids and a new one gets a fresh range.
void Hub::load_hosts() {
  for (run::HostReport& r : run::read_host_reports(paths_)) {
    next_id_ = std::max(next_id_, r.host_id + 1);
    hosts_[r.host_id] = std::move(r);
  }
}

void Hub::save(const run::HostReport& r) {
  write_file_atomic(paths_.host_report(r.host_id), run::host_report_json(r) + "\n");
}

ipc::Frames Hub::handle(const ipc::Frames& request) {
  const std::string& verb = request.empty() ? std::string() : request[0];
  if (verb == "HELLO" && request.size() == 4) return hello(request);
  if (verb == "MODEL" && request.size() == 5) return model(request);
  if (verb == "BEAT" && request.size() == 3) return beat(request, false);
  if (verb == "BYE" && request.size() == 3) return beat(request, true);
  return {"ERROR", "unknown request '" + verb.substr(0, 16) + "'"};
}

ipc::Frames Hub::hello(const ipc::Frames& request) {
  const auto actors = parse_uint(request[2]);
  const auto wanted = parse_uint(request[3]);
  if (!actors || *actors < 1 || *actors > static_cast<uint64_t>(ipc::kMaxActors))
    return {"ERROR", "actors must be 1.." + std::to_string(ipc::kMaxActors)};
  if (!wanted || *wanted > run::kMaxHosts) return {"ERROR", "bad host id"};
  int id = static_cast<int>(*wanted);
  if (id == 0) {
    if (next_id_ > static_cast<int>(run::kMaxHosts)) return {"ERROR", "too many hosts"};
    id = next_id_++;
  }
  next_id_ = std::max(next_id_, id + 1);
  run::HostReport& r = hosts_[id];
  r.host_id = id;
  r.name = request[1].substr(0, 64);
  r.actors = static_cast<int>(*actors);
  r.last_contact = unix_time_s();
  r.stopped = false;
  save(r);
  const uint32_t base = static_cast<uint32_t>(id) * run::kActorIdsPerHost;
  spdlog::info("host {} ({}) joined: {} actors, actor ids {}..{}", id, r.name, r.actors, base,
               base + r.actors - 1);
  return {"WELCOME", std::to_string(id), std::to_string(base), role_.ctx().names.run_id,
          config::to_yaml(role_.config())};
}

ipc::Frames Hub::model(const ipc::Frames& request) {
  const bool best = request[1] == "best";
  run::OfferedModel& m = best ? best_ : latest_;
  const int64_t published = best ? store_->best_version() : store_->latest_version();
  if (published > m.version) {
    m.version = best ? store_->read_best(&m.bytes) : store_->read_latest(&m.bytes);
    m.digest = run::model_digest(m.bytes);
  }
  return run::model_reply(m, request);
}

// BEAT and BYE: the host's report saved with the time of contact.
ipc::Frames Hub::beat(const ipc::Frames& request, bool bye) {
  const auto id = parse_uint(request[1]);
  auto it = id ? hosts_.find(static_cast<int>(*id)) : hosts_.end();
  if (it == hosts_.end()) return {"UNKNOWN"};
  run::HostReport& r = it->second;
  try {
    run::HostReport got = run::parse_host_report(request[2]);
    got.host_id = r.host_id;
    r = std::move(got);
  } catch (const FormatError& e) {
    return {"ERROR", e.what()};
  }
  r.last_contact = unix_time_s();
  r.stopped = bye;
  save(r);
  if (bye) spdlog::info("host {} ({}) stopped: {} records acknowledged, {} pending", r.host_id,
                        r.name, r.acked, r.pending);
  return {stopping_ && !bye ? "STOP" : "OK"};
}

bool Hub::hosts_in_contact() const {
  const double now = unix_time_s();
  for (const auto& [id, r] : hosts_)
    if (!r.stopped && now - r.last_contact < kContactS) return true;
  return false;
}

// Peers the CURVE handshake refused since the last report, as the writer logs them.
void Hub::log_refused() {
  role_.report_refused_peers(server_->refused_peers(), server_->last_refused_address());
}

int Hub::run() {
  std::error_code ec;
  std::filesystem::create_directories(paths_.hosts_dir(), ec);
  if (ec) throw IoError("cannot create " + paths_.hosts_dir() + ": " + ec.message());
  load_hosts();
  const run::RunNames& names = role_.ctx().names;
  ipc::CurveServerKeys keys;
  if (ipc::curve_required(names.records, role_.config().writer.insecure))
    keys = ipc::load_server_keys(paths_.keys_dir());
  const std::string endpoint = run::hub_endpoint(names.records);
  server_ = std::make_unique<ipc::RequestServer>(endpoint, run::kMaxHubMessageBytes, keys);
  spdlog::info("hub listening on {} ({}); {} hosts known", endpoint,
               keys.enabled() ? "CURVE" : "no CURVE", hosts_.size());
  // The supervisor that started us: when it dies (killed, crashed) the kernel sends us SIGTERM
  // (PR_SET_PDEATHSIG) and the run is not stopping on purpose, so the hosts are not told to
  // stop: they wait for the head to come back (train --resume).
  const pid_t parent = ::getppid();
  Stopwatch stopping;
  Stopwatch since_log;
  const double drain_s = role_.config().writer.shard_seconds + 15.0;
  for (;;) {
    if (!stopping_ && stop_requested()) {
      if (::getppid() != parent) {
        spdlog::info("the supervisor is gone; the hosts wait for the head to come back");
        break;
      }
      stopping_ = true;
      stopping.reset();
      spdlog::info("stopping: telling the hosts in contact to drain and stop");
    }
    if (stopping_ && (!hosts_in_contact() || stopping.seconds() > drain_s)) break;
    std::string peer;
    ipc::Frames request;
    if (server_->receive(&peer, &request, 100)) server_->reply(peer, handle(request));
    role_.beat();
    if (since_log.seconds() >= 1.0) {
      since_log.reset();
      log_refused();
    }
  }
  log_refused();
  spdlog::info("hub stopped{}", hosts_in_contact() ? " (some hosts still draining)" : "");
  return 0;
}

}  // namespace

int run_hub(const std::string& run_dir) {
  return run::run_role(run_dir, "hub", ipc::kHubSlot, [](run::Role& role) {
    Hub hub(role);
    return hub.run();
  });
}

}  // namespace zp::hub
