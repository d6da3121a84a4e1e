// The batch-of-games loop on its own (no actor, no network): game limits, what a record holds,
// the visit policy recorded at each position, and sequence numbers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/error.h"
#include "shared/data/record.h"
#include "shared/game/registry.h"
#include "shared/nn/backend.h"
#include "shared/nn/scripted.h"
#include "shared/selfplay/selfplay.h"

namespace zp::selfplay {
namespace {

config::Config tictactoe_config(int games, int simulations) {
  return config::load_config_string("game:\n  name: tictactoe\n"
                                    "search:\n  simulations: " + std::to_string(simulations) +
                                        "\n  leaves_per_round: 2\n"
                                        "actors:\n  games_per_actor: " + std::to_string(games) +
                                        "\n",
                                    "selfplay_test.yaml");
}

// Plays until the loop says it is done (bounded, so a bug cannot hang the test).
std::vector<data::GameRecord> play_all(SelfPlayLoop& loop) {
  std::vector<data::GameRecord> records;
  for (int i = 0; i < 100000 && !loop.all_done(); ++i) loop.round(&records);
  REQUIRE(loop.all_done());
  return records;
}

TEST_CASE("selfplay: the game limit is exact, with more games at once than the limit needs",
          "[unit][selfplay]") {
  auto game = game::make_game("tictactoe");
  const config::Config cfg = tictactoe_config(4, 16);
  auto backend = nn::make_uniform_backend(*game, SelfPlayLoop::batch_capacity(cfg));
  SelfPlayLoop loop(*game, cfg, *backend, 3, 42);
  loop.set_game_limit(6);
  const auto records = play_all(loop);
  CHECK(records.size() == 6);
  CHECK(loop.stats().games == 6);
  CHECK(loop.live_games() == 0);
  uint64_t positions = 0;
  for (const auto& r : records) positions += r.num_positions();
  CHECK(loop.stats().positions == positions);
  // Done means done: more rounds start nothing.
  std::vector<data::GameRecord> more;
  loop.round(&more);
  CHECK(more.empty());
}

TEST_CASE("selfplay: records replay, name the actor, game and model, and number in sequence",
          "[unit][selfplay]") {
  auto game = game::make_game("tictactoe");
  const config::Config cfg = tictactoe_config(3, 16);
  auto backend = nn::make_uniform_backend(*game, SelfPlayLoop::batch_capacity(cfg));
  SelfPlayLoop loop(*game, cfg, *backend, 7, 1);
  loop.set_game_limit(9);
  loop.set_next_sequence(1000);
  loop.set_model_version(5);
  const auto records = play_all(loop);
  REQUIRE(records.size() == 9);
  std::set<uint64_t> sequences;
  for (const auto& r : records) {
    CHECK(r.actor_id == 7);
    CHECK(r.model_version == 5);
    CHECK(r.game_name == "tictactoe");
    CHECK(r.num_actions == game->num_actions());
    CHECK_NOTHROW(data::validate_record(r, *game));  // legal moves, result matches the game
    sequences.insert(r.sequence);
  }
  // One sequence number per started game, consecutive from the first one set.
  CHECK(sequences.size() == 9);
  CHECK(*sequences.begin() == 1000);
  CHECK(*sequences.rbegin() == 1008);
}

TEST_CASE("selfplay: each position records the root's visit distribution", "[unit][selfplay]") {
  auto game = game::make_game("connect4");
  // All prior mass on column 3 (action 3) when legal: the search visits it most.
  config::Config cfg = config::load_config_string(
      "game:\n  name: connect4\nsearch:\n  simulations: 64\n  leaves_per_round: 1\n"
      "  temperature_moves: 0\n  dirichlet_fraction: 0\nactors:\n  games_per_actor: 2\n",
      "selfplay_test.yaml");
  nn::ScriptedBackend backend(*game, SelfPlayLoop::batch_capacity(cfg),
                              [](const float*, const uint8_t*, float* policy, float* value) {
                                policy[3] = 1.0f;
                                *value = 0.0f;
                              });
  SelfPlayLoop loop(*game, cfg, backend, 0, 9);
  loop.set_game_limit(2);
  const auto records = play_all(loop);
  REQUIRE(records.size() == 2);
  for (const auto& r : records) {
    auto state = game->new_initial_state();
    std::vector<game::Action> legal;
    for (size_t i = 0; i < r.num_positions(); ++i) {
      INFO("position " << i);
      state->legal_actions(&legal);
      double sum = 0.0, best = -1.0, played = 0.0;
      for (uint32_t k = r.policy_offsets[i]; k < r.policy_offsets[i + 1]; ++k) {
        const data::PolicyEntry& e = r.policy[k];
        CHECK(std::find(legal.begin(), legal.end(), e.action) != legal.end());
        CHECK(e.prob > 0.0f);
        sum += e.prob;
        best = std::max(best, static_cast<double>(e.prob));
        if (e.action == r.moves[i]) played = e.prob;
      }
      CHECK(sum == Approx(1.0).margin(1e-4));
      // Temperature 0 from the first move: the played move is a most visited one.
      CHECK(played == best);
      // On the empty board the prior's favourite gets most of the visits.
      if (i == 0) CHECK(r.moves[0] == 3);
      if (i == 0) CHECK(best > 0.5);
      state->apply(r.moves[i]);
    }
    CHECK(state->is_terminal());
  }
}

}  // namespace
TEST_CASE("selfplay: playout caps mark about full_search_prob of the positions as targets",
          "[unit][selfplay]") {
  auto game = game::make_game("tictactoe");
  for (const char* algorithm : {"puct", "gumbel"}) {
    INFO(algorithm);
    config::Config cfg = config::load_config_string(
        std::string("game:\n  name: tictactoe\nsearch:\n  algorithm: ") + algorithm +
            "\n  simulations: 24\n  fast_simulations: 4\n  full_search_prob: 0.25\n"
            "actors:\n  games_per_actor: 8\n",
        "selfplay_test.yaml");
    auto backend = nn::make_uniform_backend(*game, SelfPlayLoop::batch_capacity(cfg));
    SelfPlayLoop loop(*game, cfg, *backend, 0, 5);
    loop.set_game_limit(120);
    const auto records = play_all(loop);
    size_t positions = 0, full = 0;
    for (const auto& r : records) {
      REQUIRE(r.flags.size() == r.num_positions());
      for (size_t i = 0; i < r.num_positions(); ++i) full += r.policy_target(i);
      positions += r.num_positions();
    }
    // ~1000 positions: 25% +- 1.4% (one standard deviation).
    CHECK(static_cast<double>(full) / positions == Approx(0.25).margin(0.06));
    // Fewer evaluations than full searches everywhere would need (24 per move).
    CHECK(loop.stats().evals < positions * 14);

    cfg.search.fast_simulations = 0;
    cfg.search.full_search_prob = 1.0;
    SelfPlayLoop all(*game, cfg, *backend, 0, 5);
    all.set_game_limit(10);
    for (const auto& r : play_all(all))
      for (size_t i = 0; i < r.num_positions(); ++i) CHECK(r.policy_target(i));
  }
}

TEST_CASE("selfplay: gumbel records the improved policy and plays legal full games",
          "[unit][selfplay]") {
  auto game = game::make_game("connect4");
  config::Config cfg = config::load_config_string(
      "game:\n  name: connect4\nsearch:\n  algorithm: gumbel\n  simulations: 16\n"
      "  leaves_per_round: 4\nactors:\n  games_per_actor: 4\n",
      "selfplay_test.yaml");
  nn::ScriptedBackend backend(*game, SelfPlayLoop::batch_capacity(cfg),
                              [](const float*, const uint8_t*, float* policy, float* value) {
                                policy[3] = 1.0f;
                                *value = 0.0f;
                              });
  SelfPlayLoop loop(*game, cfg, backend, 0, 9);
  loop.set_game_limit(4);
  for (const auto& r : play_all(loop)) {
    CHECK_NOTHROW(data::validate_record(r, *game));
    for (size_t i = 0; i < r.num_positions(); ++i) {
      double sum = 0.0;
      for (uint32_t k = r.policy_offsets[i]; k < r.policy_offsets[i + 1]; ++k)
        sum += r.policy[k].prob;
      CHECK(sum == Approx(1.0).margin(1e-4));
    }
  }
}

// A deterministic, position-dependent network for tictactoe: the priors and the value depend
// on the observation, so a loop that scattered one lane's outputs into another lane's trees
// would play different games.
void tictactoe_script(const float* obs, const uint8_t*, float* policy, float* value) {
  float v = 0.0f;
  for (int a = 0; a < 9; ++a) {
    policy[a] = 1.0f + 2.0f * obs[a] + 0.25f * static_cast<float>(a % 4);
    v += obs[a] * static_cast<float>(a % 3 - 1) - obs[9 + a] * 0.2f;
  }
  *value = 0.3f * v;
}

struct Played {
  std::vector<std::vector<game::Action>> games;  // the move lists, sorted
  LoopStats stats;
  int submits = 0;
};

// Plays one game per slot with actors.pipeline = `pipeline` (a fixed seed and budget).
Played play_pipelined(int pipeline, int games) {
  auto game = game::make_game("tictactoe");
  config::Config cfg = tictactoe_config(games, 24);
  cfg.actors.pipeline = pipeline;
  nn::ScriptedBackend backend(*game, SelfPlayLoop::batch_capacity(cfg), tictactoe_script,
                              pipeline);
  Played p;
  std::set<int> submitted;  // lanes submitted in the current round
  SelfPlayLoop loop(*game, cfg, backend, 0, 77, [&](int lane, int n) {
    CHECK(n <= SelfPlayLoop::batch_capacity(cfg));
    ++p.submits;
    submitted.insert(lane);
    backend.submit(lane, n);
  });
  loop.set_game_limit(games);
  std::vector<data::GameRecord> records;
  bool all_in_flight = false;
  for (int i = 0; i < 100000 && !loop.all_done(); ++i) {
    submitted.clear();
    loop.round(&records);
    // Pipelined, a round returns with each batch it submitted still in flight (not waited
    // for); without pipelining it waits for its one batch.
    CHECK(backend.outstanding() == (pipeline > 1 ? static_cast<int>(submitted.size()) : 0));
    all_in_flight = all_in_flight || backend.outstanding() == pipeline;
  }
  if (pipeline > 1) CHECK(all_in_flight);  // the groups' evaluations did overlap
  REQUIRE(loop.all_done());
  CHECK(backend.outstanding() == 0);
  REQUIRE(records.size() == static_cast<size_t>(games));
  for (const auto& r : records) {
    CHECK_NOTHROW(data::validate_record(r, *game));
    p.games.push_back(r.moves);
  }
  std::sort(p.games.begin(), p.games.end());
  p.stats = loop.stats();
  return p;
}

TEST_CASE("selfplay: pipelined groups play the same games with the same evaluations",
          "[unit][selfplay]") {
  const Played one = play_pipelined(1, 6);
  for (int pipeline : {2, 3}) {
    INFO("pipeline " << pipeline);
    const Played p = play_pipelined(pipeline, 6);
    // Each tree gathers and scatters exactly as without pipelining, from its own lane.
    CHECK(p.games == one.games);
    CHECK(p.stats.evals == one.stats.evals);
    CHECK(p.stats.positions == one.stats.positions);
    CHECK(p.stats.games == 6);
    // One submit per group and round instead of one per round.
    CHECK(p.stats.batches == static_cast<uint64_t>(p.submits));
    CHECK(p.stats.batches > one.stats.batches);
  }
  // The games differ from each other: the test would see a lane mix-up.
  CHECK(std::set<std::vector<game::Action>>(one.games.begin(), one.games.end()).size() > 1);
}

TEST_CASE("selfplay: pipelined, the game limit is exact and records are valid and numbered",
          "[unit][selfplay]") {
  auto game = game::make_game("tictactoe");
  config::Config cfg = tictactoe_config(7, 16);
  cfg.actors.pipeline = 3;
  auto backend = nn::make_uniform_backend(*game, SelfPlayLoop::batch_capacity(cfg), 3);
  SelfPlayLoop loop(*game, cfg, *backend, 2, 42);
  loop.set_game_limit(11);
  loop.set_next_sequence(500);
  const auto records = play_all(loop);
  CHECK(records.size() == 11);
  std::set<uint64_t> sequences;
  uint64_t positions = 0;
  for (const auto& r : records) {
    CHECK_NOTHROW(data::validate_record(r, *game));
    sequences.insert(r.sequence);
    positions += r.num_positions();
  }
  CHECK(sequences.size() == 11);
  CHECK(*sequences.rbegin() == 510);
  CHECK(loop.stats().positions == positions);
}

TEST_CASE("selfplay: batch capacity per lane follows actors.pipeline", "[unit][selfplay]") {
  config::Config cfg = tictactoe_config(5, 16);  // 2 leaves per round
  CHECK(SelfPlayLoop::lanes(cfg) == 1);
  CHECK(SelfPlayLoop::batch_capacity(cfg) == 10);
  cfg.actors.pipeline = 2;  // groups of 2 and 3 games
  CHECK(SelfPlayLoop::lanes(cfg) == 2);
  CHECK(SelfPlayLoop::batch_capacity(cfg) == 6);
  cfg.actors.pipeline = 5;
  CHECK(SelfPlayLoop::batch_capacity(cfg) == 2);
  // A backend with too few lanes or too small lanes is a programming error.
  auto game = game::make_game("tictactoe");
  cfg.actors.pipeline = 2;
  auto one_lane = nn::make_uniform_backend(*game, 6, 1);
  CHECK_THROWS_AS(SelfPlayLoop(*game, cfg, *one_lane, 0, 1), CheckError);
  auto small = nn::make_uniform_backend(*game, 5, 2);
  CHECK_THROWS_AS(SelfPlayLoop(*game, cfg, *small, 0, 1), CheckError);
  // More groups than games is a config error naming the key.
  try {
    config::load_config_string("actors:\n  games_per_actor: 5\n  pipeline: 6\n", "p.yaml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "p.yaml:3: actors.pipeline: is 6, more groups than actors.games_per_actor (5)");
  }
}

}  // namespace zp::selfplay
