#include "supervisor/run_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "shared/core/signals.h"
#include "shared/core/log.h"
#include "shared/ipc/curve_keys.h"
#include "shared/model/network_backend.h"

namespace fs = std::filesystem;

namespace zp::supervisor {

namespace {

// What roles are exec'd from: the parent's own running image. A path (what readlink gave at
// start) would run whatever a rebuild put there since, or fail once the file is gone;
// /proc/self/exe in the forked child still names the image the parent runs.
constexpr const char* kSelfExe = "/proc/self/exe";

}  // namespace

size_t model_slot_bytes(const game::Game& game, const config::ModelConfig& model) {
  const size_t bytes = model::network_attributes(game, model).checkpoint_bytes;
  return bytes + bytes / 8 + (64u << 10);
}

void create_run_dirs(const run::RunPaths& paths) {
  for (const std::string& dir :
       {paths.dir, paths.logs_dir(), paths.shards_dir(), paths.checkpoints_dir()}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IoError("cannot create " + dir + ": " + ec.message());
  }
  // Only the run's owner may enter it (sockets, keys, shards), whatever the umask.
  if (::chmod(paths.dir.c_str(), 0700) != 0)
    throw IoError("cannot chmod " + paths.dir + ": " + std::strerror(errno));
}

run::RunNames write_run_identity(const std::string& run_dir, const config::Config& config) {
  const run::RunPaths paths(run_dir);
  write_file_atomic(paths.config(), config::to_yaml(config));
  run::RunNames names = run::RunNames::make(run::new_run_id(), run_dir, config.writer.endpoint);
  write_file_atomic(paths.run_id(), names.run_id + "\n");
  if (ipc::curve_required(names.records, config.writer.insecure) &&
      ipc::ensure_curve_keys(paths.keys_dir()))
    spdlog::info("made the run's CURVE keys in {}", paths.keys_dir());
  return names;
}

RunObjects create_run_objects(const run::RunNames& names, const config::Config& config,
                              const game::Game& game) {
  RunObjects objects;
  objects.stats = ipc::Stats::create(names.stats, config.actors.count);
  objects.stats->set(ipc::kSupervisorSlot, ipc::kPid, getpid());
  objects.store = ipc::ModelStore::create(names.models, model_slot_bytes(game, config.model));
  return objects;
}

void remove_run_objects(const run::RunNames& names) {
  ipc::Stats::remove(names.stats);
  ipc::ModelStore::remove(names.models);
}

pid_t spawn_role(const std::vector<std::string>& args, const std::string& out_path) {
  std::vector<std::string> argv_s{"zeroplay"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw IoError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: die with the parent, keep out of the terminal's Ctrl-C, and send stdout/stderr
    // to the role's .out file.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    setpgid(0, 0);
    reset_stop_handlers();
    const int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    execv(kSelfExe, argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace zp::supervisor
