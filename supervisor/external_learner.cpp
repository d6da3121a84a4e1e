#include "supervisor/external_learner.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "shared/core/clock.h"
#include "shared/core/log.h"
#include "shared/core/process.h"
#include "shared/core/signals.h"

namespace zp::supervisor {

namespace {
constexpr double kStopReportS = 3.0;
}

ExternalLearner::ExternalLearner(ipc::Stats& stats, int slot, std::string prefix)
    : stats_(stats), slot_(slot), prefix_(std::move(prefix)) {}

std::string ExternalLearner::launch_hint(const std::string& run_dir, int world_size) {
  return "learner.launch is external: start the " + std::to_string(world_size) +
         " learner rank(s) yourself, rank 0 on this host, e.g. `torchrun --nproc-per-node " +
         std::to_string(world_size) + " --no-python zeroplay learner --run-dir " + run_dir +
         "` (docs/scaling.md); waiting for rank 0";
}

void ExternalLearner::say(const std::string& line) const {
  std::printf("%s %s\n", prefix_.c_str(), line.c_str());
  std::fflush(stdout);
  spdlog::info("{}", line);
}

bool ExternalLearner::watch(double heartbeat_timeout_s, int64_t max_steps) {
  if (pid_ > 0 && !process_alive(pid_)) {
    const int64_t steps = stats_.get(slot_, ipc::kTrainSteps);
    pid_ = 0;
    if (max_steps > 0 && steps >= max_steps && !killed_) {
      say("external learner rank 0 exited at train.max_steps = " + std::to_string(max_steps) +
          "; stopping the run");
      return true;
    }
    say("external learner rank 0 (pid " + std::to_string(last_pid_) + ") exited at step " +
        std::to_string(steps) + "; waiting for its launcher to start it again");
  }
  const int64_t pid = stats_.get(slot_, ipc::kPid);
  if (pid_ == 0 && pid != last_pid_ && process_alive(pid)) {
    pid_ = last_pid_ = pid;
    killed_ = false;
    say("external learner rank 0 attached (pid " + std::to_string(pid) + ")");
  }
  if (pid_ > 0 && !killed_) {
    const double age_s = (now_ns() - stats_.get(slot_, ipc::kHeartbeatNs)) / 1e9;
    if (age_s > heartbeat_timeout_s) {
      say("external learner rank 0 (pid " + std::to_string(pid_) + ") silent for " +
          std::to_string(static_cast<int>(age_s)) + " s; killing it (its launcher restarts it)");
      ::kill(static_cast<pid_t>(pid_), SIGKILL);
      killed_ = true;
    }
  }
  return false;
}

std::string ExternalLearner::status_part() const {
  return pid_ > 0 ? "" : " | learner: external, not attached";
}

void ExternalLearner::stop(double timeout_s, const std::function<void(double)>& waiting) {
  if (pid_ <= 0 || !process_alive(pid_)) return;
  ::kill(static_cast<pid_t>(pid_), SIGTERM);
  Stopwatch sw;
  double next_report = kStopReportS;
  while (process_alive(pid_)) {
    if (stop_signal_count() >= 2 || sw.seconds() > timeout_s) {
      spdlog::warn("external learner rank 0 (pid {}) did not stop in time; killing it", pid_);
      ::kill(static_cast<pid_t>(pid_), SIGKILL);
      break;
    }
    if (waiting && sw.seconds() >= next_report) {
      waiting(timeout_s - sw.seconds());
      next_report = sw.seconds() + kStopReportS;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // pid_ stays: the final status line shows no "not attached" for a learner stopped on purpose.
}

}  // namespace zp::supervisor
