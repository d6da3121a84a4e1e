// The one start-up path of every role process (writer, learner, evaluator, actor-N):
//
//   return run::run_role(run_dir, "learner", ipc::kLearnerSlot, [](run::Role& role) {
//     ...  // role.ctx(), role.stats(), role.beat()
//   });
//
// run_role, in order: loads the run context; opens logs/<name>.log and logs the resolved
// config once; installs the stop handlers; claims the stats slot (records the pid) and beats
// the heartbeat once. Then it calls the body. An exception that escapes (from start-up or
// the body) is written to the role's own log as "fatal: ..." before it propagates, so that
// main() prints it and picks the exit code; when the log could not be opened yet, only
// stderr (logs/<name>.out under the supervisor) has it.
//
// The body keeps beating (role.beat()) from its own loop: a hung loop must stop the
// heartbeat so that the supervisor notices.
//
// Not thread-safe: one Role per process, used from the main thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "shared/ipc/stats.h"
#include "shared/run/context.h"

namespace zp::run {

class Role {
 public:
  Role(RunContext ctx, std::string name, int slot, std::unique_ptr<ipc::Stats> stats);

  const RunContext& ctx() const { return ctx_; }
  const config::Config& config() const { return ctx_.config; }
  const std::string& name() const { return name_; }
  int slot() const { return slot_; }
  // Precondition for stats(): slot() >= 0. beat() does nothing without a slot.
  ipc::Stats& stats() { return *stats_; }
  void beat() {
    if (stats_) stats_->heartbeat(slot_);
  }
  // For the roles that hold a CURVE gate (the writer, the hub): logs one warning for the
  // connection attempts refused since the last call (`refused` so far, the last one from
  // `last_address`) and publishes the total as this role's kPeersRefused. Nothing when no
  // new one was refused. Precondition: slot() >= 0.
  void report_refused_peers(uint64_t refused, const std::string& last_address);

 private:
  RunContext ctx_;
  std::string name_;
  int slot_;
  std::unique_ptr<ipc::Stats> stats_;
  uint64_t refused_reported_ = 0;  // report_refused_peers' total at its last warning
};

// `slot` < 0: no stats slot (the stats block is not even opened); for learner ranks > 0.
int run_role(const std::string& run_dir, const std::string& name, int slot,
             const std::function<int(Role&)>& body);

}  // namespace zp::run
