#include "shared/run/server_slots.h"

#include "shared/core/parse.h"
#include "shared/selfplay/selfplay.h"

namespace zp::run {

int server_device(const config::Config& config) {
  const std::string& d = config.model.device;
  if (d.rfind("cuda:", 0) != 0) return 0;
  return static_cast<int>(parse_int(d.substr(5)).value_or(0));
}

int server_lanes(const config::Config& config) {
  return selfplay::SelfPlayLoop::lanes(config);
}

int server_slot(const config::Config& config, int actor, int lane) {
  return actor * server_lanes(config) + lane;
}

ipc::InferLayout server_slot_layout(const config::Config& config, const game::Game& game) {
  ipc::InferLayout l;
  l.num_slots = config.actors.count * server_lanes(config);
  l.slot_positions = selfplay::SelfPlayLoop::batch_capacity(config);
  l.obs_size = static_cast<int>(game.observation_shape().size());
  l.num_actions = game.num_actions();
  return l;
}

std::unique_ptr<ipc::InferSlots> create_server_slots(const config::Config& config,
                                                     const game::Game& game,
                                                     const RunNames& names, int device) {
  return ipc::InferSlots::create(names.infer_slots(device), server_slot_layout(config, game));
}

std::vector<std::string> server_role_args(const std::string& run_dir, int device) {
  return {"server", "--run-dir", run_dir, "--device", std::to_string(device)};
}

}  // namespace zp::run
