#include "shared/arena/network_players.h"

#include "shared/model/checkpoint.h"

namespace zp::arena {

namespace {

class TorchNetworks final : public NetworkLoader {
 public:
  std::string read(const std::string& path) const override {
    return model::read_checkpoint_file(path);
  }
  int64_t version(std::string_view bytes) const override {
    return model::decode_checkpoint(bytes).meta.model_version;
  }
  std::unique_ptr<nn::Backend> make_backend(const game::Game& game, const config::Config& config,
                                            std::string_view bytes, int max_batch,
                                            uint64_t seed) const override {
    return make_network_backend(game, config, bytes, max_batch, seed);
  }
};

}  // namespace

const NetworkLoader& torch_networks() {
  static const TorchNetworks networks;
  return networks;
}

std::unique_ptr<model::NetworkBackend> make_network_backend(const game::Game& game,
                                                            const config::Config& config,
                                                            std::string_view checkpoint_bytes,
                                                            int max_batch, uint64_t seed) {
  const model::CheckpointMeta meta = model::decode_checkpoint(checkpoint_bytes).meta;
  config::ModelConfig shape = config.model;
  shape.blocks = meta.blocks;
  shape.channels = meta.channels;
  shape.policy_channels = meta.policy_channels;
  shape.value_channels = meta.value_channels;
  shape.value_hidden = meta.value_hidden;
  auto backend = model::make_torch_backend(game, shape, max_batch, "", seed);
  backend->load_weights(checkpoint_bytes);
  return backend;
}

}  // namespace zp::arena
