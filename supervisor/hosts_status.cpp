#include "supervisor/hosts_status.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace zp::supervisor {

namespace {

// Hosts silent for longer than this are left off the status line (`zeroplay status` lists
// every host).
constexpr double kForgetS = 600.0;
constexpr double kSilentS = 10.0;

// Whether `r` is on the status line and in metrics.jsonl: heard from in the last kForgetS.
bool recent(const run::HostReport& r, double now_unix) {
  return now_unix - r.last_contact <= kForgetS;
}

}  // namespace

std::string format_host(const run::HostReport& r, double now_unix) {
  const double ago = std::max(0.0, now_unix - r.last_contact);
  char line[320];
  std::snprintf(line, sizeof(line),
                "host-%d %s: %d/%d actors, %.1f pos/s, model v%lld, pending %lld, %s %.1f s%s",
                r.host_id, r.name.c_str(), r.actors_alive, r.actors, r.positions_per_s,
                static_cast<long long>(r.model_version), static_cast<long long>(r.pending),
                ago > kSilentS && !r.stopped ? "no contact for" : "contact", ago,
                r.stopped ? " ago, stopped" : (ago > kSilentS ? "" : " ago"));
  return line;
}

std::string hosts_status_part(const std::vector<run::HostReport>& reports, double now_unix) {
  std::string out;
  for (const run::HostReport& r : reports) {
    if (!recent(r, now_unix)) continue;
    out += (out.empty() ? " | hosts: " : "; ") + format_host(r, now_unix);
  }
  return out;
}

std::string add_hosts_json(const std::string& status_json,
                           const std::vector<run::HostReport>& reports, double now_unix) {
  nlohmann::json hosts = nlohmann::json::object();
  for (const run::HostReport& r : reports) {
    if (!recent(r, now_unix)) continue;
    const double ago = std::max(0.0, now_unix - r.last_contact);
    hosts["host-" + std::to_string(r.host_id)] = {
        {"name", r.name},
        {"actors", r.actors},
        {"actors_alive", r.actors_alive},
        {"positions", r.positions},
        {"positions_per_s", r.positions_per_s},
        {"model_version", r.model_version},
        {"relayed_version", r.relayed_version},
        {"pending", r.pending},
        {"acked", r.acked},
        {"contact_age_s", ago},
        {"stopped", r.stopped ? 1 : 0}};
  }
  if (hosts.empty()) return status_json;
  nlohmann::json line = nlohmann::json::parse(status_json);
  line["hosts"] = std::move(hosts);
  return line.dump();
}

}  // namespace zp::supervisor
