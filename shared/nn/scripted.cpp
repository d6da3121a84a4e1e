#include "shared/nn/scripted.h"

#include <algorithm>

#include "shared/core/error.h"

namespace zp::nn {

ScriptedBackend::ScriptedBackend(const game::Game& game, int max_batch, ScriptFn script,
                                 int lanes)
    : submitted_(lanes, false), script_(std::move(script)) {
  ZP_CHECK(script_ != nullptr);
  ZP_CHECK_GE(lanes, 1);
  for (int l = 0; l < lanes; ++l) host_.push_back(std::make_unique<HostBuffers>(game, max_batch));
}

BatchBuffers& ScriptedBackend::lane_buffers(int lane) {
  ZP_CHECK(lane >= 0 && lane < lanes());
  return host_[lane]->get();
}

void ScriptedBackend::compute(int n) {
  ZP_CHECK(!submitted_[0]);
  evaluate(host_[0]->get(), n);
}

void ScriptedBackend::submit(int lane, int n) {
  BatchBuffers& b = lane_buffers(lane);
  ZP_CHECK(!submitted_[lane]);
  submitted_[lane] = true;
  evaluate(b, n);
  notify_done(lane);
}

void ScriptedBackend::wait(int lane) {
  ZP_CHECK(lane >= 0 && lane < lanes());
  submitted_[lane] = false;
}

int ScriptedBackend::outstanding() const {
  return static_cast<int>(std::count(submitted_.begin(), submitted_.end(), true));
}

void ScriptedBackend::evaluate(BatchBuffers& b, int n) {
  ZP_CHECK(n >= 1 && n <= b.max_batch);
  batch_sizes_.push_back(n);
  positions_ += n;
  for (int i = 0; i < n; ++i) {
    const float* obs = b.obs + static_cast<size_t>(i) * b.obs_size;
    const uint8_t* legal = b.legal + static_cast<size_t>(i) * b.num_actions;
    float* policy = b.policy + static_cast<size_t>(i) * b.num_actions;
    std::fill(policy, policy + b.num_actions, 0.0f);
    float value = 0.0f;
    script_(obs, legal, policy, &value);

    // Mask and renormalise, like the real network does; fall back to uniform.
    double sum = 0.0;
    int legal_count = 0;
    for (int a = 0; a < b.num_actions; ++a) {
      if (!legal[a] || !(policy[a] > 0.0f)) policy[a] = 0.0f;
      sum += policy[a];
      legal_count += legal[a] ? 1 : 0;
    }
    for (int a = 0; a < b.num_actions; ++a) {
      if (sum > 0.0) {
        policy[a] = static_cast<float>(policy[a] / sum);
      } else {
        policy[a] = legal[a] ? 1.0f / legal_count : 0.0f;
      }
    }
    b.value[i] = std::clamp(value, -1.0f, 1.0f);
  }
}

}  // namespace zp::nn
