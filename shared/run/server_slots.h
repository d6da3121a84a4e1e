// The inference-server slots of a run (actors.inference: server), shared by everyone who needs
// them: the supervisor and `bench selfplay` create the segment, the server serves it, each actor
// attaches to its own slots. The segment itself and its protocol: shared/ipc/infer_slots.h.
//
//   auto slots = run::create_server_slots(cfg, game, names, run::server_device(cfg));
//   spawn("/proc/self/exe", run::server_role_args(run_dir, run::server_device(cfg)));
//   ... then the actors; at the end InferSlots::remove(names.infer_slots(device)).
//
// Plain functions, no state.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/game/game.h"
#include "shared/ipc/infer_slots.h"
#include "shared/run/names.h"

namespace zp::run {

// The device index the server of this config runs on: N for model.device cuda:N, else 0 (the
// CPU, auto, or cuda = cuda:0). Today there is one server per run, on this device.
int server_device(const config::Config& config);

// Request slots per actor: one per pipeline lane (actors.pipeline).
int server_lanes(const config::Config& config);
// The slot of actor `actor`'s lane `lane`: actor * server_lanes + lane.
int server_slot(const config::Config& config, int actor, int lane);

// actors.count x server_lanes slots, each holding one lane's batch (SelfPlayLoop::
// batch_capacity: the largest pipeline group's games x search.leaves_per_round positions).
ipc::InferLayout server_slot_layout(const config::Config& config, const game::Game& game);

// Creates (or replaces) device `device`'s segment names.infer_slots(device) with that layout,
// every slot idle. Throws IoError when /dev/shm lacks the room.
std::unique_ptr<ipc::InferSlots> create_server_slots(const config::Config& config,
                                                     const game::Game& game,
                                                     const RunNames& names, int device);

// The server role's arguments after the binary: server --run-dir DIR --device N.
std::vector<std::string> server_role_args(const std::string& run_dir, int device);

}  // namespace zp::run
