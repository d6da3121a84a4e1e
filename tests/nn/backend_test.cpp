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

}  // namespace
}  // namespace zp::nn
