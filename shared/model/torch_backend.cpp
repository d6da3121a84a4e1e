// The LibTorch evaluator: see network_backend.h for the contract and network.h for the
// tensor layouts.
#include <ATen/Parallel.h>
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <torch/cuda.h>
#include <torch/nn/functional/activation.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "shared/core/error.h"
#include "shared/model/checkpoint.h"
#include "shared/model/device.h"
#include "shared/model/log_bridge.h"
#include "shared/model/network.h"
#include "shared/model/network_backend.h"

namespace zp::model {

namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class TorchBackend;

// One lane: host buffers (pinned on CUDA) and, on CUDA, the events around its device work.
struct Lane {
  nn::BatchBuffers b;
  torch::Tensor obs;     // float [max_batch, P, H, W]
  torch::Tensor legal;   // uint8 [max_batch, A]
  torch::Tensor policy;  // float [max_batch, A]
  torch::Tensor value;   // float [max_batch]
  int pending = 0;       // positions of the outstanding submit; 0 = none
  bool finished = false;  // CPU worker: the forward of `pending` is done (under the mutex)
  std::exception_ptr error;  // CPU worker: what the forward threw
  // CUDA: recorded before the copy in and after the copy out; timing enabled, blocking sync.
  std::optional<at::cuda::CUDAEvent> start, done;
  struct HookArg {
    const TorchBackend* self;
    int lane;
  } hook_arg{nullptr, 0};
};

// A captured forward for batches of up to `bucket` positions (see network_backend.h).
struct Graph {
  int bucket = 0;
  std::unique_ptr<at::cuda::CUDAGraph> graph;  // null: capture failed, run eagerly
};

class TorchBackend final : public NetworkBackend {
 public:
  TorchBackend(const game::Game& game, const config::ModelConfig& config, int max_batch,
               uint64_t seed, int lanes);
  ~TorchBackend() override;

  nn::BatchBuffers& buffers() override { return lanes_[0].b; }
  void compute(int n) override {
    enqueue(0, n, /*hook=*/false);
    wait(0);
  }
  int lanes() const override { return static_cast<int>(lanes_.size()); }
  nn::BatchBuffers& lane_buffers(int lane) override {
    ZP_CHECK(lane >= 0 && lane < lanes());
    return lanes_[lane].b;
  }
  void submit(int lane, int n) override { enqueue(lane, n, /*hook=*/true); }
  void wait(int lane) override;
  int64_t device_busy_ns() const override { return busy_ns_.load(); }

  std::string describe() const override {
    return "torch resnet " + std::to_string(config_.blocks) + "x" +
           std::to_string(config_.channels) + " " + device_string_ + " " + precision_ +
           " threads=" + std::to_string(at::get_num_threads()) +
           (lanes_.size() > 1 ? " lanes=" + std::to_string(lanes_.size()) : "") +
           (cuda_ ? std::string(" graphs=") + (graphs_ ? "on" : "off") : "") + " v" +
           std::to_string(version_);
  }

  void load_weights(std::string_view checkpoint_bytes) override;
  int64_t model_version() const override { return version_; }
  std::string device() const override { return device_string_; }
  std::string precision() const override { return precision_; }
  bool cuda_graphs() const override { return graphs_; }
  std::vector<int> graph_buckets() const override;

  static void CUDART_CB on_device_done(void* arg) {
    const auto* a = static_cast<const Lane::HookArg*>(arg);
    a->self->notify_done(a->lane);
  }

 private:
  void set_precision(const std::string& p);
  void convert_module();
  void allocate_buffers();
  void enqueue(int lane, int n, bool hook);
  void enqueue_cuda(Lane& lane, int n, bool hook);
  void run_cpu(Lane& lane, int n);
  // The masked forward of rows [0, rows) of `obs`/`legal` into `policy`/`value`.
  void forward_into(const torch::Tensor& obs, const torch::Tensor& legal, torch::Tensor policy,
                    torch::Tensor value, int rows);
  // The graph that serves a batch of n (capturing it on first use), or null: run eagerly.
  at::cuda::CUDAGraph* graph_for(int n, int* rows);
  void capture(Graph& g);
  // Blocks until no lane's work is running (on the device or the CPU worker).
  void quiesce();
  void worker_loop();

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
  bool graphs_ = false;

  PolicyValueNet net_{nullptr};      // on device_, in dtype_, eval mode
  PolicyValueNet staging_{nullptr};  // fp32 CPU, receives checkpoint weights before the copy
  int64_t version_ = 0;
  std::deque<Lane> lanes_;  // a deque: lanes never move (hook arguments point into them)
  std::atomic<int64_t> busy_ns_{0};

  // CUDA: the backend's own stream, the static device input and output every lane's work
  // goes through (in stream order), and the captured graphs by bucket.
  std::optional<c10::cuda::CUDAStream> stream_;
  torch::Tensor dev_obs_, dev_legal_, dev_policy_, dev_value_;
  std::map<int, Graph> graphs_by_bucket_;

  // CPU with several lanes: one worker thread runs the forwards, in submit order.
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<int, bool>> jobs_;  // (lane, hook)
  bool running_ = false;                   // the worker is in a forward
  bool stop_ = false;
};

TorchBackend::TorchBackend(const game::Game& game, const config::ModelConfig& config,
                           int max_batch, uint64_t seed, int lanes)
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
  ZP_CHECK_GE(lanes, 1);
  ZP_CHECK_GE(config.threads, 1);  // the config schema validated it
  at::set_num_threads(config.threads);
  set_precision(config.precision);
  if (cuda_) {
    graphs_ = config.cuda_graphs != "off";
  } else if (config.cuda_graphs == "on") {
    log_info("model.cuda_graphs on applies to CUDA only; " + device_string_ + " runs eagerly");
  }

  torch::manual_seed(seed);
  staging_ = make_network(game, config);  // fp32 CPU: checkpoints load here first
  net_ = make_network(game, config);
  copy_weights(staging_, net_);
  net_->to(device_);
  net_->eval();
  staging_->eval();
  channels_last_ = !cuda_;
  convert_module();
  if (cuda_) stream_ = c10::cuda::getStreamFromPool(false, device_.index());
  lanes_.resize(lanes);
  allocate_buffers();
  if (!cuda_ && lanes > 1) worker_ = std::thread([this] { worker_loop(); });
}

TorchBackend::~TorchBackend() {
  if (worker_.joinable()) {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  // Pending host callbacks point at this object: let them run first.
  if (stream_) stream_->synchronize();
}

void TorchBackend::set_precision(const std::string& p) {
  ZP_CHECK(p == "auto" || p == "fp32" || p == "fp16" || p == "bf16");  // the schema validated it
  if (p == "auto") {
    // bf16 where the tensor cores have it (Ampere, compute capability 8, and later): the
    // range of fp32, no overflow risk; fp16 on older GPUs; fp32 on the CPU.
    precision_ = !cuda_ ? "fp32"
                 : at::cuda::getDeviceProperties(device_.index())->major >= 8 ? "bf16"
                                                                              : "fp16";
  } else {
    if (!cuda_ && p != "fp32") {
      log_warn("model.precision " + p + " applies to CUDA only; running fp32 on " +
               device_string_);
    }
    precision_ = cuda_ ? p : "fp32";
  }
  dtype_ = precision_ == "fp16"   ? torch::kHalf
           : precision_ == "bf16" ? torch::kBFloat16
                                  : torch::kFloat;
}

// Floating-point tensors to the inference dtype (BatchNorm's integer step counter stays int64).
// On the CPU, conv weights go NHWC ("channels last"): oneDNN's convolutions run ~25% faster at
// large batches than NCHW. Hot swaps keep both, since copy_weights copies into the existing
// tensors (and so do the CUDA graphs, which read the parameters at their addresses).
void TorchBackend::convert_module() {
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

void TorchBackend::allocate_buffers() {
  const int64_t n = max_batch_, planes = obs_shape_.planes, h = obs_shape_.height,
                w = obs_shape_.width, a = num_actions_;
  auto host = [this](torch::ScalarType t) { return torch::dtype(t).pinned_memory(cuda_); };
  for (size_t i = 0; i < lanes_.size(); ++i) {
    Lane& lane = lanes_[i];
    lane.obs = torch::zeros({n, planes, h, w}, host(torch::kFloat));
    lane.legal = torch::zeros({n, a}, host(torch::kUInt8));
    lane.policy = torch::zeros({n, a}, host(torch::kFloat));
    lane.value = torch::zeros({n}, host(torch::kFloat));
    lane.b.max_batch = max_batch_;
    lane.b.obs_size = obs_size_;
    lane.b.num_actions = num_actions_;
    lane.b.obs = lane.obs.data_ptr<float>();
    lane.b.legal = lane.legal.data_ptr<uint8_t>();
    lane.b.policy = lane.policy.data_ptr<float>();
    lane.b.value = lane.value.data_ptr<float>();
    lane.hook_arg = {this, static_cast<int>(i)};
    if (cuda_) {
      lane.start.emplace(cudaEventBlockingSync);  // timing enabled: no cudaEventDisableTiming
      lane.done.emplace(cudaEventBlockingSync);
    }
  }
  if (cuda_) {
    auto dev = [this](torch::ScalarType t) { return torch::dtype(t).device(device_); };
    dev_obs_ = torch::zeros({n, planes, h, w}, dev(torch::kFloat));
    dev_legal_ = torch::zeros({n, a}, dev(torch::kUInt8));
    dev_policy_ = torch::zeros({n, a}, dev(torch::kFloat));
    dev_value_ = torch::zeros({n}, dev(torch::kFloat));
    torch::cuda::synchronize();
  }
}

void TorchBackend::forward_into(const torch::Tensor& obs_in, const torch::Tensor& legal_in,
                                torch::Tensor policy, torch::Tensor value, int rows) {
  torch::Tensor obs = obs_in.narrow(0, 0, rows);
  if (dtype_ != torch::kFloat) obs = obs.to(dtype_);
  if (channels_last_) obs = obs.contiguous(torch::MemoryFormat::ChannelsLast);
  auto [logits, v] = net_->forward(obs);
  const torch::Tensor illegal = legal_in.narrow(0, 0, rows).eq(0);
  torch::Tensor probs = torch::softmax(
      logits.to(torch::kFloat).masked_fill(illegal, -std::numeric_limits<float>::infinity()), 1);
  // exp(-inf) is already 0; this also zeroes rows with no legal move (NaN after softmax).
  probs.masked_fill_(illegal, 0.0f);
  policy.narrow(0, 0, rows).copy_(probs);
  value.narrow(0, 0, rows).copy_(v.to(torch::kFloat).reshape({-1}));
}

void TorchBackend::enqueue(int lane_index, int n, bool hook) {
  ZP_CHECK(lane_index >= 0 && lane_index < lanes());
  ZP_CHECK(n >= 1 && n <= max_batch_);
  Lane& lane = lanes_[lane_index];
  ZP_CHECK_EQ(lane.pending, 0);  // submitted twice without a wait
  lane.pending = n;
  if (cuda_) return enqueue_cuda(lane, n, hook);
  if (!worker_.joinable()) {
    run_cpu(lane, n);
    lane.finished = true;
    if (hook) notify_done(lane_index);
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    lane.finished = false;
    lane.error = nullptr;
    jobs_.emplace_back(lane_index, hook);
  }
  cv_.notify_all();
}

void TorchBackend::run_cpu(Lane& lane, int n) {
  torch::InferenceMode inference;
  const int64_t t0 = steady_ns();
  forward_into(lane.obs, lane.legal, lane.policy, lane.value, n);
  busy_ns_ += steady_ns() - t0;
}

void TorchBackend::worker_loop() {
  at::init_num_threads();  // this thread's intra-op pool follows model.threads
  while (true) {
    std::pair<int, bool> job;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stop requested and nothing left
      job = jobs_.front();
      jobs_.pop_front();
      running_ = true;
    }
    Lane& lane = lanes_[job.first];
    std::exception_ptr error;
    try {
      run_cpu(lane, lane.pending);
    } catch (...) {
      error = std::current_exception();
    }
    if (job.second) notify_done(job.first);
    {
      std::lock_guard<std::mutex> l(mu_);
      lane.error = error;
      lane.finished = true;
      running_ = false;
    }
    cv_.notify_all();
  }
}

// Copy in, forward (a graph replay or eager), copy out, all on stream_ without blocking; the
// events bracket the lane's device work for wait() and the device-busy time.
void TorchBackend::enqueue_cuda(Lane& lane, int n, bool hook) {
  torch::InferenceMode inference;
  c10::cuda::CUDAStreamGuard guard(*stream_);
  int rows = n;
  at::cuda::CUDAGraph* graph = graphs_ ? graph_for(n, &rows) : nullptr;
  lane.start->record(*stream_);
  dev_obs_.narrow(0, 0, n).copy_(lane.obs.narrow(0, 0, n), /*non_blocking=*/true);
  dev_legal_.narrow(0, 0, n).copy_(lane.legal.narrow(0, 0, n), /*non_blocking=*/true);
  if (graph != nullptr) {
    graph->replay();  // rows n..bucket-1 are padding: stale inputs, outputs never read
  } else {
    forward_into(dev_obs_, dev_legal_, dev_policy_, dev_value_, n);
  }
  lane.policy.narrow(0, 0, n).copy_(dev_policy_.narrow(0, 0, n), /*non_blocking=*/true);
  lane.value.narrow(0, 0, n).copy_(dev_value_.narrow(0, 0, n), /*non_blocking=*/true);
  lane.done->record(*stream_);
  if (hook) {
    C10_CUDA_CHECK(cudaLaunchHostFunc(stream_->stream(), &TorchBackend::on_device_done,
                                      &lane.hook_arg));
  }
}

void TorchBackend::wait(int lane_index) {
  ZP_CHECK(lane_index >= 0 && lane_index < lanes());
  Lane& lane = lanes_[lane_index];
  if (lane.pending == 0) return;
  if (cuda_) {
    lane.done->synchronize();
    busy_ns_ += static_cast<int64_t>(static_cast<double>(lane.start->elapsed_time(*lane.done)) *
                                     1e6);
  } else if (worker_.joinable()) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&lane] { return lane.finished; });
    if (lane.error) {
      lane.pending = 0;
      std::rethrow_exception(lane.error);
    }
  }
  lane.pending = 0;
}

// Powers of two below max_batch, then max_batch: a batch of n pads to the smallest bucket
// >= n, so at most half of a replay is padding (the last bucket: less).
std::vector<int> TorchBackend::graph_buckets() const {
  std::vector<int> buckets;
  if (!graphs_) return buckets;
  for (int b = 1; b < max_batch_; b *= 2) buckets.push_back(b);
  buckets.push_back(max_batch_);
  return buckets;
}

at::cuda::CUDAGraph* TorchBackend::graph_for(int n, int* rows) {
  int bucket = 1;
  while (bucket < n) bucket *= 2;
  bucket = std::min(bucket, max_batch_);
  auto [it, fresh] = graphs_by_bucket_.try_emplace(bucket);
  Graph& g = it->second;
  if (fresh) {
    g.bucket = bucket;
    capture(g);
  }
  if (g.graph == nullptr) return nullptr;
  *rows = bucket;
  return g.graph.get();
}

// Warm-up first (cuDNN picks its algorithms, the allocator fills its cache: nothing of that
// may happen during a capture), then the capture of forward_into for `bucket` rows of the
// static tensors into the graph's private memory pool. Runs once per bucket, on the first
// batch that needs it. A failed capture leaves that bucket eager, with a warning.
void TorchBackend::capture(Graph& g) {
  try {
    for (int i = 0; i < 2; ++i) forward_into(dev_obs_, dev_legal_, dev_policy_, dev_value_, g.bucket);
    stream_->synchronize();
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    graph->capture_begin();
    forward_into(dev_obs_, dev_legal_, dev_policy_, dev_value_, g.bucket);
    graph->capture_end();
    g.graph = std::move(graph);
  } catch (const c10::Error& e) {
    log_warn("CUDA graph capture for batch " + std::to_string(g.bucket) +
             " failed; that bucket runs eagerly: " + e.what_without_backtrace());
    g.graph.reset();
  }
}

void TorchBackend::quiesce() {
  if (cuda_) {
    stream_->synchronize();
  } else if (worker_.joinable()) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return jobs_.empty() && !running_; });
  }
}

// The copy runs after every forward already submitted (they read the old weights) and before
// any later one: on CUDA in stream order on stream_, on the CPU after the worker went idle.
// Outstanding lanes stay outstanding: their wait() still returns their outputs.
void TorchBackend::load_weights(std::string_view checkpoint_bytes) {
  const DecodedCheckpoint ckpt = decode_checkpoint(checkpoint_bytes);
  check_compatible(ckpt.meta, game_, config_);
  deserialize_weights(ckpt.weights, staging_);
  quiesce();
  if (cuda_) {
    c10::cuda::CUDAStreamGuard guard(*stream_);
    copy_weights(staging_, net_);
    stream_->synchronize();
  } else {
    copy_weights(staging_, net_);
  }
  version_ = ckpt.meta.model_version;
}

}  // namespace

std::unique_ptr<NetworkBackend> make_torch_backend(const game::Game& game,
                                                   const config::ModelConfig& config,
                                                   int max_batch,
                                                   const std::string& checkpoint_path,
                                                   uint64_t seed, int lanes) {
  auto evaluator = std::make_unique<TorchBackend>(game, config, max_batch, seed, lanes);
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
