// What every role process knows about its run: the run directory, the resolved config saved
// there by the supervisor, and the names of the shared objects.
//
// Run directory layout:
//   config.yaml        the resolved config (written once by the supervisor)
//   run_id             the run id (names of shm objects and sockets carry it)
//   logs/<role>.log    one log per process (actor-0.log, writer.log, ...)
//   shards/            shard-<NNNNNN>.zps and manifest.json (the writer)
//   checkpoints/       model-<version>.zpck, training_state.pt, latest (the learner)
//   metrics.jsonl      status figures as JSON lines (the supervisor, the evaluator)
#pragma once

#include <string>

#include "shared/config/config.h"
#include "shared/ipc/names.h"

namespace zp::ipc {

struct RunContext {
  std::string run_dir;
  config::Config config;
  RunNames names;
  std::string shards_dir() const { return run_dir + "/shards"; }
  std::string checkpoints_dir() const { return run_dir + "/checkpoints"; }
  std::string log_path(const std::string& role) const { return run_dir + "/logs/" + role + ".log"; }
};

// Loads <run_dir>/config.yaml and <run_dir>/run_id. Throws IoError / ConfigError.
RunContext load_run_context(const std::string& run_dir);

}  // namespace zp::ipc
