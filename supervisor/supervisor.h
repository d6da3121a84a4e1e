// The supervisor of `zeroplay train`: owns the run directory and the shared objects, spawns
// the role processes (fork + exec of this binary; no CUDA is touched before exec), restarts
// crashed or hung ones with backoff, prints the status line, and shuts everything down in
// order on SIGINT/SIGTERM or when the run's limits are reached.
#pragma once

#include <string>
#include <vector>

namespace zp::supervisor {

struct TrainOptions {
  std::string config_path;              // may be empty with --resume (use the saved config)
  std::string run_dir;                  // empty: runs/<game>-<date>-<time>
  std::vector<std::string> overrides;   // --set section.key=value
  bool resume = false;
};

// Runs a training run to completion. Returns the process exit code (0 on a clean stop).
int run_train(const TrainOptions& options);

}  // namespace zp::supervisor
