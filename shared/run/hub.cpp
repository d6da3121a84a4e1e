#include "shared/run/hub.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "shared/core/parse.h"

namespace zp::run {

namespace fs = std::filesystem;

bool hub_enabled(const config::Config& config) {
  return config.writer.endpoint.rfind("tcp://", 0) == 0;
}

std::string hub_endpoint(const std::string& records_endpoint) {
  const std::string scheme = "tcp://";
  const size_t colon = records_endpoint.rfind(':');
  if (records_endpoint.rfind(scheme, 0) != 0 || colon == std::string::npos ||
      colon <= scheme.size())
    throw ConfigError("'" + records_endpoint + "' is not tcp://HOST:PORT");
  const uint64_t port = parse_uint(records_endpoint.substr(colon + 1)).value_or(0);
  if (port < 1 || port + 2 > 65535)
    throw ConfigError("'" + records_endpoint + "': the hub listens on PORT+2, so PORT must be "
                      "1..65533");
  return records_endpoint.substr(0, colon + 1) + std::to_string(port + 2);
}

std::string model_digest(const std::string& bytes) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(XXH64(bytes.data(), bytes.size(), 0)));
  return hex;
}

std::vector<std::string> model_reply(const OfferedModel& m,
                                     const std::vector<std::string>& request) {
  const int64_t have = request.size() > 2 ? parse_int(request[2]).value_or(0) : 0;
  const int64_t version = request.size() > 3 ? parse_int(request[3]).value_or(0) : 0;
  uint64_t offset = request.size() > 4 ? parse_uint(request[4]).value_or(0) : 0;
  if (version != m.version) offset = 0;  // a newer one: start over
  std::string chunk;
  if (m.version > have && offset < m.bytes.size())
    chunk = m.bytes.substr(offset, kModelChunkBytes);
  return {"MODEL", std::to_string(m.version), std::to_string(m.bytes.size()), m.digest,
          std::to_string(offset), std::move(chunk)};
}

std::string host_report_json(const HostReport& r) {
  nlohmann::ordered_json j;
  j["host_id"] = r.host_id;
  j["name"] = r.name;
  j["actors"] = r.actors;
  j["actors_alive"] = r.actors_alive;
  j["positions"] = r.positions;
  j["positions_per_s"] = r.positions_per_s;
  j["model_version"] = r.model_version;
  j["relayed_version"] = r.relayed_version;
  j["pending"] = r.pending;
  j["acked"] = r.acked;
  j["last_contact"] = r.last_contact;
  j["stopped"] = r.stopped;
  return j.dump();
}

HostReport parse_host_report(const std::string& json) {
  HostReport r;
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    r.host_id = j.at("host_id").get<int>();
    r.name = j.at("name").get<std::string>();
    r.actors = j.at("actors").get<int>();
    r.actors_alive = j.at("actors_alive").get<int>();
    r.positions = j.at("positions").get<int64_t>();
    r.positions_per_s = j.at("positions_per_s").get<double>();
    r.model_version = j.at("model_version").get<int64_t>();
    r.relayed_version = j.value("relayed_version", int64_t{0});
    r.pending = j.at("pending").get<int64_t>();
    r.acked = j.value("acked", int64_t{0});
    r.last_contact = j.value("last_contact", 0.0);
    r.stopped = j.value("stopped", false);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("not a host report: ") + e.what());
  }
  // A name goes into status lines: printable, short.
  if (r.name.size() > 64) r.name.resize(64);
  for (char& c : r.name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return r;
}

std::vector<HostReport> read_host_reports(const RunPaths& paths) {
  std::vector<HostReport> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(paths.hosts_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("host-", 0) != 0 || entry.path().extension() != ".json") continue;
    try {
      out.push_back(parse_host_report(read_file(entry.path().string())));
    } catch (const Error&) {
      continue;  // being replaced, or not ours: status only
    }
  }
  std::sort(out.begin(), out.end(),
            [](const HostReport& a, const HostReport& b) { return a.host_id < b.host_id; });
  return out;
}

}  // namespace zp::run
