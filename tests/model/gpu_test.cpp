// CUDA tests for the model library. Tagged [gpu] only: the runner skips them (exit 77) on a
// machine without a device; they are never faked.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "shared/game/registry.h"
#include "shared/model/device.h"
#include "shared/model/network_backend.h"
#include "shared/model/trainer.h"
#include "tests/model/model_test_util.h"

namespace zp::model {
namespace {

using nn::BatchBuffers;
using nn::make_uniform_backend;

using test::fill_positions;
using test::max_abs_diff;
using test::outputs;
using test::tiny_model;

// Outputs of the same network (same seed) on the CPU and on cuda:0 in `precision`.
struct Pair {
  std::unique_ptr<NetworkBackend> cpu, gpu;
};
Pair make_pair(const game::Game& game, const std::string& precision, int n) {
  config::ModelConfig gpu_cfg = tiny_model("cuda:0");
  gpu_cfg.blocks = 2;
  gpu_cfg.channels = 32;
  gpu_cfg.precision = precision;
  config::ModelConfig cpu_cfg = gpu_cfg;
  cpu_cfg.device = "cpu";
  cpu_cfg.precision = "fp32";
  Pair p{make_torch_backend(game, cpu_cfg, n, "", 11),
         make_torch_backend(game, gpu_cfg, n, "", 11)};
  fill_positions(game, p.cpu->buffers(), n);
  fill_positions(game, p.gpu->buffers(), n);
  return p;
}

TEST_CASE("gpu: host buffers are pinned, CPU and CUDA fp32 agree", "[gpu]") {
  REQUIRE(cuda_available());
  CHECK(resolve_device("auto") == "cuda:0");
  auto game = game::make_game("connect4");
  Pair p = make_pair(*game, "fp32", 64);
  CHECK(p.gpu->device() == "cuda:0");
  CHECK(is_pinned_host_memory(p.gpu->buffers().obs));
  CHECK(is_pinned_host_memory(p.gpu->buffers().policy));
  CHECK_FALSE(is_pinned_host_memory(p.cpu->buffers().obs));
  const BatchBuffers& gb = p.gpu->buffers();
  for (int n : {64, 1, 37}) {  // full, single and partial batches (legal-mask packing)
    INFO("batch " << n);
    // compute(n) must leave the inputs of rows >= n as the caller wrote them.
    const std::vector<float> obs_before(gb.obs, gb.obs + 64 * gb.obs_size);
    p.cpu->compute(n);
    p.gpu->compute(n);
    CHECK(max_abs_diff(outputs(p.cpu->buffers(), n), outputs(p.gpu->buffers(), n)) < 1e-4f);
    CHECK(std::equal(obs_before.begin(), obs_before.end(), gb.obs));
  }
}

TEST_CASE("gpu: fp16 and bf16 inference stay close to fp32 and mask exactly", "[gpu]") {
  REQUIRE(cuda_available());
  auto game = game::make_game("gomoku", {9});
  for (const char* precision : {"fp16", "bf16"}) {
    INFO("precision " << precision);
    Pair p = make_pair(*game, precision, 32);
    CHECK(p.gpu->precision() == precision);
    p.cpu->compute(32);
    p.gpu->compute(32);
    const BatchBuffers& b = p.gpu->buffers();
    for (int i = 0; i < 32; ++i) {
      double sum = 0;
      for (int a = 0; a < b.num_actions; ++a) {
        const float v = b.policy[i * b.num_actions + a];
        if (!b.legal[i * b.num_actions + a]) CHECK(v == 0.0f);
        sum += v;
      }
      CHECK(sum == Approx(1.0).margin(1e-3));
      CHECK(std::abs(b.value[i]) <= 1.0f);
    }
    const float tolerance = std::string(precision) == "fp16" ? 1e-2f : 5e-2f;
    CHECK(max_abs_diff(outputs(p.cpu->buffers(), 32), outputs(b, 32)) < tolerance);
  }
}

TEST_CASE("gpu: hot swap on CUDA in half precision", "[gpu]") {
  REQUIRE(cuda_available());
  auto game = game::make_game("connect4");
  config::LearnerConfig learner;
  learner.device = "cuda:0";
  learner.threads = 1;
  Trainer trainer(*game, tiny_model(), learner, 0, 3);
  CHECK(trainer.device() == "cuda:0");
  const std::string bytes = trainer.checkpoint_bytes(5);

  config::ModelConfig cfg = tiny_model("cuda:0");
  cfg.precision = "fp16";
  auto gpu = make_torch_backend(*game, cfg, 16, "", 1);
  auto cpu = make_torch_backend(*game, tiny_model(), 16, "", 1);
  gpu->load_weights(bytes);
  cpu->load_weights(bytes);
  CHECK(gpu->model_version() == 5);
  fill_positions(*game, gpu->buffers(), 16);
  fill_positions(*game, cpu->buffers(), 16);
  gpu->compute(16);
  cpu->compute(16);
  CHECK(max_abs_diff(outputs(cpu->buffers(), 16), outputs(gpu->buffers(), 16)) < 1e-2f);
}

TEST_CASE("gpu: the trainer's loss falls on CUDA", "[gpu]") {
  REQUIRE(cuda_available());
  auto game = game::make_game("connect4");
  config::LearnerConfig learner;
  learner.device = "cuda";
  learner.threads = 1;
  learner.optimizer = "adam";
  learner.lr = 0.01;
  Trainer trainer(*game, tiny_model(), learner);
  const int n = 32;
  auto holder = make_uniform_backend(*game, n);
  BatchBuffers& b = holder->buffers();
  fill_positions(*game, b, n);
  holder->compute(n);  // uniform targets over the legal moves
  std::vector<float> value(n);
  for (int i = 0; i < n; ++i) value[i] = i % 2 ? 1.0f : -1.0f;
  const TrainStats first = trainer.train_step(b.obs, b.policy, value.data(), n);
  TrainStats last;
  for (int i = 0; i < 50; ++i) last = trainer.train_step(b.obs, b.policy, value.data(), n);
  CHECK(last.total_loss < 0.7 * first.total_loss);
}

// A CUDA backend of a small network with graphs on or off (same seed: same weights).
std::unique_ptr<NetworkBackend> cuda_backend(const game::Game& game, const std::string& graphs,
                                             const std::string& precision, int max_batch,
                                             int lanes = 1) {
  config::ModelConfig cfg = tiny_model("cuda:0");
  cfg.blocks = 2;
  cfg.channels = 32;
  cfg.precision = precision;
  cfg.cuda_graphs = graphs;
  return make_torch_backend(game, cfg, max_batch, "", 11, lanes);
}

TEST_CASE("gpu: CUDA graphs give eager outputs at every batch size, padded to their buckets",
          "[gpu]") {
  REQUIRE(cuda_available());
  auto game = game::make_game("connect4");
  const int max_batch = 96;
  for (const char* precision : {"fp32", "bf16"}) {
    INFO("precision " << precision);
    auto graphs = cuda_backend(*game, "on", precision, max_batch);
    auto eager = cuda_backend(*game, "off", precision, max_batch);
    REQUIRE(graphs->cuda_graphs());
    CHECK_FALSE(eager->cuda_graphs());
    CHECK(graphs->graph_buckets() == std::vector<int>{1, 2, 4, 8, 16, 32, 64, 96});
    CHECK(eager->graph_buckets().empty());
    fill_positions(*game, graphs->buffers(), max_batch, 3);
    fill_positions(*game, eager->buffers(), max_batch, 3);
    // Exact buckets, sizes padded up (3 -> 4, 33 -> 64, 65 -> 96) and a repeat (a replay).
    for (int n : {1, 3, 4, 33, 64, 65, 96, 33}) {
      INFO("batch " << n);
      graphs->compute(n);
      eager->compute(n);
      const float tolerance = std::string(precision) == "fp32" ? 1e-5f : 1e-2f;
      CHECK(max_abs_diff(outputs(graphs->buffers(), n), outputs(eager->buffers(), n)) < tolerance);
    }
  }
}

TEST_CASE("gpu: CUDA graphs see hot-swapped weights without a re-capture", "[gpu]") {
  REQUIRE(cuda_available());
  auto game = game::make_game("connect4");
  config::LearnerConfig learner;
  learner.device = "cpu";
  learner.threads = 1;
  config::ModelConfig shape = tiny_model();
  shape.blocks = 2;
  shape.channels = 32;
  Trainer trainer(*game, shape, learner, 0, 4);
  auto graphs = cuda_backend(*game, "on", "fp32", 32);
  auto eager = cuda_backend(*game, "off", "fp32", 32);
  fill_positions(*game, graphs->buffers(), 32);
  fill_positions(*game, eager->buffers(), 32);
  graphs->compute(32);  // captures bucket 32 with the initial weights
  const std::vector<float> before = outputs(graphs->buffers(), 32);
  graphs->load_weights(trainer.checkpoint_bytes(3));
  eager->load_weights(trainer.checkpoint_bytes(3));
  graphs->compute(32);
  eager->compute(32);
  CHECK(max_abs_diff(outputs(graphs->buffers(), 32), before) > 1e-3f);
  CHECK(max_abs_diff(outputs(graphs->buffers(), 32), outputs(eager->buffers(), 32)) < 1e-5f);
}

TEST_CASE("gpu: lanes on a CUDA stream, the done hook and device-busy time", "[gpu]") {
  REQUIRE(cuda_available());
  auto game = game::make_game("connect4");
  for (const char* graphs : {"on", "off"}) {
    INFO("graphs " << graphs);
    auto lanes = cuda_backend(*game, graphs, "fp32", 64, 2);
    auto single = cuda_backend(*game, "off", "fp32", 64);
    std::atomic<int> hooks{0};
    lanes->set_done_hook([&hooks](int) { ++hooks; });
    CHECK(is_pinned_host_memory(lanes->lane_buffers(1).obs));
    CHECK(is_pinned_host_memory(lanes->lane_buffers(1).value));
    std::vector<std::vector<float>> want;
    for (int l = 0; l < 2; ++l) {
      fill_positions(*game, lanes->lane_buffers(l), 64, 30 + l);
      fill_positions(*game, single->buffers(), 64, 30 + l);
      single->compute(64 - 7 * l);
      want.push_back(outputs(single->buffers(), 64 - 7 * l));
    }
    lanes->submit(0, 64);
    lanes->submit(1, 57);
    lanes->wait(1);
    lanes->wait(0);
    CHECK(max_abs_diff(outputs(lanes->lane_buffers(0), 64), want[0]) < 1e-5f);
    CHECK(max_abs_diff(outputs(lanes->lane_buffers(1), 57), want[1]) < 1e-5f);
    CHECK(hooks == 2);
    CHECK(lanes->device_busy_ns() > 0);
  }
}

TEST_CASE("gpu: precision auto is bf16 from compute capability 8, and close to fp32", "[gpu]") {
  REQUIRE(cuda_available());
  auto game = game::make_game("gomoku", {9});
  auto automatic = cuda_backend(*game, "on", "auto", 32);
  auto fp32 = cuda_backend(*game, "on", "fp32", 32);
  const int cc = cuda_compute_capability(0);
  INFO("compute capability " << cc << ", auto resolved to " << automatic->precision());
  CHECK(automatic->precision() == (cc >= 80 ? "bf16" : "fp16"));
  fill_positions(*game, automatic->buffers(), 32);
  fill_positions(*game, fp32->buffers(), 32);
  automatic->compute(32);
  fp32->compute(32);
  CHECK(max_abs_diff(outputs(automatic->buffers(), 32), outputs(fp32->buffers(), 32)) < 5e-2f);
}

}  // namespace
}  // namespace zp::model
