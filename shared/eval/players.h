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
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "shared/config/config.h"
#include "shared/eval/player.h"
#include "shared/game/game.h"
#include "shared/model/network_evaluator.h"

namespace zp::eval {

struct PlayerOptions {
  int simulations = 100;  // for checkpoint players (mcts:N / uniform:N carry their own)
  uint64_t seed = 1;
  int max_batch = 64;  // positions searched or evaluated at once
};

// Throws ConfigError on an unknown spec (naming the accepted forms), IoError on a missing
// checkpoint file, FormatError on a bad or incompatible checkpoint.
std::unique_ptr<Player> make_player(const std::string& spec, const game::Game& game,
                                    const config::Config& config, const PlayerOptions& options);

// The search parameters evaluation uses (see above), with `simulations`.
search::SearchParams eval_search_params(const config::Config& config, int simulations);

// A network evaluator holding `checkpoint_bytes` (checkpoint.h format), with the network
// shape taken from the checkpoint and the rest of config.model. Throws FormatError.
std::unique_ptr<model::NetworkEvaluator> make_network_evaluator(const game::Game& game,
                                                                const config::Config& config,
                                                                std::string_view checkpoint_bytes,
                                                                int max_batch, uint64_t seed);

// A checkpoint player (search with `options.simulations`) from checkpoint bytes, named `name`.
// To swap weights later, load them into the player's evaluator:
//   static_cast<model::NetworkEvaluator&>(player->evaluator()).load_weights(bytes).
std::unique_ptr<SearchPlayer> make_network_player(const std::string& name, const game::Game& game,
                                                  const config::Config& config,
                                                  std::string_view checkpoint_bytes,
                                                  const PlayerOptions& options);

// Pure MCTS with random rollouts ("mcts:N").
std::unique_ptr<SearchPlayer> make_rollout_player(const game::Game& game,
                                                  const config::Config& config, int simulations,
                                                  const PlayerOptions& options);

}  // namespace zp::eval
