#include "shared/arena/rollout.h"

#include "shared/core/error.h"

namespace zp::arena {

RolloutBackend::RolloutBackend(const game::Game& game, int max_batch, int playouts,
                                   uint64_t seed)
    : host_(game, max_batch),
      playouts_(playouts),
      rng_(seed),
      filled_(max_batch, 0),
      scratch_(game.new_initial_state()) {
  ZP_CHECK_GE(playouts_, 1);
  leaves_.reserve(max_batch);
  for (int i = 0; i < max_batch; ++i) leaves_.push_back(game.new_initial_state());
  legal_.reserve(game.num_actions());
}

std::string RolloutBackend::describe() const {
  return "random rollouts x" + std::to_string(playouts_);
}

void RolloutBackend::on_leaf(const game::State& state, int slot) {
  ZP_CHECK(slot >= 0 && slot < host_.get().max_batch);
  leaves_[slot]->copy_from(state);
  filled_[slot] = 1;
}

void RolloutBackend::compute(int n) {
  nn::BatchBuffers& b = host_.get();
  ZP_CHECK(n >= 1 && n <= b.max_batch);
  for (int i = 0; i < n; ++i) {
    ZP_CHECK(filled_[i]);
    filled_[i] = 0;
    const game::State& leaf = *leaves_[i];
    // Equal priors over the legal moves (the mask the tree wrote).
    const uint8_t* legal = b.legal + static_cast<size_t>(i) * b.num_actions;
    float* policy = b.policy + static_cast<size_t>(i) * b.num_actions;
    int count = 0;
    for (int a = 0; a < b.num_actions; ++a) count += legal[a];
    for (int a = 0; a < b.num_actions; ++a) policy[a] = legal[a] ? 1.0f / count : 0.0f;
    // Random playouts; the result is counted for the player to move at the leaf.
    const int mover = leaf.current_player();
    float sum = 0.0f;
    for (int k = 0; k < playouts_; ++k) {
      scratch_->copy_from(leaf);
      while (!scratch_->is_terminal()) {
        scratch_->legal_actions(&legal_);
        scratch_->apply(legal_[rng_.uniform_int(static_cast<uint32_t>(legal_.size()))]);
      }
      sum += scratch_->returns(mover);
    }
    b.value[i] = sum / playouts_;
  }
}

}  // namespace zp::arena
