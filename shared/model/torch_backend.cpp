// The LibTorch evaluator: see network_backend.h for the contract and network.h for the
// tensor layouts.
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/nn/functional/activation.h>

#include <cstring>
#include <limits>

#include "shared/core/error.h"
#include "shared/model/checkpoint.h"
#include "shared/model/device.h"
#include "shared/model/log_bridge.h"
#include "shared/model/network.h"
#include "shared/model/network_backend.h"

namespace zp::model {

namespace {

class TorchBackend final : public NetworkBackend {
 public:
  TorchBackend(const game::Game& game, const config::ModelConfig& config, int max_batch,
                 uint64_t seed)
      : game_(game),
        config_(config),
        device_string_(resolve_device(config.device, "model.device")),
        device_(to_torch_device(device_string_)),
        cuda_(device_.is_cuda()),
        obs_shape_(game.observation_shape()),
        obs_size_(obs_shape_.size()),
        num_actions_(game.num_actions()),
        max_batch_(max_batch) {
    ZP_CHECK_GT(max_batch, 0);
    ZP_CHECK_GE(config.threads, 1);  // the config schema validated it
    at::set_num_threads(config.threads);
    set_precision(config.precision);

    torch::manual_seed(seed);
    staging_ = make_network(game, config);  // fp32 CPU: checkpoints load here first
    net_ = make_network(game, config);
    copy_weights(staging_, net_);
    net_->to(device_);
    net_->eval();
    staging_->eval();
    channels_last_ = !cuda_;
    {
      // Floating-point tensors to the inference dtype (BatchNorm's integer step counter stays
      // int64). On the CPU, conv weights go NHWC ("channels last"): oneDNN's convolutions run
      // ~25% faster at large batches than NCHW. Hot swaps keep both, since copy_weights
      // copies into the existing tensors.
      torch::NoGradGuard no_grad;
      auto convert = [this](torch::Tensor& t) {
        if (!t.is_floating_point()) return;
        torch::Tensor c = t.to(dtype_);
        if (channels_last_ && c.dim() == 4) c = c.contiguous(torch::MemoryFormat::ChannelsLast);
        t.set_data(c);
      };
      for (torch::Tensor& p : net_->parameters()) convert(p);
      for (torch::Tensor& b : net_->buffers()) convert(b);
    }
    allocate_buffers();
  }

  nn::BatchBuffers& buffers() override { return b_; }

  void compute(int n) override {
    ZP_CHECK(n >= 1 && n <= max_batch_);
    torch::InferenceMode inference;
    const int64_t obs_bytes = static_cast<int64_t>(n) * obs_size_ * sizeof(float);
    const int64_t legal_bytes = static_cast<int64_t>(n) * num_actions_;
    torch::Tensor obs, legal;
    uint8_t* pack = nullptr;
    if (cuda_) {
      // Pack the n legal masks right behind the n observations so that one transfer moves
      // both. For n < max_batch this overwrites the start of observation rows >= n, which the
      // caller still owns (it may evaluate them next): save those bytes, restore them below.
      pack = host_in_.data_ptr<uint8_t>() + obs_bytes;
      std::memcpy(saved_.data(), pack, legal_bytes);
      std::memcpy(pack, legal_.data(), legal_bytes);
      torch::Tensor dev = device_in_.narrow(0, 0, obs_bytes + legal_bytes);
      dev.copy_(host_in_.narrow(0, 0, obs_bytes + legal_bytes), /*non_blocking=*/true);
      obs = dev.narrow(0, 0, obs_bytes).view(torch::kFloat);
      legal = dev.narrow(0, obs_bytes, legal_bytes);
    } else {
      obs = host_in_.narrow(0, 0, static_cast<int64_t>(n) * obs_size_);
      legal = legal_cpu_.narrow(0, 0, legal_bytes);
    }
    obs = obs.view({n, obs_shape_.planes, obs_shape_.height, obs_shape_.width});
    if (dtype_ != torch::kFloat) obs = obs.to(dtype_);
    if (channels_last_) obs = obs.contiguous(torch::MemoryFormat::ChannelsLast);
    legal = legal.view({n, num_actions_});

    auto [logits, value] = net_->forward(obs);
    const torch::Tensor illegal = legal.eq(0);
    torch::Tensor probs = torch::softmax(
        logits.to(torch::kFloat).masked_fill(illegal, -std::numeric_limits<float>::infinity()), 1);
    // exp(-inf) is already 0; this also zeroes rows with no legal move (NaN after softmax).
    probs.masked_fill_(illegal, 0.0f);
    // Policy rows then the values, as one flat tensor: one copy back (synchronous on CUDA).
    const torch::Tensor out =
        torch::cat({probs.reshape({-1}), value.to(torch::kFloat).reshape({-1})});
    host_out_.narrow(0, 0, out.numel()).copy_(out);
    std::memcpy(value_.data(), host_out_.data_ptr<float>() + static_cast<int64_t>(n) * num_actions_,
                n * sizeof(float));
    // The copy back synchronised the stream, so the upload has finished reading `pack`.
    if (pack != nullptr) std::memcpy(pack, saved_.data(), legal_bytes);
  }

  std::string describe() const override {
    return "torch resnet " + std::to_string(config_.blocks) + "x" +
           std::to_string(config_.channels) + " " + device_string_ + " " + precision_ +
           " threads=" + std::to_string(at::get_num_threads()) + " v" + std::to_string(version_);
  }

  void load_weights(std::string_view checkpoint_bytes) override {
    const DecodedCheckpoint ckpt = decode_checkpoint(checkpoint_bytes);
    check_compatible(ckpt.meta, game_, config_);
    deserialize_weights(ckpt.weights, staging_);
    copy_weights(staging_, net_);
    if (cuda_) torch::cuda::synchronize();
    version_ = ckpt.meta.model_version;
  }

  int64_t model_version() const override { return version_; }
  std::string device() const override { return device_string_; }
  std::string precision() const override { return precision_; }

 private:
  void set_precision(const std::string& p) {
    ZP_CHECK(p == "fp32" || p == "fp16" || p == "bf16");  // the config schema validated it
    if (!cuda_ && p != "fp32") {
      log_warn("model.precision " + p + " applies to CUDA only; running fp32 on " + device_string_);
    }
    precision_ = cuda_ ? p : "fp32";
    dtype_ = precision_ == "fp16"   ? torch::kHalf
             : precision_ == "bf16" ? torch::kBFloat16
                                    : torch::kFloat;
  }

  void allocate_buffers() {
    const int64_t obs_floats = static_cast<int64_t>(max_batch_) * obs_size_;
    const int64_t legal_bytes = static_cast<int64_t>(max_batch_) * num_actions_;
    const int64_t out_floats = legal_bytes + max_batch_;
    legal_.assign(legal_bytes, 0);
    value_.assign(max_batch_, 0.0f);
    if (cuda_) {
      // Observations plus room for the packed legal masks, page-locked for async copies.
      const int64_t in_bytes = obs_floats * static_cast<int64_t>(sizeof(float)) + legal_bytes;
      host_in_ = torch::empty({in_bytes}, torch::dtype(torch::kUInt8).pinned_memory(true));
      device_in_ = torch::empty({in_bytes}, torch::dtype(torch::kUInt8).device(device_));
      host_out_ = torch::empty({out_floats}, torch::dtype(torch::kFloat).pinned_memory(true));
      saved_.assign(legal_bytes, 0);
      b_.obs = reinterpret_cast<float*>(host_in_.data_ptr<uint8_t>());
    } else {
      host_in_ = torch::empty({obs_floats}, torch::kFloat);
      legal_cpu_ = torch::from_blob(legal_.data(), {legal_bytes}, torch::kUInt8);
      host_out_ = torch::empty({out_floats}, torch::kFloat);
      b_.obs = host_in_.data_ptr<float>();
    }
    std::memset(b_.obs, 0, obs_floats * sizeof(float));
    b_.max_batch = max_batch_;
    b_.obs_size = obs_size_;
    b_.num_actions = num_actions_;
    b_.legal = legal_.data();
    b_.policy = host_out_.data_ptr<float>();
    b_.value = value_.data();
  }

  const game::Game& game_;
  const config::ModelConfig config_;
  const std::string device_string_;
  const torch::Device device_;
  const bool cuda_;
  const game::ObsShape obs_shape_;
  const int obs_size_;
  const int num_actions_;
  const int max_batch_;
  std::string precision_;
  torch::ScalarType dtype_ = torch::kFloat;
  bool channels_last_ = false;  // conv weights and input in NHWC (CPU only)

  PolicyValueNet net_{nullptr};      // on device_, in dtype_, eval mode
  PolicyValueNet staging_{nullptr};  // fp32 CPU, receives checkpoint weights before the copy
  int64_t version_ = 0;

  // Host buffers behind b_ (see the header comment for what is pinned).
  torch::Tensor host_in_;    // CUDA: uint8 [obs bytes | packed legal]; CPU: float obs
  torch::Tensor device_in_;  // CUDA only: same layout as host_in_
  torch::Tensor host_out_;   // float [n * A policy | n values], policy rows read in place
  torch::Tensor legal_cpu_;  // CPU only: uint8 view of legal_
  std::vector<uint8_t> legal_;
  std::vector<float> value_;
  std::vector<uint8_t> saved_;  // CUDA only: observation bytes displaced by the packed masks
  nn::BatchBuffers b_;
};

}  // namespace

std::unique_ptr<NetworkBackend> make_torch_backend(const game::Game& game,
                                                       const config::ModelConfig& config,
                                                       int max_batch,
                                                       const std::string& checkpoint_path,
                                                       uint64_t seed) {
  auto evaluator = std::make_unique<TorchBackend>(game, config, max_batch, seed);
  if (!checkpoint_path.empty()) {
    const std::string bytes = read_checkpoint_file(checkpoint_path);
    try {
      evaluator->load_weights(bytes);
    } catch (const FormatError& e) {
      throw FormatError(checkpoint_path + ": " + e.what());
    }
  }
  return evaluator;
}

}  // namespace zp::model
