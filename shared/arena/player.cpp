#include "shared/arena/player.h"

#include <algorithm>
#include <cstring>

#include "shared/core/error.h"

namespace zp::arena {

void RandomPlayer::choose_moves(const std::vector<const game::State*>& states,
                                std::vector<game::Action>* moves) {
  moves->resize(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    states[i]->legal_actions(&legal_);
    ZP_CHECK(!legal_.empty());
    (*moves)[i] = legal_[rng_.uniform_int(static_cast<uint32_t>(legal_.size()))];
  }
}

SearchPlayer::SearchPlayer(std::string name, const game::Game& game,
                           std::unique_ptr<nn::Backend> backend,
                           const search::SearchParams& params, uint64_t seed,
                           search::LeafObserver* observer)
    : name_(std::move(name)),
      game_(game),
      backend_(std::move(backend)),
      params_(params),
      seed_(seed),
      observer_(observer) {
  ZP_CHECK(backend_ != nullptr);
  ZP_CHECK_GE(params_.simulations, 1);
}

void SearchPlayer::choose_moves(const std::vector<const game::State*>& states,
                                std::vector<game::Action>* moves) {
  moves->resize(states.size());
  nn::BatchBuffers& buffers = backend_->buffers();
  const int chunk = buffers.max_batch;  // one leaf per tree per round
  for (size_t begin = 0; begin < states.size(); begin += chunk) {
    const int n = static_cast<int>(std::min(states.size() - begin, static_cast<size_t>(chunk)));
    while (static_cast<int>(trees_.size()) < n) {
      trees_.push_back(
          std::make_unique<search::Tree>(game_, params_, seed_ + 7919 * trees_.size()));
      trees_.back()->set_leaf_observer(observer_);
    }
    for (int i = 0; i < n; ++i) trees_[i]->reset(*states[begin + i]);
    // Rounds: one leaf from every unfinished tree, one backend call for all of them.
    std::vector<int> first(n, 0);
    for (;;) {
      int slots = 0;
      bool any = false;
      for (int i = 0; i < n; ++i) {
        search::Tree& t = *trees_[i];
        first[i] = slots;
        if (t.done()) continue;
        any = true;
        slots += t.gather(1, buffers, slots);
      }
      if (!any) break;
      if (slots > 0) backend_->compute(slots);
      // A tree that was skipped or gathered nothing has nothing pending: scatter is a no-op.
      for (int i = 0; i < n; ++i) trees_[i]->scatter(buffers, first[i]);
      tick();
    }
    for (int i = 0; i < n; ++i) (*moves)[begin + i] = trees_[i]->choose_move(0.0f);
  }
}

PolicyPlayer::PolicyPlayer(std::string name, std::unique_ptr<nn::Backend> backend)
    : name_(std::move(name)), backend_(std::move(backend)) {
  ZP_CHECK(backend_ != nullptr);
}

void PolicyPlayer::choose_moves(const std::vector<const game::State*>& states,
                                std::vector<game::Action>* moves) {
  moves->resize(states.size());
  nn::BatchBuffers& b = backend_->buffers();
  const size_t obs_size = static_cast<size_t>(b.obs_size);
  const size_t num_actions = static_cast<size_t>(b.num_actions);
  for (size_t begin = 0; begin < states.size(); begin += b.max_batch) {
    const int n =
        static_cast<int>(std::min(states.size() - begin, static_cast<size_t>(b.max_batch)));
    for (int i = 0; i < n; ++i) {
      const game::State& s = *states[begin + i];
      s.write_observation(b.obs + i * obs_size);
      uint8_t* legal = b.legal + i * num_actions;
      std::memset(legal, 0, num_actions);
      s.legal_actions(&legal_);
      ZP_CHECK(!legal_.empty());
      for (game::Action a : legal_) legal[a] = 1;
    }
    backend_->compute(n);
    for (int i = 0; i < n; ++i) {
      const float* policy = b.policy + i * num_actions;
      const uint8_t* legal = b.legal + i * num_actions;
      game::Action best = game::kInvalidAction;
      for (size_t a = 0; a < num_actions; ++a)
        if (legal[a] && (best == game::kInvalidAction || policy[a] > policy[best]))
          best = static_cast<game::Action>(a);
      (*moves)[begin + i] = best;
    }
    tick();
  }
}

}  // namespace zp::arena
