// `zeroplay train` (the supervisor) and `zeroplay status RUN_DIR` (a live status line read
// from a running run's stats block).
#include <cstdio>
#include <memory>
#include <thread>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/run/context.h"
#include "shared/ipc/stats.h"
#include "cli/commands.h"
#include "supervisor/status.h"
#include "supervisor/supervisor.h"

namespace zp::cli {

namespace {

void run_status(const std::string& run_dir, double seconds) {
  const run::RunContext ctx = run::load_run_context(run_dir);
  std::unique_ptr<ipc::Stats> stats;
  try {
    stats = ipc::Stats::open(ctx.names.stats);
  } catch (const IoError&) {
    throw IoError("run " + run_dir + " (id " + ctx.names.run_id +
                  ") is not running: its stats block does not exist");
  }
  const supervisor::Snapshot a = supervisor::take_snapshot(*stats);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const supervisor::Snapshot b = supervisor::take_snapshot(*stats);
  const auto st = supervisor::compute_status(
      a, b, supervisor::run_elapsed_s(b),
      ctx.config.actors.games_per_actor * ctx.config.search.leaves_per_round);
  std::printf("%s\n", supervisor::format_status_line(st).c_str());
  for (int i = 0; i < b.num_actors; ++i) {
    const auto& s = b.slots[ipc::kFirstActorSlot + i];
    std::printf("  actor-%d pid %lld starts %lld model v%lld positions %lld pending %lld "
                "heartbeat %.1fs ago\n",
                i, (long long)s[ipc::kPid], (long long)s[ipc::kStarts],
                (long long)s[ipc::kModelVersion], (long long)s[ipc::kPositions],
                (long long)s[ipc::kRecordsPending], (now_ns() - s[ipc::kHeartbeatNs]) * 1e-9);
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<supervisor::TrainOptions>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Start a training run: writer, learner and actors under one supervisor");
  cmd->add_option("config", o->config_path, "Config file (optional with --resume)");
  cmd->add_option("--run-dir", o->run_dir, "Run directory (default: runs/<game>-<date>-<time>)");
  cmd->add_option("--set", o->overrides, "Override a key: section.key=value (repeatable)");
  cmd->add_flag("--resume", o->resume, "Continue the run in --run-dir from its last checkpoint");
  cmd->callback([o] {
    const int rc = supervisor::run_train(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });

  auto dir = std::make_shared<std::string>();
  auto secs = std::make_shared<double>(1.0);
  CLI::App* status = app.add_subcommand("status", "Print the live status of a running run");
  status->add_option("run_dir", *dir, "Run directory")->required();
  status->add_option("--seconds", *secs, "Measure rates over this many seconds")
      ->check(CLI::PositiveNumber);
  status->callback([dir, secs] { run_status(*dir, *secs); });
}

}  // namespace zp::cli
