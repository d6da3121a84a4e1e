// Players for evaluation: anything that picks moves, behind one small interface, so that the
// arena, the oracle accuracy and the evaluator role treat a trained network, a random mover
// and a pure Monte Carlo searcher alike.
//
// A player chooses moves for a batch of positions at once (the arena plays its games side by
// side, the oracle asks about many positions): search players run one tree per position and
// evaluate the leaves of all trees in one backend call per round, as self-play does.
//
// Every player here is deterministic given its seed and the sequence of calls: no root noise,
// temperature 0 (the most visited move), seeded random numbers.
//
// Not thread-safe: one owner thread per player.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/core/rng.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"
#include "shared/search/tree.h"

namespace zp::arena {

class Player {
 public:
  virtual ~Player() = default;
  // Short name for tables and the Elo ladder, e.g. "random", "mcts:200", "v12".
  virtual std::string name() const = 0;
  // Writes one move per state into `moves` (resized to states.size()), in order.
  // Preconditions: every state is non-terminal and belongs to the player's game.
  virtual void choose_moves(const std::vector<const game::State*>& states,
                            std::vector<game::Action>* moves) = 0;

  // Called often during long work (every search round): the evaluator role beats its
  // heartbeat from here. Empty by default.
  void set_tick(std::function<void()> tick) { tick_ = std::move(tick); }

 protected:
  void tick() {
    if (tick_) tick_();
  }

 private:
  std::function<void()> tick_;
};

// Uniformly random legal moves.
class RandomPlayer final : public Player {
 public:
  explicit RandomPlayer(uint64_t seed) : rng_(seed) {}
  std::string name() const override { return "random"; }
  void choose_moves(const std::vector<const game::State*>& states,
                    std::vector<game::Action>* moves) override;

 private:
  Rng rng_;
  std::vector<game::Action> legal_;
};

// PUCT search (shared/search/tree.h) to `params.simulations` visits per move, then the most
// visited move. The backend decides what kind of search this is: a network, uniform priors
// with value 0, or random rollouts (pass the RolloutBackend as `observer` too, so it sees
// the leaf states). Trees are reset for every move (no reuse between calls). Positions beyond
// the backend's max_batch are searched in chunks.
class SearchPlayer final : public Player {
 public:
  // `observer` (not owned; may be null) is installed on every tree; it is normally the
  // backend itself.
  SearchPlayer(std::string name, const game::Game& game,
               std::unique_ptr<nn::Backend> backend, const search::SearchParams& params,
               uint64_t seed, search::LeafObserver* observer = nullptr);
  std::string name() const override { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  void choose_moves(const std::vector<const game::State*>& states,
                    std::vector<game::Action>* moves) override;

  nn::Backend& backend() { return *backend_; }
  int simulations() const { return params_.simulations; }

 private:
  std::string name_;
  const game::Game& game_;
  std::unique_ptr<nn::Backend> backend_;
  const search::SearchParams params_;
  const uint64_t seed_;
  search::LeafObserver* observer_;
  std::vector<std::unique_ptr<search::Tree>> trees_;  // grows to max_batch, then reused
};

// The network's raw policy: the legal move with the highest prior (ties: the lower action),
// no search. One backend call per max_batch positions.
class PolicyPlayer final : public Player {
 public:
  PolicyPlayer(std::string name, std::unique_ptr<nn::Backend> backend);
  std::string name() const override { return name_; }
  void choose_moves(const std::vector<const game::State*>& states,
                    std::vector<game::Action>* moves) override;

  nn::Backend& backend() { return *backend_; }

 private:
  std::string name_;
  std::unique_ptr<nn::Backend> backend_;
  std::vector<game::Action> legal_;
};

}  // namespace zp::arena
