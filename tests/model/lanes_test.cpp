// The torch backend's lanes on the CPU (a worker thread runs the forwards), its device-busy
// time, and what precision auto and model.cuda_graphs resolve to without a GPU.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/error.h"
#include "shared/game/registry.h"
#include "shared/model/device.h"
#include "shared/model/network_backend.h"
#include "shared/model/trainer.h"
#include "tests/model/model_test_util.h"

namespace zp::model {
namespace {

using nn::BatchBuffers;
using test::copy_position;
using test::fill_positions;
using test::max_abs_diff;
using test::outputs;
using test::tiny_model;

TEST_CASE("torch backend: lanes give compute()'s outputs, in any wait order, on the CPU",
          "[unit][model]") {
  auto game = game::make_game("connect4");
  const int n = 12;
  auto single = make_torch_backend(*game, tiny_model(), n, "", 3);
  auto lanes = make_torch_backend(*game, tiny_model(), n, "", 3, 3);
  REQUIRE(lanes->lanes() == 3);
  CHECK(single->lanes() == 1);
  std::atomic<int> hooks{0};
  std::atomic<bool> other_thread{false};
  const std::thread::id caller = std::this_thread::get_id();
  lanes->set_done_hook([&](int) {
    ++hooks;
    if (std::this_thread::get_id() != caller) other_thread = true;
  });
  // Lane l holds positions seeded 20 + l; the single-lane backend computes each in turn.
  std::vector<std::vector<float>> want;
  for (int l = 0; l < 3; ++l) {
    fill_positions(*game, lanes->lane_buffers(l), n, 20 + l);
    fill_positions(*game, single->buffers(), n, 20 + l);
    single->compute(n - l);
    want.push_back(outputs(single->buffers(), n - l));
  }
  CHECK(lanes->device_busy_ns() == 0);
  lanes->submit(0, n);
  lanes->submit(1, n - 1);
  lanes->submit(2, n - 2);
  CHECK_THROWS_AS(lanes->submit(1, 1), CheckError);  // outstanding
  lanes->wait(2);
  lanes->wait(0);
  lanes->wait(1);
  for (int l = 0; l < 3; ++l) {
    INFO("lane " << l);
    CHECK(max_abs_diff(outputs(lanes->lane_buffers(l), n - l), want[l]) <= 1e-6f);
  }
  CHECK(hooks == 3);
  CHECK(other_thread);  // the forwards ran on the worker thread
  CHECK(lanes->device_busy_ns() > 0);
  // compute() still works beside the lanes and fires no hook.
  copy_position(lanes->lane_buffers(1), 0, lanes->buffers(), 0);
  lanes->compute(1);
  CHECK(hooks == 3);
  const size_t a = game->num_actions();
  const std::vector<float> got = outputs(lanes->buffers(), 1);  // row 0: policy, then value
  std::vector<float> row0(want[1].begin(), want[1].begin() + a);
  row0.push_back(want[1][static_cast<size_t>(n - 1) * a]);
  CHECK(max_abs_diff(got, row0) <= 1e-6f);
}

TEST_CASE("torch backend: a hot swap waits for forwards already submitted", "[unit][model]") {
  auto game = game::make_game("connect4");
  const config::ModelConfig cfg = tiny_model();
  auto ev = make_torch_backend(*game, cfg, 64, "", 1, 2);
  auto old_weights = make_torch_backend(*game, cfg, 64, "", 1);
  auto new_weights = make_torch_backend(*game, cfg, 64, "", 2);
  config::LearnerConfig learner;
  learner.device = "cpu";
  learner.threads = 1;
  Trainer trainer(*game, cfg, learner, 0, 2);  // the network of seed 2
  for (nn::Backend* b : {ev.get(), old_weights.get(), new_weights.get()})
    fill_positions(*game, b->buffers(), 64, 5);
  fill_positions(*game, ev->lane_buffers(1), 64, 5);
  old_weights->compute(64);
  new_weights->compute(64);
  ev->submit(0, 64);
  ev->load_weights(trainer.checkpoint_bytes(9));  // while lane 0 may still be running
  ev->submit(1, 64);
  ev->wait(0);
  ev->wait(1);
  CHECK(ev->model_version() == 9);
  CHECK(max_abs_diff(outputs(ev->lane_buffers(0), 64), outputs(old_weights->buffers(), 64)) <=
        1e-6f);
  CHECK(max_abs_diff(outputs(ev->lane_buffers(1), 64), outputs(new_weights->buffers(), 64)) <=
        1e-6f);
}

TEST_CASE("torch backend: device-busy time grows with each forward, one lane or several",
          "[unit][model]") {
  auto game = game::make_game("tictactoe");
  for (int lanes : {1, 2}) {
    INFO("lanes " << lanes);
    auto ev = make_torch_backend(*game, tiny_model(), 16, "", 1, lanes);
    fill_positions(*game, ev->buffers(), 16);
    ev->compute(16);
    const int64_t after_one = ev->device_busy_ns();
    CHECK(after_one > 0);
    ev->submit(0, 16);
    ev->wait(0);
    CHECK(ev->device_busy_ns() > after_one);
  }
}

TEST_CASE("torch backend: precision auto is fp32 and CUDA graphs are off on the CPU",
          "[unit][model]") {
  auto game = game::make_game("tictactoe");
  config::ModelConfig cfg = tiny_model();
  CHECK(config::ModelConfig{}.precision == "auto");  // the default
  CHECK(config::ModelConfig{}.cuda_graphs == "auto");
  cfg.precision = "auto";
  for (const char* graphs : {"auto", "on", "off"}) {
    INFO(graphs);
    cfg.cuda_graphs = graphs;
    auto ev = make_torch_backend(*game, cfg, 4);
    CHECK(ev->precision() == "fp32");
    CHECK_FALSE(ev->cuda_graphs());
    CHECK(ev->graph_buckets().empty());
  }
  if (!cuda_available()) CHECK(cuda_compute_capability(0) == 0);
  // precision auto is accepted with device cpu; an explicit half precision is not.
  CHECK_NOTHROW(config::load_config_string("model:\n  device: cpu\n  precision: auto\n", "t.yaml"));
  CHECK_THROWS_AS(config::load_config_string("model:\n  device: cpu\n  precision: bf16\n", "t.yaml"),
                  ConfigError);
  CHECK_THROWS_AS(config::load_config_string("model:\n  cuda_graphs: yes\n", "t.yaml"),
                  ConfigError);
}

}  // namespace
}  // namespace zp::model
