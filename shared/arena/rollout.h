// Pure Monte Carlo tree search's backend: equal priors over the legal moves, and as value
// the average result of random playouts from the leaf (each move uniform among the legal
// ones, to the end of the game), for the player to move at the leaf.
//
// The tree writes only observations into the batch buffers, so this backend is also the
// tree's LeafObserver: gather() hands it each leaf's State with its slot, and it keeps a copy
// per slot until compute(). Install it on every tree that uses it:
//   auto ev = std::make_unique<RolloutBackend>(game, max_batch, 1, seed);
//   tree.set_leaf_observer(ev.get());
// compute(n) on a slot that no tree reported is a CheckError.
//
// Not thread-safe: one owner thread, like every Backend.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/core/rng.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"
#include "shared/nn/host_buffers.h"
#include "shared/search/tree.h"

namespace zp::arena {

class RolloutBackend final : public nn::Backend, public search::LeafObserver {
 public:
  RolloutBackend(const game::Game& game, int max_batch, int playouts, uint64_t seed);

  nn::BatchBuffers& buffers() override { return host_.get(); }
  void compute(int n) override;
  std::string describe() const override;
  void on_leaf(const game::State& state, int slot) override;

 private:
  nn::HostBuffers host_;
  const int playouts_;
  Rng rng_;
  std::vector<std::unique_ptr<game::State>> leaves_;  // one per slot, reused
  std::vector<char> filled_;                          // whether a slot holds this round's leaf
  std::unique_ptr<game::State> scratch_;
  std::vector<game::Action> legal_;
};

}  // namespace zp::arena
