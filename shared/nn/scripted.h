// A scripted backend for tests (after lc0's mock backend): policies and values come from a
// user-supplied function of one position, and the backend records how it was called, so
// search tests can assert on batch sizes and call counts. No torch. With several lanes,
// submit() evaluates at once and wait() checks that it pairs with a submit, so pipelined
// callers are tested for using the lanes in a valid order.
//
// Not thread-safe: one owner thread, like every Backend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/game/game.h"
#include "shared/nn/backend.h"
#include "shared/nn/host_buffers.h"

namespace zp::nn {

// Called once per position: reads `obs` (obs_size floats) and `legal` (num_actions bytes),
// writes `policy` (num_actions floats) and `*value`. The backend then zeroes the policy on
// illegal moves and renormalises it over the legal ones (a script that returns all zeros gets
// uniform priors), and clamps the value to [-1, 1], so scripts may be sloppy.
using ScriptFn =
    std::function<void(const float* obs, const uint8_t* legal, float* policy, float* value)>;

class ScriptedBackend final : public Backend {
 public:
  ScriptedBackend(const game::Game& game, int max_batch, ScriptFn script, int lanes = 1);

  BatchBuffers& buffers() override { return host_[0]->get(); }
  void compute(int n) override;
  std::string describe() const override { return "scripted"; }
  int lanes() const override { return static_cast<int>(host_.size()); }
  BatchBuffers& lane_buffers(int lane) override;
  // Evaluates at once; a lane submitted twice without a wait() in between is a CheckError.
  void submit(int lane, int n) override;
  void wait(int lane) override;
  // Lanes submitted and not yet waited for.
  int outstanding() const;

  // Number of compute() and submit() calls, and the sum of their batch sizes.
  int64_t calls() const { return static_cast<int64_t>(batch_sizes_.size()); }
  int64_t positions() const { return positions_; }
  // The batch size of every compute() and submit() call, in order.
  const std::vector<int>& batch_sizes() const { return batch_sizes_; }
  void reset_counters() {
    batch_sizes_.clear();
    positions_ = 0;
  }

 private:
  void evaluate(BatchBuffers& b, int n);

  std::vector<std::unique_ptr<HostBuffers>> host_;
  std::vector<bool> submitted_;
  ScriptFn script_;
  std::vector<int> batch_sizes_;
  int64_t positions_ = 0;
};

}  // namespace zp::nn
