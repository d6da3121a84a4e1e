// The LibTorch side of the arena (library zp_arena_net): the NetworkLoader that checkpoint
// players use, and network backends built from checkpoint bytes. Kept apart from zp_arena so
// that the arena, its players and its tests link without LibTorch.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "shared/arena/players.h"
#include "shared/config/config.h"
#include "shared/game/game.h"
#include "shared/model/network_backend.h"

namespace zp::arena {

// Checkpoints through shared/model: read_checkpoint_file, decode_checkpoint, the torch backend.
const NetworkLoader& torch_networks();

// A network backend holding `checkpoint_bytes` (checkpoint.h format), with the network shape
// taken from the checkpoint and the device, precision and threads from config.model, so any
// checkpoint of the configured game loads. Throws FormatError.
std::unique_ptr<model::NetworkBackend> make_network_backend(const game::Game& game,
                                                            const config::Config& config,
                                                            std::string_view checkpoint_bytes,
                                                            int max_batch, uint64_t seed);

}  // namespace zp::arena
