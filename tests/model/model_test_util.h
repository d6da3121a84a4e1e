// Helpers for the model tests: a tiny network config and random positions in batch buffers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/rng.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"

namespace zp::test {

// 1 block x 8 channels on the CPU, one torch thread: fast enough for unit tests.
inline config::ModelConfig tiny_model(const std::string& device = "cpu") {
  config::ModelConfig m;
  m.blocks = 1;
  m.channels = 8;
  m.policy_channels = 2;
  m.value_channels = 1;
  m.value_hidden = 8;
  m.device = device;
  m.precision = "fp32";
  m.threads = 1;
  return m;
}

// Writes `n` random non-terminal positions into positions [0, n) of `b` (see
// nn::fill_random_positions).
inline void fill_positions(const game::Game& game, nn::BatchBuffers& b, int n,
                           uint64_t seed = 7) {
  nn::fill_random_positions(game, b, n, seed);
}

// Copies position `from` of `src` into position `to` of `dst` (inputs only).
inline void copy_position(const nn::BatchBuffers& src, int from, nn::BatchBuffers& dst,
                          int to) {
  std::copy_n(src.obs + static_cast<size_t>(from) * src.obs_size, src.obs_size,
              dst.obs + static_cast<size_t>(to) * dst.obs_size);
  std::copy_n(src.legal + static_cast<size_t>(from) * src.num_actions, src.num_actions,
              dst.legal + static_cast<size_t>(to) * dst.num_actions);
}

// Outputs of positions [0, n): policies then values, for comparisons.
inline std::vector<float> outputs(const nn::BatchBuffers& b, int n) {
  std::vector<float> out(b.policy, b.policy + static_cast<size_t>(n) * b.num_actions);
  out.insert(out.end(), b.value, b.value + n);
  return out;
}

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = a.size() == b.size() ? 0.0f : 1e30f;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

}  // namespace zp::test
