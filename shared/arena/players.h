// Building players from text specs and from checkpoints.
//
// Specs (the --a / --b arguments of `zeroplay eval arena`):
//   random          uniformly random legal moves
//   mcts:N          pure MCTS: N simulations, equal priors, value = one random playout
//   uniform:N       MCTS with equal priors and value 0 (only finished games carry signal)
//   policy:PATH     the checkpoint's raw policy (argmax of the prior, no search)
//   PATH            a checkpoint: PUCT search with `simulations`, no noise, the most visited
//
// Search constants (c_puct, fpu_reduction) come from config.search; root noise is off, one
// leaf per tree per round (the batch comes from searching many positions at once), no tree
// reuse. Networks take their shape (blocks, channels, ...) from the checkpoint itself and the
// device, precision and threads from config.model, so any checkpoint of the configured game
// loads.
//
// This library is torch-free: checkpoint players get their networks through a NetworkLoader
// in PlayerOptions. shared/arena/network_players.h (zp_arena_net) supplies the LibTorch one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "shared/config/config.h"
#include "shared/arena/player.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"
#include "shared/search/tree.h"

namespace zp::arena {

// Where checkpoint players (policy:PATH, PATH) get their networks.
class NetworkLoader {
 public:
  virtual ~NetworkLoader() = default;
  // The checked bytes of a checkpoint file. Throws IoError / FormatError.
  virtual std::string read(const std::string& path) const = 0;
  // The model version recorded in checkpoint bytes. Throws FormatError.
  virtual int64_t version(std::string_view bytes) const = 0;
  // A backend holding these weights. Throws FormatError.
  virtual std::unique_ptr<nn::Backend> make_backend(const game::Game& game,
                                                    const config::Config& config,
                                                    std::string_view bytes, int max_batch,
                                                    uint64_t seed) const = 0;
};

struct PlayerOptions {
  int simulations = 100;  // for checkpoint players (mcts:N / uniform:N carry their own)
  uint64_t seed = 1;
  int max_batch = 64;  // positions searched or evaluated at once
  // Needed for checkpoint specs; without one they throw ConfigError.
  const NetworkLoader* networks = nullptr;
};

// Throws ConfigError on an unknown spec (naming the accepted forms), IoError on a missing
// checkpoint file, FormatError on a bad or incompatible checkpoint.
std::unique_ptr<Player> make_player(const std::string& spec, const game::Game& game,
                                    const config::Config& config, const PlayerOptions& options);

// The search parameters evaluation uses (see above), with `simulations`.
search::SearchParams eval_search_params(const config::Config& config, int simulations);


// A checkpoint player (search with `options.simulations`) over `backend`, named `name`.
std::unique_ptr<SearchPlayer> make_network_player(const std::string& name, const game::Game& game,
                                                  const config::Config& config,
                                                  std::unique_ptr<nn::Backend> backend,
                                                  const PlayerOptions& options);

// Pure MCTS with random rollouts ("mcts:N").
std::unique_ptr<SearchPlayer> make_rollout_player(const game::Game& game,
                                                  const config::Config& config, int simulations,
                                                  const PlayerOptions& options);

}  // namespace zp::arena
