// The learner's side of the network: SGD/Adam steps on batches of (observation, visit
// distribution, game outcome), checkpoints in the checkpoint.h format, and a training-state
// file for resume. No torch in this header (trainer.cpp holds it behind a pImpl).
//
// Loss per step, over a batch of N positions (layouts as in network.h):
//   policy = sum_i( -sum_a target[i][a] * log_softmax(logits[i])[a] ) / max(1, sum_i,a target)
//            (cross-entropy against the search's policy; illegal moves have target 0). A row
//            of zeros (a fast playout-cap search) is no policy target: it adds nothing and does
//            not count in the mean, so the policy loss is the mean over the target rows.
//   value  = mean_i( (v[i] - z[i])^2 )                                    (z in [-1, 1])
//   total  = policy + value_loss_weight * value, plus L2 weight decay through the optimizer's
//            weight_decay (applied to every parameter)
// Optimizer: sgd (momentum, Nesterov when momentum > 0) or adam, from LearnerConfig.
// Learning rate: set before every step; constant, or cosine from lr down to 0 over the run:
// lr * 0.5 * (1 + cos(pi * p)), p the run's progress in [0, 1], the larger of
// min(step, total_steps) / total_steps (when total_steps > 0) and the fraction of the run's
// time budget spent (set_time_progress; the learner sets it when train.max_seconds > 0).
//
// Data parallel (a Communicator of world_size > 1, distributed.h): every rank builds its own
// Trainer on its own Communicator. train_step then takes this rank's share of the global
// batch; after the backward pass one all-reduce averages, over the ranks, the gradients, the
// BatchNorm running statistics (float buffers) and the three losses, so that every rank
// applies the same update and holds the same weights, and the returned losses are the mean
// over ranks (with equal per-rank batches and policy-target rows, the global batch's loss).
// broadcast_state copies rank 0's weights, buffers, optimizer state and step to all ranks;
// call it before the first train_step (ranks then start identical whatever their seeds) and
// after loading weights or a training state on rank 0. train_step and broadcast_state are
// collectives: every rank calls them, in the same order. The constructor is not one.
//
// Not thread-safe: one trainer per learner process. All calls block until done.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shared/config/config.h"
#include "shared/game/game.h"
#include "shared/model/distributed.h"

namespace zp::model {

struct TrainStats {
  double policy_loss = 0.0;
  double value_loss = 0.0;
  double total_loss = 0.0;  // policy + value_loss_weight * value (without weight decay)
  double lr = 0.0;          // learning rate used for this step
  int64_t step = 0;         // step counter after this step
};

class Trainer {
 public:
  // Builds a fresh fp32 network (seeded from `seed`) on learner.device, and the optimizer.
  // `total_steps` is the cosine schedule's length in steps (train.max_steps; 0 = the schedule
  // follows set_time_progress only); ignored for "constant".
  // Calls at::set_num_threads(learner.threads) (process-wide).
  // `comm` (optional, shared with the caller): data-parallel training over its ranks (see
  // above: call broadcast_state before the first step).
  // Throws ConfigError for an unknown optimizer/schedule/device.
  Trainer(const game::Game& game, const config::ModelConfig& model,
          const config::LearnerConfig& learner, int64_t total_steps = 0, uint64_t seed = 1,
          std::shared_ptr<Communicator> comm = nullptr);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // One optimizer step. Host arrays, row-major, `batch` positions:
  //   obs            [batch, planes, height, width]  float
  //   policy_targets [batch, num_actions]            float, rows sum to 1 (or 0: no target)
  //   value_targets  [batch]                         float in [-1, 1]
  // Returns the losses before the update (the mean over ranks when data parallel). One device
  // synchronisation per call, plus one all-reduce when data parallel.
  TrainStats train_step(const float* obs, const float* policy_targets, const float* value_targets,
                        int batch);

  // The current weights as checkpoint bytes (checkpoint.h), stamped with step() and `version`.
  std::string checkpoint_bytes(int64_t model_version) const;
  // Replaces the weights with a checkpoint's (e.g. to start from a published model); the
  // optimizer state and step counter are unchanged. Throws FormatError if incompatible.
  void load_checkpoint(std::string_view checkpoint_bytes);
  // Sets the step counter (and so the learning-rate schedule's position), e.g. to the step
  // of a checkpoint loaded with load_checkpoint when the training state is lost.
  void set_step(int64_t step);

  // Resume file: weights, optimizer state (momenta / Adam moments) and the step counter, so
  // a restarted learner continues exactly. Layout, little-endian:
  //   "ZPTS" | u32 version (1) | str optimizer ("sgd"/"adam") | i64 step |
  //   u64 W | W bytes checkpoint (checkpoint.h format) | u64 O | O bytes torch::save of the
  //   optimizer | u64 XXH64 (seed 0) of everything before it
  // Saving is atomic (tmp, fsync, rename). Loading throws IoError (missing), FormatError
  // (truncated, corrupted, other game/shape, other optimizer); after a failed load the
  // trainer is in an unspecified state: build a fresh one.
  void save_training_state(const std::string& path) const;
  void load_training_state(const std::string& path);

  // Data parallel: rank 0's weights, buffers, optimizer state and step replace every other
  // rank's (a collective). Without a communicator (or with one rank) it does nothing.
  void broadcast_state();
  // 1 without a communicator.
  int world_size() const;
  // Every parameter, then every float buffer (BatchNorm running statistics), flattened in a
  // fixed order, on the host: for tests that compare ranks.
  std::vector<float> flat_weights() const;

  // Optimizer steps taken so far (restored by load_training_state).
  int64_t step() const;
  // The share of the run's time budget spent, in [0, 1] (clamped), for the cosine schedule.
  void set_time_progress(double fraction);
  // The learning rate the next step will use.
  double current_lr() const;
  // Resolved device, e.g. "cpu" or "cuda:0".
  std::string device() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::model
