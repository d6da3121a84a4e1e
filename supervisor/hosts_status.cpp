#include "supervisor/hosts_status.h"

#include <algorithm>
#include <cstdio>

namespace zp::supervisor {

namespace {

// Hosts silent for longer than this are left off the status line (`zeroplay status` lists
// every host).
constexpr double kForgetS = 600.0;
constexpr double kSilentS = 10.0;

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

std::string hosts_status_part(const run::RunPaths& paths, double now_unix) {
  std::string out;
  for (const run::HostReport& r : run::read_host_reports(paths)) {
    if (now_unix - r.last_contact > kForgetS) continue;
    out += (out.empty() ? " | hosts: " : "; ") + format_host(r, now_unix);
  }
  return out;
}

}  // namespace zp::supervisor
