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
#include "shared/model/distributed_impl.h"
#include "shared/model/network.h"

namespace zp::model {

namespace {
constexpr char kStateMagic[4] = {'Z', 'P', 'T', 'S'};
constexpr uint32_t kStateVersion = 1;
}  // namespace

struct Trainer::Impl {
  Impl(const game::Game& g, const config::ModelConfig& m, const config::LearnerConfig& l,
       int64_t total, uint64_t seed, std::shared_ptr<Communicator> c)
      : game(g),
        model(m),
        learner(l),
        total_steps(total),
        device_string(resolve_device(l.device, "learner.device")),
        device(to_torch_device(device_string)),
        obs_shape(g.observation_shape()),
        num_actions(g.num_actions()),
        comm(c && c->world_size() > 1 ? std::move(c) : nullptr) {
    // The config schema and its cross-checks validated these; here they are invariants.
    ZP_CHECK_GE(l.threads, 1);
    ZP_CHECK(l.lr_schedule == "constant" || l.lr_schedule == "cosine");
    ZP_CHECK(l.optimizer == "sgd" || l.optimizer == "adam");
    at::set_num_threads(l.threads);
    torch::manual_seed(seed);
    net = make_network(g, m);
    net->to(device);
    net->train();
    // On the CPU, conv weights (and each batch's input) in NHWC: oneDNN's convolutions run
    // faster on it than on NCHW (`zeroplay bench train`: docs/results.md). Before the
    // optimizer is built, so its state follows the parameters' layout. Checkpoints are
    // written from an NCHW copy (checkpoint_bytes), so the bytes do not depend on it.
    channels_last = device.is_cpu();
    if (channels_last) {
      torch::NoGradGuard no_grad;
      for (torch::Tensor& p : net->parameters())
        if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
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

  // The optimizer state (momenta / Adam moments) as torch::save bytes, and back.
  std::string optimizer_bytes() const {
    torch::serialize::OutputArchive archive;
    optimizer->save(archive);
    std::ostringstream os;
    archive.save_to(os);
    return std::move(os).str();
  }
  void load_optimizer_bytes(std::string_view bytes) {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size(), device);
    optimizer->load(archive);
  }

  // The float parameters' gradients and the float buffers (BatchNorm running statistics), in
  // a fixed order: what the ranks average after every backward pass.
  std::vector<torch::Tensor> reduced_tensors() const {
    std::vector<torch::Tensor> out;
    for (const torch::Tensor& p : net->parameters()) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      out.push_back(p.grad());
    }
    for (const torch::Tensor& b : net->buffers())
      if (b.is_floating_point()) out.push_back(b);
    return out;
  }

  // Concatenates `tensors` (one dtype) into one flat tensor, lets `op` change it in place (a
  // collective), and copies the result back: one collective for the whole set.
  template <typename Op>
  static void through_flat(const std::vector<torch::Tensor>& tensors, Op op) {
    if (tensors.empty()) return;
    std::vector<torch::Tensor> parts;
    parts.reserve(tensors.size());
    for (const torch::Tensor& t : tensors) parts.push_back(t.detach().reshape(-1));
    torch::Tensor flat = torch::cat(parts);
    op(flat);
    torch::NoGradGuard no_grad;
    int64_t off = 0;
    for (const torch::Tensor& t : tensors) {
      const int64_t n = t.numel();
      t.detach().copy_(flat.slice(0, off, off + n).view_as(t));
      off += n;
    }
  }

  // After backward: one all-reduce of [gradients, float buffers, `losses`], divided by the
  // ranks. Returns the averaged losses.
  torch::Tensor average_over_ranks(const torch::Tensor& losses) {
    std::vector<torch::Tensor> tensors = reduced_tensors();
    torch::Tensor mean_losses = losses.to(torch::kFloat).clone();
    tensors.push_back(mean_losses);
    const double n = comm->world_size();
    through_flat(tensors, [&](torch::Tensor& flat) {
      comm->impl().allreduce_sum(flat);
      flat.div_(n);
    });
    return mean_losses;
  }

  const game::Game& game;
  const config::ModelConfig model;
  const config::LearnerConfig learner;
  const int64_t total_steps;
  const std::string device_string;
  const torch::Device device;
  const game::ObsShape obs_shape;
  const int num_actions;
  // Data parallel (see trainer.h); null for one rank.
  const std::shared_ptr<Communicator> comm;
  PolicyValueNet net{nullptr};
  bool channels_last = false;  // 4-d parameters and inputs in NHWC (on the CPU)
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  int64_t step = 0;
  double time_progress = 0.0;  // set_time_progress
};

Trainer::Trainer(const game::Game& game, const config::ModelConfig& model,
                 const config::LearnerConfig& learner, int64_t total_steps, uint64_t seed,
                 std::shared_ptr<Communicator> comm)
    : impl_(std::make_unique<Impl>(game, model, learner, total_steps, seed, std::move(comm))) {}

Trainer::~Trainer() = default;

TrainStats Trainer::train_step(const float* obs, const float* policy_targets,
                               const float* value_targets, int batch) {
  Impl& s = *impl_;
  ZP_CHECK_GT(batch, 0);
  const double lr = s.lr_at(s.step);
  for (auto& group : s.optimizer->param_groups()) group.options().set_lr(lr);

  // from_blob does not copy; .to() makes the one copy (to the device, or a CPU clone so the
  // caller's arrays are never aliased by autograd), in NHWC on the CPU.
  const auto f32 = torch::kFloat;
  torch::Tensor x =
      torch::from_blob(const_cast<float*>(obs),
                       {batch, s.obs_shape.planes, s.obs_shape.height, s.obs_shape.width}, f32)
          .to(s.device, f32, /*non_blocking=*/false, /*copy=*/true,
              s.channels_last ? torch::MemoryFormat::ChannelsLast
                              : torch::MemoryFormat::Contiguous);
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
  torch::Tensor losses = torch::stack({policy_loss.detach(), value_loss.detach(), total.detach()});
  if (s.comm) losses = s.average_over_ranks(losses);
  s.optimizer->step();
  ++s.step;

  // One device-to-host transfer for the three losses.
  losses = losses.to(torch::kCPU, torch::kDouble);
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
  const Impl& s = *impl_;
  const CheckpointMeta meta = make_checkpoint_meta(s.game, s.model, s.step, model_version);
  if (!s.channels_last) return encode_checkpoint(meta, serialize_weights(s.net));
  PolicyValueNet nchw = make_network(s.game, s.model);  // fp32 CPU, the default layout
  copy_weights(s.net, nchw);
  return encode_checkpoint(meta, serialize_weights(nchw));
}

void Trainer::load_checkpoint(std::string_view checkpoint_bytes) {
  impl_->load_weights(checkpoint_bytes);
}

void Trainer::broadcast_state() {
  Impl& s = *impl_;
  if (!s.comm) return;
  Communicator::Impl& c = s.comm->impl();
  // Weights and buffers, one broadcast per dtype (float; int64 for num_batches_tracked).
  std::vector<torch::Tensor> floats, others;
  for (const torch::Tensor& p : s.net->parameters()) floats.push_back(p);
  for (const torch::Tensor& b : s.net->buffers())
    (b.scalar_type() == torch::kFloat ? floats : others).push_back(b);
  Impl::through_flat(floats, [&](torch::Tensor& flat) { c.broadcast_from_0(flat); });
  Impl::through_flat(others, [&](torch::Tensor& flat) { c.broadcast_from_0(flat); });
  // The optimizer state and the step counter, as bytes.
  std::string bytes;
  if (s.comm->rank() == 0) {
    put<uint64_t>(&bytes, static_cast<uint64_t>(s.step));
    bytes += s.optimizer_bytes();
  }
  s.comm->broadcast_bytes(&bytes);
  if (s.comm->rank() != 0) {
    ByteReader r(bytes, "rank 0's optimizer state");
    s.step = r.get<int64_t>("step");
    s.load_optimizer_bytes(r.take(r.remaining(), "optimizer"));
  }
}

std::vector<float> Trainer::flat_weights() const {
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor& p : impl_->net->parameters()) parts.push_back(p.detach().reshape(-1));
  for (const torch::Tensor& b : impl_->net->buffers())
    if (b.scalar_type() == torch::kFloat) parts.push_back(b.detach().reshape(-1));
  const torch::Tensor flat = torch::cat(parts).to(torch::kCPU).contiguous();
  const float* p = flat.data_ptr<float>();
  return std::vector<float>(p, p + flat.numel());
}

int Trainer::world_size() const { return impl_->comm ? impl_->comm->world_size() : 1; }

void Trainer::save_training_state(const std::string& path) const {
  const Impl& s = *impl_;
  const std::string opt = s.optimizer_bytes();
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
      s.load_optimizer_bytes(opt);
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
