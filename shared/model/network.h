// PRIVATE header: the policy-value ResNet as a torch::nn module. Include it only from
// shared/model/*.cpp and model tests; it pulls in torch headers (~15-40 s per translation unit).
//
// Tensor layouts (N = batch, P/H/W = Game::observation_shape(), A = Game::num_actions()):
//   input   [N, P, H, W]  float (or the inference dtype), the planes of Game::write_observation
//   trunk   conv3x3(P -> C) + BN + ReLU, then `blocks` residual blocks of C channels:
//           x + BN(conv3x3(ReLU(BN(conv3x3(x))))) followed by ReLU
//   policy  conv1x1(C -> policy_channels) + BN + ReLU -> flatten [N, pc*H*W]
//           -> linear -> logits [N, A]          (raw logits: masking and softmax are the caller's)
//   value   conv1x1(C -> value_channels) + BN + ReLU -> flatten [N, vc*H*W]
//           -> linear(value_hidden) + ReLU -> linear(1) -> tanh -> [N, 1], for the player to move
// Convolutions before a BatchNorm have no bias. Parameter names (used as keys in the weights
// blob) are the module paths below, e.g. "blocks.0.conv1.weight".
//
// Not thread-safe: a module is used by one thread.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <string_view>
#include <utility>

#include "shared/config/config.h"
#include "shared/game/game.h"

namespace zp::model {

class ResidualBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualBlockImpl(int channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
};
TORCH_MODULE(ResidualBlock);

class PolicyValueNetImpl : public torch::nn::Module {
 public:
  PolicyValueNetImpl(const game::ObsShape& obs, int num_actions, const config::ModelConfig& config);
  // Returns {policy logits [N, A], value [N, 1]} in the module's dtype.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d input_conv_{nullptr};
  torch::nn::BatchNorm2d input_bn_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::Conv2d policy_conv_{nullptr};
  torch::nn::BatchNorm2d policy_bn_{nullptr};
  torch::nn::Linear policy_fc_{nullptr};
  torch::nn::Conv2d value_conv_{nullptr};
  torch::nn::BatchNorm2d value_bn_{nullptr};
  torch::nn::Linear value_fc1_{nullptr}, value_fc2_{nullptr};
};
TORCH_MODULE(PolicyValueNet);

// Builds the network for `game` with the shape fields of `config`, fp32 on the CPU,
// initialised from torch's global generator (seed it with torch::manual_seed first).
PolicyValueNet make_network(const game::Game& game, const config::ModelConfig& config);

// The weights blob of the checkpoint format: torch::save of all parameters and buffers.
std::string serialize_weights(const PolicyValueNet& net);
// Loads a weights blob into `net` (fp32 CPU staging net expected; storage may be replaced).
// Throws FormatError if the blob does not parse or does not fit the net.
void deserialize_weights(std::string_view weights, PolicyValueNet& net);
// Copies every parameter and buffer of `from` into the existing tensors of `to` (converting
// device and dtype) without reallocating them. Throws FormatError on a shape mismatch.
void copy_weights(const PolicyValueNet& from, PolicyValueNet& to);

// Turns a resolved device string ("cpu", "cuda:0") into a torch::Device.
torch::Device to_torch_device(const std::string& resolved);

}  // namespace zp::model
