#include "shared/run/names.h"

#include <optional>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <set>

#include "shared/core/error.h"
#include "shared/core/parse.h"
#include "shared/core/process.h"
#include "shared/ipc/infer_slots.h"
#include "shared/ipc/model_store.h"
#include "shared/ipc/stats.h"

namespace zp::run {

namespace {

// An object this young that we cannot judge (unreadable, or no pid recorded yet) may belong
// to a supervisor that is creating it right now; leave it for a later cleanup.
constexpr time_t kGraceSeconds = 30;

// "ipc://<path>", once the path is known to fit sockaddr_un::sun_path (with its NUL).
std::string ipc_endpoint(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path))
    throw ConfigError("socket path " + path + " is longer than " +
                      std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                      " characters; use a shorter run directory or writer.endpoint: tcp://...");
  return "ipc://" + path;
}

std::string ipc_endpoint(const std::string& dir, const char* file) {
  return ipc_endpoint(dir + "/" + file);
}

// True when /dev/shm/<name> was modified less than kGraceSeconds ago.
bool recently_touched(const std::string& name) {
  struct stat st;
  if (::stat(("/dev/shm/" + name).c_str(), &st) != 0) return false;
  return std::time(nullptr) - st.st_mtime < kGraceSeconds;
}

}  // namespace

RunNames RunNames::make(const std::string& run_id, const std::string& run_dir,
                        const std::string& writer_endpoint) {
  if (run_id.empty()) throw ConfigError("empty run id");
  RunNames n;
  n.run_id = run_id;
  n.stats = "zp-" + run_id + "-stats";
  n.models = "zp-" + run_id + "-models";
  // Absolute, so that every process finds the same files whatever its working directory.
  std::string dir = std::filesystem::absolute(run_dir).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  n.gpu_lock_dir = dir;
  if (writer_endpoint.empty()) {
    n.records = ipc_endpoint(dir, "records.sock");
    n.acks = ipc_endpoint(dir, "acks.sock");
    return n;
  }
  const std::string ipc = "ipc://";
  if (writer_endpoint.compare(0, ipc.size(), ipc) == 0 && writer_endpoint.size() > ipc.size()) {
    // ipc://PATH: records on PATH, acknowledgements on PATH.acks (a relative PATH is taken
    // from the run directory, so every process finds the same socket).
    const std::filesystem::path path(writer_endpoint.substr(ipc.size()));
    const std::string abs = (path.is_absolute() ? path : std::filesystem::path(dir) / path)
                                .lexically_normal().string();
    n.records = ipc_endpoint(abs);
    n.acks = ipc_endpoint(abs + ".acks");
    return n;
  }
  const std::string bad = "writer.endpoint '" + writer_endpoint +
                          "' is not empty, ipc://PATH or tcp://host:port (port 1..65534)";
  const std::string scheme = "tcp://";
  if (writer_endpoint.compare(0, scheme.size(), scheme) != 0) throw ConfigError(bad);
  const size_t colon = writer_endpoint.rfind(':');
  if (colon == std::string::npos || colon <= scheme.size()) throw ConfigError(bad);
  const std::string host = writer_endpoint.substr(scheme.size(), colon - scheme.size());
  const std::string port_text = writer_endpoint.substr(colon + 1);
  const uint64_t port = parse_uint(port_text).value_or(0);
  if (port < 1 || port > 65534) throw ConfigError(bad);
  n.records = scheme + host + ":" + std::to_string(port);
  n.acks = scheme + host + ":" + std::to_string(port + 1);
  return n;
}

std::string RunNames::gpu_lock_path(int device) const {
  return gpu_lock_dir + "/gpu" + std::to_string(device) + ".lock";
}

std::string RunNames::gpu_lock_path(const std::string& device) const {
  const int index = device.rfind("cuda:", 0) == 0 ? parse_int(device.substr(5)).value_or(0) : 0;
  return gpu_lock_path(static_cast<int>(index));
}

std::string RunNames::infer_slots(int device) const {
  return "zp-" + run_id + "-infer" + std::to_string(device);
}

std::string new_run_id() {
  std::random_device rd;  // /dev/urandom on Linux
  const uint32_t v = rd();
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

std::vector<std::string> remove_stale_objects() { return remove_stale_objects(""); }

std::vector<std::string> remove_stale_objects(const std::string& id_prefix) {
  // Collect the run ids of "zp-<id>-stats" and "zp-<id>-models" objects.
  std::set<std::string> stats_ids, model_ids;
  std::set<std::string> infer_names;  // "zp-<id>-infer<d>", removed with their run
  if (DIR* d = ::opendir("/dev/shm")) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.rfind("zp-" + id_prefix, 0) != 0) continue;
      if (name.find("-infer", 3) != std::string::npos) infer_names.insert(name);
      for (const char* suffix : {"-stats", "-models"}) {
        const std::string s = suffix;
        if (name.size() > 3 + s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
          const std::string id = name.substr(3, name.size() - 3 - s.size());
          (s == "-stats" ? stats_ids : model_ids).insert(id);
        }
      }
    }
    ::closedir(d);
  }

  std::vector<std::string> removed;
  auto remove_run = [&](const std::string& id) {
    const std::string stats = "zp-" + id + "-stats", models = "zp-" + id + "-models";
    // remove() reports nothing; check that the object is really gone (others' objects in the
    // sticky /dev/shm cannot be removed by us, and are not reported).
    struct stat st;
    if (stats_ids.count(id)) {
      ipc::Stats::remove(stats);
      if (::stat(("/dev/shm/" + stats).c_str(), &st) != 0) removed.push_back(stats);
    }
    if (model_ids.count(id)) {
      ipc::ModelStore::remove(models);
      if (::stat(("/dev/shm/" + models).c_str(), &st) != 0) removed.push_back(models);
    }
    for (const std::string& infer : infer_names) {
      if (infer.rfind("zp-" + id + "-infer", 0) != 0) continue;
      ipc::InferSlots::remove(infer);
      if (::stat(("/dev/shm/" + infer).c_str(), &st) != 0) removed.push_back(infer);
    }
  };

  for (const std::string& id : stats_ids) {
    const std::string name = "zp-" + id + "-stats";
    int64_t pid = 0;
    try {
      pid = ipc::Stats::open(name)->get(ipc::kSupervisorSlot, ipc::kPid);
    } catch (const Error&) {
      pid = -1;  // unreadable
    }
    if (pid > 0) {
      if (!process_alive(pid)) remove_run(id);
    } else if (!recently_touched(name)) {
      remove_run(id);  // unreadable, or no supervisor pid ever recorded
    }
  }
  for (const std::string& id : model_ids)
    if (!stats_ids.count(id) && !recently_touched("zp-" + id + "-models")) remove_run(id);
  return removed;
}

}  // namespace zp::run
