// The actor role: one process that plays `actors.games_per_actor` games at once with its own
// copy of the model, streams finished games to the writer, and swaps in new weights from the
// shared-memory model store between search rounds without stopping its games.
#pragma once

#include <string>

namespace zp::actor {

// Runs actor `index` of the run in `run_dir` until SIGTERM/SIGINT. Returns the exit code.
int run_actor(const std::string& run_dir, int index);

}  // namespace zp::actor
