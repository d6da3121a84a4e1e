// `zeroplay train` (the supervisor) and `zeroplay status RUN_DIR` (a live status line read
// from a running run's stats block, then one line per process: pid, starts, resident memory,
// heartbeat age; the actors also their model version, positions and pending records).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/run/context.h"
#include "shared/ipc/stats.h"
#include "cli/commands.h"
#include "shared/run/hub.h"
#include "supervisor/hosts_status.h"
#include "supervisor/status.h"
#include "supervisor/supervisor.h"

namespace zp::cli {

namespace {

// "rss 412 MiB (anon 60)", or "rss -" when the process has not published it.
std::string rss_text(const std::vector<int64_t>& s) {
  auto mib = [](int64_t b) { return std::to_string(std::llround(b / 1048576.0)); };
  if (s[ipc::kResidentBytes] <= 0) return "rss -";
  return "rss " + mib(s[ipc::kResidentBytes]) + " MiB (anon " + mib(s[ipc::kAnonBytes]) +
         ")";
}

// One line per role process that holds a slot (a pid), the actors last.
void print_processes(const supervisor::Snapshot& b) {
  const std::pair<int, std::string> roles[] = {{ipc::kSupervisorSlot, "supervisor"},
                                               {ipc::kWriterSlot, "writer"},
                                               {ipc::kLearnerSlot, "learner"},
                                               {ipc::kEvaluatorSlot, "evaluator"},
                                               {ipc::kHubSlot, "hub"}};
  auto beat_age = [](const std::vector<int64_t>& s) {
    return s[ipc::kHeartbeatNs] > 0 ? (now_ns() - s[ipc::kHeartbeatNs]) * 1e-9 : -1.0;
  };
  for (const auto& [slot, name] : roles) {
    const auto& s = b.slots[slot];
    if (s[ipc::kPid] <= 0) continue;
    std::printf("  %s pid %lld", name.c_str(), (long long)s[ipc::kPid]);
    // The supervisor is never restarted, and beats only to publish its memory.
    if (slot != ipc::kSupervisorSlot) std::printf(" starts %lld", (long long)s[ipc::kStarts]);
    std::printf(" %s", rss_text(s).c_str());
    if (slot != ipc::kSupervisorSlot) std::printf(" heartbeat %.1fs ago", beat_age(s));
    std::printf("\n");
  }
  for (int d = 0; d < ipc::kMaxServers; ++d) {
    const auto& s = b.slots[ipc::kFirstServerSlot + d];
    if (s[ipc::kPid] <= 0) continue;
    std::printf("  server-%d pid %lld starts %lld %s heartbeat %.1fs ago\n", d,
                (long long)s[ipc::kPid], (long long)s[ipc::kStarts],
                rss_text(s).c_str(), beat_age(s));
  }
  for (int i = 0; i < b.num_actors; ++i) {
    const auto& s = b.slots[ipc::kFirstActorSlot + i];
    std::printf("  actor-%d pid %lld starts %lld model v%lld positions %lld pending %lld %s "
                "heartbeat %.1fs ago\n",
                i, (long long)s[ipc::kPid], (long long)s[ipc::kStarts],
                (long long)s[ipc::kModelVersion], (long long)s[ipc::kPositions],
                (long long)s[ipc::kRecordsPending], rss_text(s).c_str(),
                beat_age(s));
  }
}

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
  print_processes(b);
  // Joined hosts (zeroplay join), from the hub's reports.
  for (const run::HostReport& r : run::read_host_reports(ctx.paths()))
    std::printf("  %s\n", supervisor::format_host(r, unix_time_s()).c_str());
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
