// Trainer: see trainer.h for the loss, optimizer, schedule and file layouts.
#include "shared/model/trainer.h"

#include "shared/core/fs.h"

#include <ATen/Parallel.h>
#include <torch/nn/functional/activation.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>
#include <torch/utils.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "shared/core/error.h"
#include "shared/core/bytes.h"
#include "shared/model/checkpoint.h"
#include "shared/model/device.h"
#include "shared/model/network.h"

namespace zp::model {

namespace {
constexpr char kStateMagic[4] = {'Z', 'P', 'T', 'S'};
constexpr uint32_t kStateVersion = 1;
}  // namespace

struct Trainer::Impl {
  Impl(const game::Game& g, const config::ModelConfig& m, const config::LearnerConfig& l,
       int64_t total, uint64_t seed)
      : game(g),
        model(m),
        learner(l),
        total_steps(total),
        device_string(resolve_device(l.device, "learner.device")),
        device(to_torch_device(device_string)),
        obs_shape(g.observation_shape()),
        num_actions(g.num_actions()) {
    // The config schema and its cross-checks validated these; here they are invariants.
    ZP_CHECK_GE(l.threads, 1);
    ZP_CHECK(l.lr_schedule == "constant" || l.lr_schedule == "cosine");
    ZP_CHECK(l.optimizer == "sgd" || l.optimizer == "adam");
    at::set_num_threads(l.threads);
    torch::manual_seed(seed);
    net = make_network(g, m);
    net->to(device);
    net->train();
    if (l.optimizer == "sgd") {
      optimizer =
          std::make_unique<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(l.lr)
                                                                     .momentum(l.momentum)
                                                                     .nesterov(l.momentum > 0.0)
                                                                     .weight_decay(l.weight_decay));
    } else {
      optimizer = std::make_unique<torch::optim::Adam>(
          net->parameters(), torch::optim::AdamOptions(l.lr).weight_decay(l.weight_decay));
    }
  }

  // Learning rate for step index `s` (0-based); see trainer.h for the cosine formula.
  double lr_at(int64_t s) const {
    if (learner.lr_schedule == "constant") return learner.lr;
    double t = time_progress;
    if (total_steps > 0)
      t = std::max(t, static_cast<double>(std::min(s, total_steps)) / total_steps);
    return learner.lr * 0.5 * (1.0 + std::cos(M_PI * t));
  }

  // Copies weights from checkpoint bytes through a CPU staging net (shape-checked).
  void load_weights(std::string_view bytes) {
    const DecodedCheckpoint ckpt = decode_checkpoint(bytes);
    check_compatible(ckpt.meta, game, model);
    PolicyValueNet staging = make_network(game, model);
    deserialize_weights(ckpt.weights, staging);
    copy_weights(staging, net);
  }

  const game::Game& game;
  const config::ModelConfig model;
  const config::LearnerConfig learner;
  const int64_t total_steps;
  const std::string device_string;
  const torch::Device device;
  const game::ObsShape obs_shape;
  const int num_actions;
  PolicyValueNet net{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  int64_t step = 0;
  double time_progress = 0.0;  // set_time_progress
};

Trainer::Trainer(const game::Game& game, const config::ModelConfig& model,
                 const config::LearnerConfig& learner, int64_t total_steps, uint64_t seed)
    : impl_(std::make_unique<Impl>(game, model, learner, total_steps, seed)) {}

Trainer::~Trainer() = default;

TrainStats Trainer::train_step(const float* obs, const float* policy_targets,
                               const float* value_targets, int batch) {
  Impl& s = *impl_;
  ZP_CHECK_GT(batch, 0);
  const double lr = s.lr_at(s.step);
  for (auto& group : s.optimizer->param_groups()) group.options().set_lr(lr);

  // from_blob does not copy; .to() makes the one copy (to the device, or a CPU clone so the
  // caller's arrays are never aliased by autograd).
  const auto f32 = torch::kFloat;
  torch::Tensor x =
      torch::from_blob(const_cast<float*>(obs),
                       {batch, s.obs_shape.planes, s.obs_shape.height, s.obs_shape.width}, f32)
          .to(s.device, f32, /*non_blocking=*/false, /*copy=*/true);
  torch::Tensor pt =
      torch::from_blob(const_cast<float*>(policy_targets), {batch, s.num_actions}, f32)
          .to(s.device, f32, false, true);
  torch::Tensor vt = torch::from_blob(const_cast<float*>(value_targets), {batch}, f32)
                         .to(s.device, f32, false, true);

  // Forward in training mode: BatchNorm uses batch statistics and updates its running ones.
  auto [logits, value] = s.net->forward(x);
  const torch::Tensor policy_loss =
      -(pt * torch::log_softmax(logits, 1)).sum() / pt.sum().clamp_min(1.0);
  const torch::Tensor value_loss = (value.squeeze(1) - vt).pow(2).mean();
  const torch::Tensor total = policy_loss + s.learner.value_loss_weight * value_loss;

  s.optimizer->zero_grad();
  total.backward();
  s.optimizer->step();
  ++s.step;

  // One device-to-host transfer for the three losses.
  const torch::Tensor losses =
      torch::stack({policy_loss.detach(), value_loss.detach(), total.detach()})
          .to(torch::kCPU, torch::kDouble);
  const double* l = losses.data_ptr<double>();
  TrainStats stats;
  stats.policy_loss = l[0];
  stats.value_loss = l[1];
  stats.total_loss = l[2];
  stats.lr = lr;
  stats.step = s.step;
  return stats;
}

std::string Trainer::checkpoint_bytes(int64_t model_version) const {
  const CheckpointMeta meta =
      make_checkpoint_meta(impl_->game, impl_->model, impl_->step, model_version);
  return encode_checkpoint(meta, serialize_weights(impl_->net));
}

void Trainer::load_checkpoint(std::string_view checkpoint_bytes) {
  impl_->load_weights(checkpoint_bytes);
}

void Trainer::save_training_state(const std::string& path) const {
  const Impl& s = *impl_;
  torch::serialize::OutputArchive archive;
  s.optimizer->save(archive);
  std::ostringstream os;
  archive.save_to(os);
  const std::string opt = std::move(os).str();
  // The weights travel as a complete checkpoint, so loading reuses its checks.
  const std::string weights = checkpoint_bytes(0);

  std::string out;
  out.append(kStateMagic, 4);
  put<uint32_t>(&out, kStateVersion);
  put_str(&out, s.learner.optimizer);
  put<uint64_t>(&out, static_cast<uint64_t>(s.step));
  put<uint64_t>(&out, weights.size());
  out += weights;
  put<uint64_t>(&out, opt.size());
  out += opt;
  put<uint64_t>(&out, XXH64(out.data(), out.size(), 0));
  write_file_atomic(path, out);
}

void Trainer::load_training_state(const std::string& path) {
  Impl& s = *impl_;
  const std::string bytes = read_file(path);
  auto fail = [&path](const std::string& what) { throw FormatError(path + ": " + what); };
  try {
    ByteReader r(bytes, "training state");
    if (r.take(4, "magic") != std::string_view(kStateMagic, 4)) {
      fail("not a training state: bad magic (expected \"ZPTS\")");
    }
    const uint32_t version = r.get<uint32_t>("format version");
    if (version != kStateVersion) {
      fail("training state format version " + std::to_string(version) + " is not supported");
    }
    const std::string optimizer = r.str("optimizer");
    const int64_t step = r.get<int64_t>("step");
    const std::string_view weights = r.take(r.get<uint64_t>("weights length"), "weights");
    const std::string_view opt = r.take(r.get<uint64_t>("optimizer length"), "optimizer state");
    const size_t checked = r.pos();
    const uint64_t stored = r.get<uint64_t>("checksum");
    if (r.remaining() != 0) fail("training state has unexpected trailing bytes");
    if (stored != XXH64(bytes.data(), checked, 0)) {
      fail("training state checksum mismatch (corrupted bytes)");
    }
    if (optimizer != s.learner.optimizer) {
      fail("training state is for optimizer " + optimizer + ", config wants " +
           s.learner.optimizer);
    }
    s.load_weights(weights);
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(opt.data(), opt.size(), s.device);
      s.optimizer->load(archive);
    } catch (const c10::Error& e) {
      fail(std::string("optimizer state does not load: ") + e.what_without_backtrace());
    }
    s.step = step;
  } catch (const FormatError& e) {
    const std::string what = e.what();
    if (what.rfind(path + ": ", 0) == 0) throw;
    throw FormatError(path + ": " + what);
  }
}

int64_t Trainer::step() const { return impl_->step; }
void Trainer::set_step(int64_t step) {
  ZP_CHECK_GE(step, 0);
  impl_->step = step;
}
double Trainer::current_lr() const { return impl_->lr_at(impl_->step); }

void Trainer::set_time_progress(double fraction) {
  impl_->time_progress = std::clamp(fraction, 0.0, 1.0);
}
std::string Trainer::device() const { return impl_->device_string; }

}  // namespace zp::model
