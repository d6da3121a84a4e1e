#include "shared/model/network.h"

#include <torch/nn/functional/activation.h>
#include <torch/serialize.h>
#include <torch/utils.h>

#include <sstream>

#include "shared/core/error.h"
#include "shared/model/checkpoint.h"
#include "shared/model/network_backend.h"

namespace zp::model {

namespace {

torch::nn::Conv2d conv(int in, int out, int kernel) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2).bias(false));
}

}  // namespace

ResidualBlockImpl::ResidualBlockImpl(int channels) {
  conv1_ = register_module("conv1", conv(channels, channels, 3));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(channels));
  conv2_ = register_module("conv2", conv(channels, channels, 3));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(channels));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::relu(bn1_->forward(conv1_->forward(x)));
  y = bn2_->forward(conv2_->forward(y));
  return torch::relu(y + x);
}

PolicyValueNetImpl::PolicyValueNetImpl(const game::ObsShape& obs, int num_actions,
                                       const config::ModelConfig& c) {
  ZP_CHECK_GT(obs.size(), 0);
  ZP_CHECK_GT(num_actions, 0);
  ZP_CHECK_GT(c.channels, 0);
  ZP_CHECK_GE(c.blocks, 0);
  ZP_CHECK_GT(c.policy_channels, 0);
  ZP_CHECK_GT(c.value_channels, 0);
  ZP_CHECK_GT(c.value_hidden, 0);
  const int cells = obs.height * obs.width;
  input_conv_ = register_module("input_conv", conv(obs.planes, c.channels, 3));
  input_bn_ = register_module("input_bn", torch::nn::BatchNorm2d(c.channels));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int i = 0; i < c.blocks; ++i) blocks_->push_back(ResidualBlock(c.channels));
  policy_conv_ = register_module("policy_conv", conv(c.channels, c.policy_channels, 1));
  policy_bn_ = register_module("policy_bn", torch::nn::BatchNorm2d(c.policy_channels));
  policy_fc_ =
      register_module("policy_fc", torch::nn::Linear(c.policy_channels * cells, num_actions));
  value_conv_ = register_module("value_conv", conv(c.channels, c.value_channels, 1));
  value_bn_ = register_module("value_bn", torch::nn::BatchNorm2d(c.value_channels));
  value_fc1_ =
      register_module("value_fc1", torch::nn::Linear(c.value_channels * cells, c.value_hidden));
  value_fc2_ = register_module("value_fc2", torch::nn::Linear(c.value_hidden, 1));
}

std::pair<torch::Tensor, torch::Tensor> PolicyValueNetImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = torch::relu(input_bn_->forward(input_conv_->forward(x)));
  for (const auto& block : *blocks_) h = block->as<ResidualBlock>()->forward(h);

  torch::Tensor p = torch::relu(policy_bn_->forward(policy_conv_->forward(h)));
  p = policy_fc_->forward(p.flatten(1));

  torch::Tensor v = torch::relu(value_bn_->forward(value_conv_->forward(h)));
  v = torch::relu(value_fc1_->forward(v.flatten(1)));
  v = torch::tanh(value_fc2_->forward(v));
  return {p, v};
}

PolicyValueNet make_network(const game::Game& game, const config::ModelConfig& config) {
  return PolicyValueNet(game.observation_shape(), game.num_actions(), config);
}

NetworkAttributes network_attributes(const game::Game& game, const config::ModelConfig& config) {
  torch::NoGradGuard no_grad;
  const PolicyValueNet net = make_network(game, config);
  NetworkAttributes a;
  for (const torch::Tensor& p : net->parameters()) a.parameters += p.numel();
  const std::string framed =
      encode_checkpoint(make_checkpoint_meta(game, config, 0, 0), serialize_weights(net));
  a.checkpoint_bytes = framed.size();
  return a;
}

std::string serialize_weights(const PolicyValueNet& net) {
  torch::serialize::OutputArchive archive;
  net->save(archive);
  std::ostringstream os;
  archive.save_to(os);
  return std::move(os).str();
}

// torch's Module::load replaces each tensor's storage without checking its shape; the shape
// check happens in copy_weights, which every caller runs next.
void deserialize_weights(std::string_view weights, PolicyValueNet& net) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(weights.data(), weights.size(), torch::Device(torch::kCPU));
    net->load(archive);
  } catch (const c10::Error& e) {
    throw FormatError(std::string("checkpoint weights do not load: ") + e.what_without_backtrace());
  }
}

// parameters() and buffers() list tensors in registration order, identical for two nets
// built from the same shape, so position i in one is position i in the other. All shapes
// are checked before the first copy, so a mismatch leaves `to` untouched.
void copy_weights(const PolicyValueNet& from, PolicyValueNet& to) {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> src_params = from->parameters(), src_buffers = from->buffers();
  std::vector<torch::Tensor> dst_params = to->parameters(), dst_buffers = to->buffers();
  auto check = [](const std::vector<torch::Tensor>& src, const std::vector<torch::Tensor>& dst,
                  const char* what) {
    if (src.size() != dst.size()) {
      throw FormatError(std::string("checkpoint weights do not fit the network: ") +
                        std::to_string(src.size()) + " " + what + " vs " +
                        std::to_string(dst.size()));
    }
    for (size_t i = 0; i < src.size(); ++i) {
      if (src[i].sizes() != dst[i].sizes()) {
        throw FormatError(std::string("checkpoint weights do not fit the network: ") + what + " " +
                          std::to_string(i) + " has a different shape");
      }
    }
  };
  check(src_params, dst_params, "parameters");
  check(src_buffers, dst_buffers, "buffers");
  for (size_t i = 0; i < src_params.size(); ++i) dst_params[i].copy_(src_params[i]);
  for (size_t i = 0; i < src_buffers.size(); ++i) dst_buffers[i].copy_(src_buffers[i]);
}

torch::Device to_torch_device(const std::string& resolved) { return torch::Device(resolved); }

}  // namespace zp::model
