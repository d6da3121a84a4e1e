// The inference-server role (actors.inference: server): one process per device that owns the
// model, gathers the actors' requests from the run's shared-memory slots into batched forward
// passes (server.max_batch positions, server.max_wait_us), answers each with the model
// version it used, and hot-swaps weights from the model store between batches (the latest
// model, or the best gated one with evaluator.gating), as lock-mode actors do.
//
//   zeroplay server --run-dir DIR --device N     (hidden subcommand; spawned by the supervisor)
//
// The run's owner creates the slot segment first (run::create_server_slots) and keeps it for
// the run's whole life, so a server killed with kill -9 is simply started again: the new one
// turns the requests its predecessor had taken back to ready and serves them, and the actors
// waiting on them notice nothing but the delay. Stats slot ipc::kFirstServerSlot + N:
// heartbeat, kEvals, kBatches, kModelVersion, kServerQueueDepth, kDeviceBusyNs.
#pragma once

#include <string>

namespace zp::server {

// Runs device `device`'s server of the run in `run_dir` until SIGTERM/SIGINT. Returns the exit
// code. Throws ConfigError when the run does not use actors.inference: server, or `device` is
// not the run's server device.
int run_server(const std::string& run_dir, int device);

}  // namespace zp::server
