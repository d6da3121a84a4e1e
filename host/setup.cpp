#include "host/setup.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "shared/ipc/curve_keys.h"
#include "shared/ipc/stats.h"
#include "shared/model/device.h"
#include "shared/run/files.h"
#include "shared/run/hub.h"

namespace fs = std::filesystem;

namespace zp::host {

namespace {

std::string default_run_dir() {
  char stamp[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&t));
  return std::string("runs/join-") + stamp;
}

std::string host_name() {
  char name[256] = {0};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "host";
  return name;
}

// A host name that does not exist is a typo, not a head that is down: one error. A resolver
// that cannot answer now (no network yet) is left to the "waiting for head" loop.
void check_resolves(const std::string& endpoint) {
  const size_t colon = endpoint.rfind(':');
  std::string host = endpoint.substr(6, colon - 6);  // after "tcp://"
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (found) ::freeaddrinfo(found);
  if (rc == EAI_NONAME)
    throw ConfigError("join: cannot resolve the head's host '" + host + "' (ENDPOINT " +
                      endpoint + ")");
}

}  // namespace

JoinOptions checked_options(JoinOptions o) {
  // hub_endpoint names the problem; the join's own words come first.
  try {
    run::hub_endpoint(o.endpoint);
  } catch (const ConfigError& e) {
    throw ConfigError("join: ENDPOINT must be the head's writer.endpoint as tcp://HOST:PORT "
                      "(got '" + o.endpoint + "'): " + e.what());
  }
  check_resolves(o.endpoint);
  if (o.actors < 1 || o.actors > ipc::kMaxActors)
    throw ConfigError("join: --actors must be 1.." + std::to_string(ipc::kMaxActors) +
                      ", got " + std::to_string(o.actors));
  // Each device must be well formed and exist on this host: one line now, not actors that
  // crash until the host gives up.
  for (const std::string& device : config::split_device_list(o.devices)) {
    if (device.empty() || device == "auto")
      throw ConfigError("join: --devices must list cpu, cuda or cuda:N, got '" + o.devices +
                        "'");
    model::resolve_device(device, "join: --devices");
  }
  // A missing or unreadable key file is one error naming it, before anything is made.
  ipc::load_client_keys(o.keys_dir);
  if (o.run_dir.empty()) o.run_dir = default_run_dir();
  if (o.name.empty()) o.name = host_name();
  return o;
}

void prepare_host_dir(const JoinOptions& o) {
  std::error_code ec;
  if (fs::exists(o.run_dir, ec) && !fs::is_empty(o.run_dir, ec))
    throw ConfigError("join: run directory " + o.run_dir + " is not empty; pick another "
                      "--run-dir");
  const run::RunPaths paths(o.run_dir);
  for (const std::string& dir : {paths.dir, paths.logs_dir(), paths.keys_dir()}) {
    fs::create_directories(dir, ec);
    if (ec) throw IoError("cannot create " + dir + ": " + ec.message());
    if (::chmod(dir.c_str(), 0700) != 0)
      throw IoError("cannot chmod " + dir + ": " + std::strerror(errno));
  }
  for (const char* name : {"writer.public", "actor.public", "actor.secret"}) {
    const std::string to = paths.keys_dir() + "/" + name;
    write_file_atomic(to, read_file(o.keys_dir + "/" + name));
    if (::chmod(to.c_str(), std::strstr(name, "secret") ? 0600 : 0644) != 0)
      throw IoError("cannot chmod " + to + ": " + std::strerror(errno));
  }
}

config::Config host_config(const std::string& head_yaml, const JoinOptions& o) {
  std::vector<std::string> overrides{"writer.endpoint=" + o.endpoint,
                                     "actors.count=" + std::to_string(o.actors)};
  // --devices spreads this host's actors round robin (actors.devices); the first one is also
  // its model.device (an inference server's, in server mode).
  if (!o.devices.empty()) {
    const std::vector<std::string> devices = config::split_device_list(o.devices);
    overrides.push_back("actors.devices=" + o.devices);
    if (!devices.empty()) overrides.push_back("model.device=" + devices.front());
  }
  return config::load_config_string(head_yaml, "the head's config", overrides);
}

}  // namespace zp::host
