// The LibTorch policy-value network behind the nn::Backend interface, without torch headers.
//
// Lanes (nn::Backend): each lane has its own host buffers, page-locked (pinned) on CUDA.
//   CUDA: submit(lane, n) enqueues, without blocking, on the backend's own CUDA stream: an
//   event, two asynchronous host-to-device copies (the n observations and the n legal masks)
//   into static device input tensors, the forward (a CUDA graph replay, or eager), two
//   device-to-host copies of the n policies and values into the lane's pinned buffers, a
//   second event, and a host callback for the done hook. wait(lane) blocks on the second
//   event (blocking sync, not a spin). All lanes share the stream and the static device
//   tensors: the stream runs them in submit order, so one lane's copy-in never overtakes
//   another's forward; overlap is between the caller's CPU work and the device, which is
//   what an actor needs (its copies are a few microseconds beside a forward).
//   CPU: with one lane, submit() runs the forward at once in the caller's thread. With more,
//   one worker thread runs the lanes' forwards in submit order (intra-op threads:
//   model.threads), so the caller's search overlaps the forward on another core.
// The forward: under torch::InferenceMode, illegal logits set to -inf before the softmax,
//   probabilities of illegal moves then set to exactly 0, outputs as float. On the CPU the
//   network runs in NHWC (channels-last) layout, so the input is reordered once per call; the
//   layout of the buffers stays as documented.
// CUDA graphs (model.cuda_graphs, auto = on for CUDA): the forward of the static tensors is
//   captured once per batch-size bucket (graph_buckets(): powers of two below max_batch, and
//   max_batch), lazily on the first batch that needs the bucket, after two eager warm-up runs
//   on the backend's stream (a side stream, never the default one). A batch of n replays the
//   smallest bucket >= n: rows n.. are padding whose outputs are not copied back. A bucket
//   whose capture fails runs eagerly (logged). Hot swaps need no re-capture: load_weights()
//   copies into the existing parameter tensors, whose addresses the graphs hold.
// Precision (model.precision): auto = bf16 on CUDA devices of compute capability >= 8, fp16
//   on older ones, fp32 on the CPU. fp16/bf16 (CUDA only) cast the model and the input to
//   that dtype; outputs come back as float. On the CPU it is always fp32 (an explicit fp16 or
//   bf16 logs a warning).
// Device-busy time (device_busy_ns): the elapsed time between each lane's two CUDA events on
//   a GPU, the forward's wall time on the CPU; accumulated at wait().
// Threads: the factory calls at::set_num_threads(config.threads), which is process-wide.
//
// Not thread-safe: one owner thread (plus the backend's own worker or CUDA callback thread).
// compute() and load_weights() block until done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  // Whether forwards replay CUDA graphs, and the batch-size buckets they are captured for
  // (empty without graphs).
  virtual bool cuda_graphs() const = 0;
  virtual std::vector<int> graph_buckets() const = 0;
};

// What the network reports about itself for a config (after lc0's Backend::GetAttributes()),
// measured on the real module: shared/model/network.cpp builds it next to make_network, so a
// change to the network's layers can never disagree with the sizes others plan for.
struct NetworkAttributes {
  int64_t parameters = 0;       // trainable parameters
  size_t checkpoint_bytes = 0;  // encode_checkpoint's output for this game and shape
};
NetworkAttributes network_attributes(const game::Game& game, const config::ModelConfig& config);

// Builds the network for `game` with `config` (shape, device, precision, threads, CUDA
// graphs) and `lanes` buffer sets of `max_batch` positions each. `checkpoint_path` empty:
// random initialisation from `seed` (torch's global generator is reseeded); otherwise the
// weights of that checkpoint. Throws ConfigError (bad device/precision), IoError (missing
// file), FormatError (bad or incompatible checkpoint).
std::unique_ptr<NetworkBackend> make_torch_backend(const game::Game& game,
                                                   const config::ModelConfig& config,
                                                   int max_batch,
                                                   const std::string& checkpoint_path = "",
                                                   uint64_t seed = 1, int lanes = 1);

}  // namespace zp::model
