// learner.launch: external. The learner ranks belong to another launcher (torchrun, srun, a
// script): `zeroplay train` spawns none of them. Rank 0 runs on the head's host and claims the
// learner's stats slot (its pid, its heartbeat), and that is all the supervisor knows of it.
// ExternalLearner stands in for the learner's ProcessTable entries:
//   - watch() notices rank 0 attach (a live pid in the slot), exit, and go silent: a rank 0
//     whose heartbeat is older than the timeout is killed (SIGKILL), as a hung child would be,
//     and its launcher restarts it (torchrun --max-restarts, srun --kill-on-bad-exit...);
//   - the run ends when rank 0 exits after train.max_steps, as with a spawned learner;
//   - stop() ends rank 0 at the end of the run: SIGTERM, then SIGKILL after a timeout; rank 0
//     stops the other ranks (learner.h).
// Each event is one stdout line with the caller's prefix, and a line in the supervisor's log.
//
// Not thread-safe: one per supervisor, used from its loop.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "shared/ipc/stats.h"

namespace zp::supervisor {

class ExternalLearner {
 public:
  ExternalLearner(ipc::Stats& stats, int slot, std::string prefix);

  // The line printed when the run starts: what to launch, and where.
  static std::string launch_hint(const std::string& run_dir, int world_size);

  // Every supervisor loop. Returns true once rank 0 has exited after reaching `max_steps`
  // (> 0): the run is over.
  bool watch(double heartbeat_timeout_s, int64_t max_steps);
  // Whether a live rank 0 is attached now.
  bool attached() const { return pid_ > 0; }
  // " | learner: external, not attached" while none is; "" otherwise.
  std::string status_part() const;
  // SIGTERM to rank 0, then up to `timeout_s` for it to exit (SIGKILL after that, or at a
  // second stop signal); `waiting(kill_in_s)` every few seconds meanwhile.
  void stop(double timeout_s, const std::function<void(double)>& waiting = nullptr);

 private:
  void say(const std::string& line) const;

  ipc::Stats& stats_;
  const int slot_;
  const std::string prefix_;
  int64_t pid_ = 0;             // the attached rank 0, 0 = none
  int64_t last_pid_ = 0;        // the last one seen (an exited pid is not attached again)
  bool killed_ = false;         // pid_ was sent SIGKILL for silence
};

}  // namespace zp::supervisor
