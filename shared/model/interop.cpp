#include "shared/model/interop.h"

#include <torch/nn/functional/activation.h>
#include <torch/script.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "shared/core/error.h"
#include "shared/model/checkpoint.h"
#include "shared/model/network.h"

namespace zp::model {

namespace {

constexpr const char* kMetadataFile = "zeroplay.json";

// torch::jit::load's own message for a missing file is a multi-line backtrace; check first.
void check_readable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read TorchScript file " + path + ": " + std::strerror(errno));
}

torch::jit::Module load_module(const std::string& path, torch::jit::ExtraFilesMap* extra) {
  check_readable(path);
  try {
    return torch::jit::load(path, torch::Device(torch::kCPU), *extra);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw FormatError(path + ": not a TorchScript archive (" + what.substr(0, what.find('\n')) +
                      ")");
  }
}

class TorchScriptBackend final : public nn::Backend {
 public:
  TorchScriptBackend(const game::Game& game, const std::string& path, int max_batch)
      : path_(path), shape_(game.observation_shape()), actions_(game.num_actions()) {
    ZP_CHECK_GE(max_batch, 1);
    torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
    module_ = load_module(path, &extra);
    module_.eval();
    obs_.assign(static_cast<size_t>(max_batch) * shape_.size(), 0.0f);
    legal_.assign(static_cast<size_t>(max_batch) * actions_, 0);
    policy_.assign(static_cast<size_t>(max_batch) * actions_, 0.0f);
    value_.assign(max_batch, 0.0f);
    buffers_ = {max_batch, shape_.size(), actions_, obs_.data(), legal_.data(), policy_.data(),
                value_.data()};
    check_outputs(game);
  }

  nn::BatchBuffers& buffers() override { return buffers_; }
  std::string describe() const override { return "torchscript " + path_ + " cpu fp32"; }

  void compute(int n) override {
    ZP_CHECK(n >= 1 && n <= buffers_.max_batch);
    torch::InferenceMode inference;
    const torch::Tensor obs = torch::from_blob(
        obs_.data(), {n, shape_.planes, shape_.height, shape_.width}, torch::kFloat);
    const torch::Tensor illegal =
        torch::from_blob(legal_.data(), {n, actions_}, torch::kUInt8).eq(0);
    auto [logits, value] = run(obs);
    torch::Tensor probs = torch::softmax(
        logits.masked_fill(illegal, -std::numeric_limits<float>::infinity()), 1);
    probs.masked_fill_(illegal, 0.0f);
    torch::from_blob(policy_.data(), {n, actions_}, torch::kFloat).copy_(probs);
    torch::from_blob(value_.data(), {n}, torch::kFloat).copy_(value.reshape({-1}));
  }

 private:
  std::pair<torch::Tensor, torch::Tensor> run(const torch::Tensor& obs) {
    c10::IValue out;
    try {
      out = module_.forward({obs});
    } catch (const c10::Error& e) {
      const std::string what = e.what_without_backtrace();
      throw FormatError(path_ + ": forward failed (" + what.substr(0, what.find('\n')) + ")");
    }
    if (!out.isTuple() || out.toTupleRef().elements().size() != 2)
      throw FormatError(path_ + ": forward must return (policy logits, value)");
    const auto& e = out.toTupleRef().elements();
    return {e[0].toTensor().to(torch::kFloat), e[1].toTensor().to(torch::kFloat)};
  }

  // One forward on the initial position: the outputs must be [1, A] and one value.
  void check_outputs(const game::Game& game) {
    torch::InferenceMode inference;
    game.new_initial_state()->write_observation(obs_.data());
    const torch::Tensor obs = torch::from_blob(
        obs_.data(), {1, shape_.planes, shape_.height, shape_.width}, torch::kFloat);
    auto [logits, value] = run(obs);
    if (logits.dim() != 2 || logits.size(0) != 1 || logits.size(1) != actions_ ||
        value.numel() != 1) {
      throw FormatError(path_ + ": outputs do not fit " + game.name() + " (" +
                        std::to_string(actions_) + " actions)");
    }
  }

  std::string path_;
  game::ObsShape shape_;
  int actions_;
  torch::jit::Module module_;
  std::vector<float> obs_, policy_, value_;
  std::vector<uint8_t> legal_;
  nn::BatchBuffers buffers_;
};

}  // namespace

std::unique_ptr<nn::Backend> make_torchscript_backend(const game::Game& game,
                                                      const std::string& path, int max_batch) {
  return std::make_unique<TorchScriptBackend>(game, path, max_batch);
}

std::string read_torchscript_metadata(const std::string& path) {
  torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
  load_module(path, &extra);
  return extra[kMetadataFile];
}

std::string rewrite_checkpoint(std::string_view checkpoint_bytes) {
  const DecodedCheckpoint c = decode_checkpoint(checkpoint_bytes);
  config::ModelConfig shape;
  shape.blocks = c.meta.blocks;
  shape.channels = c.meta.channels;
  shape.policy_channels = c.meta.policy_channels;
  shape.value_channels = c.meta.value_channels;
  shape.value_hidden = c.meta.value_hidden;
  torch::NoGradGuard no_grad;
  PolicyValueNet staging(c.meta.obs, c.meta.num_actions, shape);
  PolicyValueNet net(c.meta.obs, c.meta.num_actions, shape);
  deserialize_weights(c.weights, staging);
  copy_weights(staging, net);  // checks every shape
  return encode_checkpoint(c.meta, serialize_weights(net));
}

}  // namespace zp::model
