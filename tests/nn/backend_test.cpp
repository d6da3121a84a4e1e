// The torch-free backends: the scripted fake and the uniform backend.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "shared/core/error.h"
#include "shared/game/registry.h"
#include "shared/nn/backend.h"
#include "shared/nn/scripted.h"
#include "tests/model/model_test_util.h"

namespace zp::nn {
namespace {

using test::fill_positions;

TEST_CASE("scripted backend: runs the script, masks, counts calls", "[unit][nn]") {
  auto game = game::make_game("tictactoe");
  // Script: all mass on action 4 (the centre), value = first observation float - 0.5.
  ScriptedBackend ev(*game, 4, [](const float* obs, const uint8_t*, float* policy, float* value) {
    policy[4] = 3.0f;
    *value = obs[0] * 5.0f - 0.5f;
  });
  BatchBuffers& b = ev.buffers();
  fill_positions(*game, b, 4);
  std::fill(b.legal, b.legal + 9, 1);  // position 0: centre legal
  b.obs[0] = 1.0f;                     // value 4.5 -> clamped to 1
  std::fill(b.legal + 9, b.legal + 18, 1);
  b.legal[9 + 4] = 0;        // position 1: centre illegal -> uniform over 8
  b.obs[b.obs_size] = 0.0f;  // value -0.5
  ev.compute(2);
  CHECK(b.policy[4] == 1.0f);
  CHECK(b.policy[0] == 0.0f);
  CHECK(b.value[0] == 1.0f);
  CHECK(b.policy[9 + 4] == 0.0f);
  CHECK(b.policy[9 + 0] == Approx(1.0 / 8));
  CHECK(b.value[1] == -0.5f);
  ev.compute(1);
  ev.compute(4);
  CHECK(ev.calls() == 3);
  CHECK(ev.positions() == 7);
  CHECK(ev.batch_sizes() == std::vector<int>{2, 1, 4});
  ev.reset_counters();
  CHECK(ev.calls() == 0);
  CHECK_THROWS_AS(ev.compute(5), CheckError);
}

TEST_CASE("uniform backend: equal priors on legal moves", "[unit][nn]") {
  auto game = game::make_game("connect4");
  auto ev = make_uniform_backend(*game, 2);
  BatchBuffers& b = ev->buffers();
  fill_positions(*game, b, 2);
  std::fill(b.legal, b.legal + 7, 0);
  b.legal[2] = b.legal[5] = 1;
  ev->compute(1);
  CHECK(b.policy[2] == 0.5f);
  CHECK(b.policy[5] == 0.5f);
  CHECK(b.policy[0] == 0.0f);
  CHECK(b.value[0] == 0.0f);
}

TEST_CASE("uniform and scripted backends: lanes have their own buffers and fire the done hook",
          "[unit][nn]") {
  auto game = game::make_game("connect4");
  auto uniform = make_uniform_backend(*game, 3, 2);
  ScriptedBackend scripted(*game, 3,
                           [](const float* obs, const uint8_t*, float* policy, float* value) {
                             policy[0] = 1.0f;
                             *value = obs[0] > 0.5f ? 0.5f : -0.5f;
                           },
                           2);
  for (Backend* b : {uniform.get(), static_cast<Backend*>(&scripted)}) {
    INFO(b->describe());
    REQUIRE(b->lanes() == 2);
    CHECK(&b->lane_buffers(0) == &b->buffers());
    CHECK(b->lane_buffers(1).obs != b->lane_buffers(0).obs);
    CHECK(b->lane_buffers(1).policy != b->lane_buffers(0).policy);
    CHECK_THROWS_AS(b->lane_buffers(2), CheckError);
    std::vector<int> done;
    b->set_done_hook([&done](int lane) { done.push_back(lane); });
    for (int lane : {0, 1}) {
      BatchBuffers& lb = b->lane_buffers(lane);
      fill_positions(*game, lb, 3, 11 + lane);
      std::fill(lb.legal, lb.legal + lb.num_actions, 1);
      lb.obs[0] = static_cast<float>(lane);  // lane 1: value +0.5 from the script
    }
    b->submit(1, 2);
    b->submit(0, 3);
    b->wait(0);
    b->wait(1);
    b->wait(1);  // nothing outstanding: returns at once
    CHECK(done == std::vector<int>{1, 0});
    b->compute(1);  // compute() is not a submit: no hook
    CHECK(done.size() == 2);
    for (int lane : {0, 1}) {
      const BatchBuffers& lb = b->lane_buffers(lane);
      double sum = 0;
      for (int a = 0; a < lb.num_actions; ++a) sum += lb.policy[a];
      CHECK(sum == Approx(1.0));
    }
  }
  CHECK(scripted.lane_buffers(0).value[0] == -0.5f);
  CHECK(scripted.lane_buffers(1).value[0] == 0.5f);
  CHECK(scripted.batch_sizes() == std::vector<int>{2, 3, 1});
}

TEST_CASE("scripted backend: a lane submitted twice without a wait is a CheckError",
          "[unit][nn]") {
  auto game = game::make_game("tictactoe");
  ScriptedBackend b(*game, 2, [](const float*, const uint8_t*, float*, float*) {}, 2);
  fill_positions(*game, b.lane_buffers(0), 2);
  b.submit(0, 2);
  CHECK(b.outstanding() == 1);
  CHECK_THROWS_AS(b.submit(0, 1), CheckError);
  CHECK_THROWS_AS(b.compute(1), CheckError);  // compute() uses lane 0, which is outstanding
  b.wait(0);
  CHECK(b.outstanding() == 0);
  CHECK_NOTHROW(b.submit(0, 1));
  // A one-lane backend's default submit() evaluates lane 0 and knows no other lane.
  auto one = make_uniform_backend(*game, 2);
  CHECK(one->lanes() == 1);
  CHECK_THROWS_AS(one->submit(1, 1), CheckError);
}

}  // namespace
}  // namespace zp::nn
