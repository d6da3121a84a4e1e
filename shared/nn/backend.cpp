#include "shared/nn/backend.h"

#include <algorithm>

#include "shared/core/error.h"
#include "shared/core/rng.h"
#include "shared/nn/host_buffers.h"

namespace zp::nn {

namespace {

class UniformBackend final : public Backend {
 public:
  UniformBackend(const game::Game& game, int max_batch, int lanes) {
    ZP_CHECK_GE(lanes, 1);
    for (int l = 0; l < lanes; ++l) host_.push_back(std::make_unique<HostBuffers>(game, max_batch));
  }
  BatchBuffers& buffers() override { return host_[0]->get(); }
  void compute(int n) override { evaluate(host_[0]->get(), n); }
  int lanes() const override { return static_cast<int>(host_.size()); }
  BatchBuffers& lane_buffers(int lane) override {
    ZP_CHECK(lane >= 0 && lane < lanes());
    return host_[lane]->get();
  }
  void submit(int lane, int n) override {
    evaluate(lane_buffers(lane), n);
    notify_done(lane);
  }
  std::string describe() const override { return "uniform"; }

 private:
  static void evaluate(BatchBuffers& b, int n) {
    ZP_CHECK(n >= 1 && n <= b.max_batch);
    for (int i = 0; i < n; ++i) {
      const uint8_t* legal = b.legal + static_cast<size_t>(i) * b.num_actions;
      float* policy = b.policy + static_cast<size_t>(i) * b.num_actions;
      int count = 0;
      for (int a = 0; a < b.num_actions; ++a) count += legal[a];
      const float p = count > 0 ? 1.0f / count : 0.0f;
      for (int a = 0; a < b.num_actions; ++a) policy[a] = legal[a] ? p : 0.0f;
      b.value[i] = 0.0f;
    }
  }

  std::vector<std::unique_ptr<HostBuffers>> host_;
};

}  // namespace

BatchBuffers& Backend::lane_buffers(int lane) {
  ZP_CHECK_EQ(lane, 0);
  return buffers();
}

void Backend::submit(int lane, int n) {
  ZP_CHECK_EQ(lane, 0);
  compute(n);
  notify_done(lane);
}

void fill_random_positions(const game::Game& game, BatchBuffers& b, int n, uint64_t seed) {
  ZP_CHECK_LE(n, b.max_batch);
  Rng rng(seed);
  std::vector<game::Action> legal;
  for (int i = 0; i < n; ++i) {
    std::unique_ptr<game::State> state = game.new_initial_state();
    const int moves = static_cast<int>(rng.uniform_int(game.max_game_length() / 2 + 1));
    for (int m = 0; m < moves; ++m) {
      state->legal_actions(&legal);
      std::unique_ptr<game::State> next = state->clone();
      next->apply(legal[rng.uniform_int(static_cast<uint32_t>(legal.size()))]);
      if (next->is_terminal()) break;
      state = std::move(next);
    }
    state->write_observation(b.obs + static_cast<size_t>(i) * b.obs_size);
    uint8_t* mask = b.legal + static_cast<size_t>(i) * b.num_actions;
    std::fill(mask, mask + b.num_actions, 0);
    state->legal_actions(&legal);
    for (game::Action a : legal) mask[a] = 1;
  }
}

std::unique_ptr<Backend> make_uniform_backend(const game::Game& game, int max_batch,
                                              int lanes) {
  return std::make_unique<UniformBackend>(game, max_batch, lanes);
}

}  // namespace zp::nn
