// The trainer on the CPU: overfitting a fixed batch, schedules, and exact resume.
#include "shared/core/fs.h"
#include "shared/model/trainer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "shared/core/error.h"
#include "shared/core/rng.h"
#include "shared/game/registry.h"
#include "shared/model/checkpoint.h"
#include "shared/nn/scripted.h"
#include "tests/model/model_test_util.h"
#include "tests/test_support.h"

namespace zp::model {
namespace {

using nn::BatchBuffers;
using nn::ScriptedBackend;

using Catch::Matchers::Contains;

// A fixed batch: random positions, a random distribution over the legal moves, outcome +-1.
struct Batch {
  int n = 0;
  std::vector<float> obs, policy, value;
};

Batch make_batch(const game::Game& game, int n, uint64_t seed = 3) {
  ScriptedBackend holder(game, n, [](const float*, const uint8_t*, float*, float*) {});
  BatchBuffers& b = holder.buffers();
  test::fill_positions(game, b, n, seed);
  Batch batch;
  batch.n = n;
  batch.obs.assign(b.obs, b.obs + static_cast<size_t>(n) * b.obs_size);
  batch.policy.assign(static_cast<size_t>(n) * b.num_actions, 0.0f);
  batch.value.resize(n);
  Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    for (int a = 0; a < b.num_actions; ++a) {
      if (!b.legal[i * b.num_actions + a]) continue;
      const float w = static_cast<float>(rng.uniform());
      batch.policy[i * b.num_actions + a] = w * w;
      sum += w * w;
    }
    for (int a = 0; a < b.num_actions; ++a) batch.policy[i * b.num_actions + a] /= sum;
    batch.value[i] = rng.uniform_int(2) ? 1.0f : -1.0f;
  }
  return batch;
}

config::LearnerConfig cpu_learner(const std::string& optimizer) {
  config::LearnerConfig l;
  l.device = "cpu";
  l.threads = 1;
  l.optimizer = optimizer;
  l.lr = optimizer == "adam" ? 0.01 : 0.05;
  return l;
}

TEST_CASE("trainer: loss falls when overfitting a fixed batch", "[unit][model]") {
  auto game = game::make_game("connect4");
  const Batch batch = make_batch(*game, 32);
  for (const char* optimizer : {"sgd", "adam"}) {
    INFO("optimizer " << optimizer);
    Trainer trainer(*game, test::tiny_model(), cpu_learner(optimizer));
    const TrainStats first =
        trainer.train_step(batch.obs.data(), batch.policy.data(), batch.value.data(), batch.n);
    TrainStats last;
    for (int i = 0; i < 60; ++i) {
      last = trainer.train_step(batch.obs.data(), batch.policy.data(), batch.value.data(), batch.n);
    }
    CHECK(trainer.step() == 61);
    CHECK(last.step == 61);
    CHECK(first.total_loss == Approx(first.policy_loss + first.value_loss));
    CHECK(std::isfinite(last.total_loss));
    CHECK(last.value_loss < 0.5 * first.value_loss);
    CHECK(last.policy_loss < first.policy_loss);
    CHECK(last.total_loss < 0.7 * first.total_loss);
  }
}

TEST_CASE("trainer: rows without a policy target add nothing to the policy loss",
          "[unit][model]") {
  // The batch twice over, the second copy with zero policies (fast playout-cap searches).
  // BatchNorm sees the same statistics, so the logits are the same: the policy loss must be
  // the first copy's mean, not half of it, and the value loss counts every row.
  auto game = game::make_game("connect4");
  const Batch batch = make_batch(*game, 16);
  Batch doubled = batch;
  doubled.n = 32;
  doubled.obs.insert(doubled.obs.end(), batch.obs.begin(), batch.obs.end());
  doubled.policy.resize(batch.policy.size() * 2, 0.0f);
  doubled.value.insert(doubled.value.end(), batch.value.begin(), batch.value.end());
  Trainer a(*game, test::tiny_model(), cpu_learner("sgd"), 0, 5);
  Trainer b(*game, test::tiny_model(), cpu_learner("sgd"), 0, 5);
  const TrainStats sa = a.train_step(batch.obs.data(), batch.policy.data(), batch.value.data(), 16);
  const TrainStats sb =
      b.train_step(doubled.obs.data(), doubled.policy.data(), doubled.value.data(), 32);
  CHECK(sb.policy_loss == Approx(sa.policy_loss).epsilon(1e-4));
  CHECK(sb.value_loss == Approx(sa.value_loss).epsilon(1e-4));
  // A batch with no policy target at all trains the value only.
  std::vector<float> none(batch.policy.size(), 0.0f);
  CHECK(a.train_step(batch.obs.data(), none.data(), batch.value.data(), 16).policy_loss == 0.0);
}

TEST_CASE("trainer: cosine schedule and config errors", "[unit][model]") {
  auto game = game::make_game("tictactoe");
  const Batch batch = make_batch(*game, 4);
  config::LearnerConfig l = cpu_learner("sgd");
  l.lr = 0.1;
  l.lr_schedule = "cosine";
  Trainer trainer(*game, test::tiny_model(), l, 4);
  std::vector<double> lrs;
  for (int i = 0; i < 6; ++i) {
    lrs.push_back(
        trainer.train_step(batch.obs.data(), batch.policy.data(), batch.value.data(), 4).lr);
  }
  CHECK(lrs[0] == Approx(0.1));
  CHECK(lrs[1] == Approx(0.1 * 0.5 * (1 + std::cos(M_PI / 4))));
  CHECK(lrs[2] == Approx(0.05));
  CHECK(lrs[4] == Approx(0.0).margin(1e-12));
  CHECK(lrs[5] == Approx(0.0).margin(1e-12));

  // Over time (train.max_seconds): the schedule follows set_time_progress, and with a step
  // limit as well, whichever of the two is further along.
  Trainer timed(*game, test::tiny_model(), l, 0);
  CHECK(timed.current_lr() == Approx(0.1));
  timed.set_time_progress(0.5);
  CHECK(timed.train_step(batch.obs.data(), batch.policy.data(), batch.value.data(), 4).lr ==
        Approx(0.05));
  timed.set_time_progress(1.7);  // past the budget: clamped, lr 0
  CHECK(timed.current_lr() == Approx(0.0).margin(1e-12));
  Trainer both(*game, test::tiny_model(), l, 4);
  both.set_time_progress(0.25);  // step 0 of 4 is behind the clock: time rules
  CHECK(both.current_lr() == Approx(0.1 * 0.5 * (1 + std::cos(M_PI / 4))));
  for (int i = 0; i < 2; ++i) both.train_step(batch.obs.data(), batch.policy.data(), batch.value.data(), 4);
  CHECK(both.current_lr() == Approx(0.05));  // step 2 of 4 is ahead: steps rule

  // The config rejects these for the user (config_test.cpp); past it they are bugs.
  l.lr_schedule = "step";
  CHECK_THROWS_AS(Trainer(*game, test::tiny_model(), l, 10), CheckError);
  l = cpu_learner("rmsprop");
  CHECK_THROWS_AS(Trainer(*game, test::tiny_model(), l), CheckError);
  CHECK_THROWS_AS(config::load_config_string("learner:\n  optimizer: rmsprop\n", "t.yaml", {}),
                  ConfigError);
  CHECK_THROWS_AS(config::load_config_string("learner:\n  lr_schedule: step\n", "t.yaml", {}),
                  ConfigError);
}

TEST_CASE("trainer: training state resumes exactly", "[unit][model]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/training_state.bin";
  auto game = game::make_game("connect4");
  const Batch a = make_batch(*game, 16, 1), b = make_batch(*game, 16, 2);
  for (const char* optimizer : {"sgd", "adam"}) {
    INFO("optimizer " << optimizer);
    config::LearnerConfig l = cpu_learner(optimizer);
    l.lr_schedule = "cosine";
    Trainer original(*game, test::tiny_model(), l, 100, 1);
    for (int i = 0; i < 3; ++i)
      original.train_step(a.obs.data(), a.policy.data(), a.value.data(), 16);
    original.save_training_state(path);

    Trainer resumed(*game, test::tiny_model(), l, 100, 99);  // other seed: other weights
    CHECK(resumed.step() == 0);
    resumed.load_training_state(path);
    CHECK(resumed.step() == 3);
    CHECK(resumed.current_lr() == original.current_lr());
    // The next steps match to the last bit only if weights, BN statistics and the optimizer's
    // momenta were all restored.
    for (int i = 0; i < 2; ++i) {
      const TrainStats x = original.train_step(b.obs.data(), b.policy.data(), b.value.data(), 16);
      const TrainStats y = resumed.train_step(b.obs.data(), b.policy.data(), b.value.data(), 16);
      CHECK(x.total_loss == y.total_loss);
      CHECK(x.step == y.step);
    }
    CHECK(original.checkpoint_bytes(1) == resumed.checkpoint_bytes(1));
  }
}

TEST_CASE("trainer: bad training state files", "[unit][model]") {
  test::TempDir dir;
  const std::string path = dir.path() + "/state.bin";
  auto game = game::make_game("tictactoe");
  Trainer sgd(*game, test::tiny_model(), cpu_learner("sgd"));
  CHECK_THROWS_AS(sgd.load_training_state(path), IoError);
  sgd.save_training_state(path);

  Trainer adam(*game, test::tiny_model(), cpu_learner("adam"));
  CHECK_THROWS_WITH(adam.load_training_state(path),
                    Contains("training state is for optimizer sgd, config wants adam"));

  config::ModelConfig wider = test::tiny_model();
  wider.channels = 16;
  Trainer other_shape(*game, wider, cpu_learner("sgd"));
  CHECK_THROWS_WITH(other_shape.load_training_state(path), Contains("channels: 8 vs 16"));

  std::string bytes = zp::read_file(path);
  REQUIRE(bytes.size() > 100);
  zp::write_file_atomic(path, bytes.substr(0, bytes.size() - 20));
  CHECK_THROWS_WITH(sgd.load_training_state(path), Contains("truncated"));
  bytes[bytes.size() / 2] ^= 0x10;
  zp::write_file_atomic(path, bytes);
  CHECK_THROWS_WITH(sgd.load_training_state(path), Contains("checksum mismatch"));
}

}  // namespace
}  // namespace zp::model
