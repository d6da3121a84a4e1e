// The LibTorch policy-value network behind the nn::Backend interface, without torch headers.
//
// Buffers (see nn::BatchBuffers in shared/nn/backend.h for the per-position layout):
//   on CUDA, obs and policy live in page-locked (pinned) host memory; compute(n) packs the
//   n legal masks behind the n observations (saving and restoring the observation bytes of
//   rows >= n it displaces) and does ONE non-blocking host-to-device copy,
//   ONE forward under torch::InferenceMode (illegal logits set to -inf before the softmax,
//   probabilities of illegal moves then set to exactly 0), and ONE device-to-host copy of
//   policy and value together. On the CPU the network runs in NHWC (channels-last) layout,
//   so the input is reordered once per call; the layout of the buffers stays as documented.
//   The buffers are allocated once; only torch's intermediates are allocated per call (from
//   its caching allocator on CUDA). Results are read back through raw pointers.
// Precision: fp16/bf16 (CUDA only) cast the model and the input to that dtype; outputs come
// back as float. On the CPU, precision is always fp32 (a warning is logged otherwise).
// Threads: the factory calls at::set_num_threads(config.threads), which is process-wide.
//
// Not thread-safe: one evaluator per thread. compute() and load_weights() block until done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "shared/config/config.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"

namespace zp::model {

class NetworkBackend : public nn::Backend {
 public:
  // Replaces the weights with those of `checkpoint_bytes` (checkpoint.h format), copying them
  // into the existing device tensors: no buffer or parameter is reallocated. Meant for hot
  // swaps between search rounds when the learner publishes a new version. Throws FormatError
  // (bad bytes, or a checkpoint for another game or shape); the old weights stay in use then.
  virtual void load_weights(std::string_view checkpoint_bytes) = 0;
  // The model version of the loaded checkpoint; 0 for a freshly initialised network.
  virtual int64_t model_version() const = 0;
  // The resolved device ("cpu", "cuda:0") and the effective precision ("fp32", "fp16", "bf16").
  virtual std::string device() const = 0;
  virtual std::string precision() const = 0;
};

// Builds the network for `game` with `config` (shape, device, precision, threads) and
// buffers for `max_batch` positions. `checkpoint_path` empty: random initialisation from
// `seed` (torch's global generator is reseeded); otherwise the weights of that checkpoint.
// Throws ConfigError (bad device/precision), IoError (missing file), FormatError (bad or
// incompatible checkpoint).
// What the network reports about itself for a config (after lc0's Backend::GetAttributes()),
// measured on the real module: shared/model/network.cpp builds it next to make_network, so a
// change to the network's layers can never disagree with the sizes others plan for.
struct NetworkAttributes {
  int64_t parameters = 0;       // trainable parameters
  size_t checkpoint_bytes = 0;  // encode_checkpoint's output for this game and shape
};
NetworkAttributes network_attributes(const game::Game& game, const config::ModelConfig& config);

std::unique_ptr<NetworkBackend> make_torch_backend(const game::Game& game,
                                                       const config::ModelConfig& config,
                                                       int max_batch,
                                                       const std::string& checkpoint_path = "",
                                                       uint64_t seed = 1);

}  // namespace zp::model
