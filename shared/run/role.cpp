#include "shared/run/role.h"

#include <unistd.h>

#include <exception>
#include <filesystem>
#include <optional>
#include <system_error>

#include "shared/core/log.h"
#include "shared/core/signals.h"

namespace zp::run {

Role::Role(RunContext ctx, std::string name, int slot, std::unique_ptr<ipc::Stats> stats)
    : ctx_(std::move(ctx)), name_(std::move(name)), slot_(slot), stats_(std::move(stats)) {}

int run_role(const std::string& run_dir, const std::string& name, int slot,
             const std::function<int(Role&)>& body) {
  bool logging = false;
  try {
    RunContext ctx = load_run_context(run_dir);
    const RunPaths paths = ctx.paths();
    std::error_code ec;
    std::filesystem::create_directories(paths.logs_dir(), ec);
    init_logging(name, paths.log(name));
    logging = true;
    spdlog::info("{} starting for run {} in {} (pid {}); resolved config ({}):\n{}", name,
                 ctx.names.run_id, ctx.run_dir, ::getpid(), ctx.config.source,
                 config::to_yaml(ctx.config));
    install_stop_handlers();
    // slot < 0: a process without a stats slot (a learner rank > 0), which may run on a host
    // without the run's shared memory.
    std::unique_ptr<ipc::Stats> stats;
    if (slot >= 0) {
      stats = ipc::Stats::open(ctx.names.stats);
      stats->set(slot, ipc::kPid, ::getpid());
    }
    Role role(std::move(ctx), name, slot, std::move(stats));
    role.beat();
    return body(role);
  } catch (const std::exception& e) {
    if (logging) {
      spdlog::critical("fatal: {}", e.what());
      spdlog::default_logger()->flush();
    }
    throw;
  }
}

void Role::report_refused_peers(uint64_t refused, const std::string& last_address) {
  if (refused == refused_reported_) return;
  spdlog::warn("refused {} connection attempts without an authorized CURVE key (last: {}); "
               "{} in all", refused - refused_reported_, last_address, refused);
  refused_reported_ = refused;
  stats_->set(slot_, ipc::kPeersRefused, static_cast<int64_t>(refused));
}

}  // namespace zp::run
