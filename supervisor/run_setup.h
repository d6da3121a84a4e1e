// The pieces of setting up a run that `train` (the supervisor) and `bench selfplay` share:
// the run directory's folders and identity files, the run's shared objects (stats block,
// model store) and spawning a role process from this binary's own image. The supervisor's
// policy (what to spawn, restarts, stopping) stays in supervisor.cpp.
//
// Not thread-safe (plain functions meant for one controlling thread); spawn_role forks.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/game/game.h"
#include "shared/ipc/model_store.h"
#include "shared/ipc/stats.h"
#include "shared/run/files.h"
#include "shared/run/names.h"

namespace zp::supervisor {

// The model store's slot capacity: the checkpoint size the network itself reports, plus
// room for a longer game-parameter string or a larger torch archive header in later versions.
size_t model_slot_bytes(const game::Game& game, const config::ModelConfig& model);

// Creates the run directory and its logs/, shards/ and checkpoints/ folders. Throws IoError.
void create_run_dirs(const run::RunPaths& paths);

// Writes config.yaml (the resolved config) and run_id (a fresh id) into the run directory and
// returns the names of the run's shared objects and sockets. Throws IoError / ConfigError.
run::RunNames write_run_identity(const std::string& run_dir, const config::Config& config);

// The run's shared objects, created (or replaced) under `names`: the stats block sized for
// config.actors.count actors with this process's pid in the supervisor slot (so that
// run::remove_stale_objects leaves them alone while it lives), and an empty model store.
struct RunObjects {
  std::unique_ptr<ipc::Stats> stats;
  std::unique_ptr<ipc::ModelStore> store;
};
RunObjects create_run_objects(const run::RunNames& names, const config::Config& config,
                              const game::Game& game);
// Removes both objects (after the handles are gone); missing ones are ignored.
void remove_run_objects(const run::RunNames& names);

// Starts `zeroplay ARGS...` from /proc/self/exe (the image this process runs, not the path a
// rebuild may since have replaced) with stdout and stderr appended to `out_path`. The child
// gets SIGTERM when this process dies, runs in its own process group (out of the terminal's
// Ctrl-C: the parent stops children in order) and with the default signal handlers. Returns
// the child's pid; throws IoError when fork fails.
pid_t spawn_role(const std::vector<std::string>& args, const std::string& out_path);

}  // namespace zp::supervisor
