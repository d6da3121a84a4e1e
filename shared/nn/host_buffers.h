// Plain host-memory BatchBuffers for backends that run on the CPU without torch (the uniform
// and the scripted backends). The torch backend has its own (pinned) buffers.
//
// Owns its storage; not thread-safe (one owner thread, like the backend holding it).
#pragma once

#include <cstdint>
#include <vector>

#include "shared/core/error.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"

namespace zp::nn {

class HostBuffers {
 public:
  HostBuffers(const game::Game& game, int max_batch) {
    ZP_CHECK_GT(max_batch, 0);
    b_.max_batch = max_batch;
    b_.obs_size = game.observation_shape().size();
    b_.num_actions = game.num_actions();
    obs_.resize(static_cast<size_t>(max_batch) * b_.obs_size);
    legal_.resize(static_cast<size_t>(max_batch) * b_.num_actions);
    policy_.resize(legal_.size());
    value_.resize(max_batch);
    b_.obs = obs_.data();
    b_.legal = legal_.data();
    b_.policy = policy_.data();
    b_.value = value_.data();
  }
  // The BatchBuffers view points into this object: not copyable or movable.
  HostBuffers(const HostBuffers&) = delete;
  HostBuffers& operator=(const HostBuffers&) = delete;

  BatchBuffers& get() { return b_; }

 private:
  BatchBuffers b_;
  std::vector<float> obs_;
  std::vector<uint8_t> legal_;
  std::vector<float> policy_;
  std::vector<float> value_;
};

}  // namespace zp::nn
