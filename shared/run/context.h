// What every role process knows about its run: the run directory, the resolved config saved
// there by the supervisor, and the names of the shared objects. File names inside the run
// directory: shared/run/files.h.
#pragma once

#include <string>

#include "shared/config/config.h"
#include "shared/run/files.h"
#include "shared/run/names.h"

namespace zp::run {

struct RunContext {
  std::string run_dir;
  config::Config config;
  RunNames names;
  RunPaths paths() const { return RunPaths(run_dir); }
  std::string shards_dir() const { return paths().shards_dir(); }
  std::string checkpoints_dir() const { return paths().checkpoints_dir(); }
  std::string log_path(const std::string& role) const { return paths().log(role); }
};

// Loads <run_dir>/config.yaml and <run_dir>/run_id. Throws IoError / ConfigError.
RunContext load_run_context(const std::string& run_dir);

}  // namespace zp::run
