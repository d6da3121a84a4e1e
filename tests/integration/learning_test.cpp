// Proof of learning and the evaluator role, end to end. Tagged [integration][eval].
//
// 1. "training learns": `zeroplay train config/ci_learning.yaml` for a couple of minutes on
//    the CPU, then `zeroplay eval arena` (fixed seeds) of the final checkpoint against the
//    untrained version 1 and against random, and of both against pure MCTS. The margins are
//    set from measurements (config/ci_learning.yaml's header) so that an untrained network
//    cannot reach them, and the untrained network is measured on the same bars as a control.
// 2. "the evaluator role": a hand-made run directory (config, shm stats block and model
//    store) with models published by the test; `zeroplay evaluator` gates, rates, writes
//    metrics.jsonl and elo_games.jsonl, stops on SIGTERM, and resumes its ladder.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/arena/elo.h"
#include "shared/selfplay/selfplay.h"
#include "shared/search/tree.h"
#include "shared/model/checkpoint.h"
#include "shared/arena/paths.h"
#include "shared/arena/oracle.h"
#include "shared/arena/network_players.h"
#include "shared/arena/json_line.h"
#include "shared/arena/pons.h"
#include "shared/game/registry.h"
#include "shared/ipc/model_store.h"
#include "shared/run/names.h"
#include "shared/run/context.h"
#include "shared/ipc/stats.h"
#include "shared/model/trainer.h"
#include "tests/integration/train_support.h"
#include "tests/run_stats.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using zp::test::arena_win_rate;
using zp::test::ChildProcess;
using zp::test::wait_until;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// On the first `count` labelled positions of the built-in set: how often the argmax of the
// network's prior, and of Gumbel's improved policy after `sims` simulations (no noise), is an
// optimal move, over the positions where the choice matters.
struct PriorVsImproved {
  int matters = 0, prior = 0, improved = 0;
};
PriorVsImproved prior_vs_improved(const std::string& checkpoint, const std::string& config,
                                  int count, int sims) {
  const zp::config::Config cfg = zp::config::load_config(config, {});
  const auto game = zp::game::make_game("connect4");
  auto positions = zp::arena::read_labelled_positions(zp::arena::default_positions_path(), *game);
  positions.resize(std::min<size_t>(positions.size(), count));
  auto backend = zp::arena::make_network_backend(
      *game, cfg, zp::model::read_checkpoint_file(checkpoint), 4, 1);
  zp::search::SearchParams p;
  p.algorithm = zp::search::Algorithm::kGumbel;
  p.simulations = sims;
  p.gumbel_scale = 0.0f;
  zp::search::Tree tree(*game, p, 1);
  std::vector<int> prior_choice, improved_choice;
  std::vector<zp::search::RootChild> children;
  std::vector<float> target(game->num_actions());
  for (const auto& pos : positions) {
    auto state = game->new_initial_state();
    for (zp::game::Action a : game->parse_moves(pos.moves)) state->apply(a);
    tree.reset(*state);
    zp::selfplay::run_search(tree, *backend, 1);
    tree.root_children(&children);
    const auto top = std::max_element(children.begin(), children.end(), [](auto& x, auto& y) {
      return x.prior < y.prior;
    });
    prior_choice.push_back(top->action);
    tree.visit_policy(target.data());
    improved_choice.push_back(
        static_cast<int>(std::max_element(target.begin(), target.end()) - target.begin()));
  }
  const auto ps = zp::arena::score_choices(positions, prior_choice);
  const auto is = zp::arena::score_choices(positions, improved_choice);
  return {ps.matters, ps.correct, is.correct};
}

}  // namespace

TEST_CASE("training learns: the final model beats its untrained self and random",
          "[integration][eval]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  const std::string config = zp::test::source_dir() + "/config/ci_learning.yaml";
  ChildProcess train({zp::test::zeroplay_binary(), "train", config, "--run-dir", run},
                     run + ".out");
  // The learner keeps only its newest model files: copy the untrained version 1 at once.
  const std::string untrained = tmp.path() + "/untrained.zpck";
  REQUIRE(wait_until(
      [&] {
        std::error_code ec;
        return fs::copy_file(run + "/checkpoints/model-1.zpck", untrained, ec) && !ec;
      },
      60));
  const int rc = train.wait(400);  // train.max_seconds in the config, plus shutdown
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(rc == 0);
  std::string latest = zp::test::read_text(run + "/checkpoints/latest");
  latest = latest.substr(0, latest.find_first_of("\r\n"));
  const std::string trained = run + "/checkpoints/" + latest;
  REQUIRE(fs::exists(trained));
  CHECK(latest != "model-1.zpck");

  // Measured margins and the reasons for them: config/ci_learning.yaml's header.
  const int sims = 32, games = 200;
  // Against its untrained self: 400 games from 4 random plies (2,401 openings), where 2 plies
  // (49 openings, each played deterministically) let one trained model score 59% in CI while
  // it scored 46% against mcts:200.
  const double vs_untrained = arena_win_rate(config, trained, untrained, 2 * games, sims, 1, 4);
  const double vs_random = arena_win_rate(config, trained, "random", games, sims, 2);
  const double untrained_vs_random = arena_win_rate(config, untrained, "random", games, sims, 2);
  const double vs_mcts = arena_win_rate(config, trained, "mcts:200", games, sims, 3);
  const double untrained_vs_mcts = arena_win_rate(config, untrained, "mcts:200", games, sims, 3);
  WARN("trained vs untrained " << vs_untrained << ", vs random " << vs_random << " (untrained "
                               << untrained_vs_random << "), vs mcts:200 " << vs_mcts
                               << " (untrained " << untrained_vs_mcts << ")");
  // Over 400 games a network no better than the untrained one scores 50% +- 2.5% (one
  // standard deviation) against it, so 60% is out of its reach; the sharpest test is the
  // mcts:200 bar, which the untrained network misses by a wide margin (0-2.5% measured).
  CHECK(vs_untrained >= 0.60);
  CHECK(vs_random >= 0.90);
  CHECK(vs_mcts >= 0.25);
  // Controls: the untrained network stays below the bars it is not supposed to reach.
  CHECK(untrained_vs_mcts < 0.25);

  // Gumbel's improved policy (the policy target of search.algorithm: gumbel) picks optimal
  // moves more often than the trained network's own prior on the labelled positions.
  const PriorVsImproved pi = prior_vs_improved(trained, config, 400, 32);
  WARN("optimal argmax over " << pi.matters << " positions where it matters: prior " << pi.prior
                              << ", gumbel improved policy (32 simulations) " << pi.improved);
  CHECK(pi.improved > pi.prior);
}

namespace {

// A run directory the evaluator can attach to, without the other roles: config.yaml, run_id,
// the stats block and the model store. Removes its shm objects when it dies.
struct FakeRun {
  zp::test::TempDir tmp;
  std::string dir = tmp.path() + "/run";
  zp::config::Config cfg;
  zp::run::RunNames names;
  std::unique_ptr<zp::ipc::Stats> stats;
  std::unique_ptr<zp::ipc::ModelStore> store;
  std::shared_ptr<const zp::game::Game> game;

  explicit FakeRun(const std::vector<std::string>& overrides) {
    cfg = zp::config::load_config(zp::test::source_dir() + "/config/tiny.yaml", overrides);
    for (const char* sub : {"", "/logs", "/checkpoints"}) fs::create_directories(dir + sub);
    std::ofstream(dir + "/config.yaml") << zp::config::to_yaml(cfg);
    const std::string id = zp::run::new_run_id();
    std::ofstream(dir + "/run_id") << id << "\n";
    names = zp::run::RunNames::make(id, dir, cfg.writer.endpoint);
    stats = zp::test::create_run_stats(names.stats, cfg.actors.count);
    store = zp::ipc::ModelStore::create(names.models, 8 << 20);
    game = zp::game::make_game(cfg.game.name);
  }
  ~FakeRun() {
    zp::ipc::Stats::remove(names.stats);
    zp::ipc::ModelStore::remove(names.models);
  }
  // Publishes a freshly initialised network (seeded by the version) as `version`, on disk
  // too, as the learner would.
  void publish(int64_t version) {
    zp::model::Trainer trainer(*game, cfg.model, cfg.learner, 0, static_cast<uint64_t>(version));
    const std::string bytes = trainer.checkpoint_bytes(version);
    std::ofstream(dir + "/checkpoints/model-" + std::to_string(version) + ".zpck", std::ios::binary)
        << bytes;
    store->publish_latest(version, bytes);
  }
  int64_t counter(zp::ipc::Counter c) const { return stats->get(zp::ipc::kEvaluatorSlot, c); }
  std::unique_ptr<ChildProcess> start_evaluator() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{zp::test::zeroplay_binary(), "evaluator", "--run-dir", dir},
        dir + "/evaluator.out");
  }
};

// With ../shared/data present, an eval line has Pons' six sets: the raw policy on all 1,000
// positions of each and search on the first 10 (evaluator.pons_search_positions=10), and the
// stats counters carry the same rates for the status line. Without it, none of this.
void check_pons_figures(const zp::arena::Json& line, int64_t packed_policy,
                        int64_t packed_search) {
  std::error_code ec;
  if (!fs::is_directory(zp::arena::pons_dir(), ec)) {
    WARN("no Pons sets in " << zp::arena::pons_dir() << ": their figures are not checked");
    CHECK(line.count("pons_policy_error_rate") == 0);
    CHECK(packed_policy == 0);
    return;
  }
  const auto policy_rates = zp::arena::unpack_pons_rates(packed_policy);
  const auto search_rates = zp::arena::unpack_pons_rates(packed_search);
  for (int i = 0; i < zp::arena::kNumPonsSets; ++i) {
    const std::string key = zp::arena::pons_sets()[i].file;
    INFO(key);
    CHECK(line.at("pons_positions").at(key) == 1000);
    CHECK(line.at("pons_search_positions").at(key) == 10);
    const double policy = line.at("pons_policy_error_rate").at(key).get<double>();
    const double search = line.at("pons_search_error_rate").at(key).get<double>();
    CHECK(policy >= 0);
    CHECK(policy <= 1);
    // Over 10 positions a rate is a multiple of 0.1.
    CHECK(search * 10 == Approx(std::round(search * 10)).margin(1e-9));
    CHECK(policy_rates[i] == Approx(policy).margin(0.0005));
    CHECK(search_rates[i] == Approx(search).margin(0.0005));
  }
  CHECK(line.at("pons_seconds").get<double>() > 0);
}

}  // namespace

TEST_CASE("the evaluator role gates, rates, records, stops and resumes", "[integration][eval]") {
  FakeRun run({"evaluator.gating=true", "evaluator.games=4", "evaluator.oracle_search_positions=40",
               "evaluator.pons_search_positions=10"});
  run.publish(1);
  auto evaluator = run.start_evaluator();
  // On a failed wait, the evaluator's own words.
  auto require = [&](bool ok) {
    if (!ok) FAIL(zp::test::read_text(run.dir + "/evaluator.out") << zp::test::read_text(run.dir + "/logs/evaluator.log"));
  };

  // Gating with no best model: the first model becomes best at once, then it is rated.
  require(wait_until([&] { return run.store->best_version() == 1; }, 60));
  CHECK(run.counter(zp::ipc::kPid) == evaluator->pid());
  require(wait_until([&] { return run.counter(zp::ipc::kEvalVersion) == 1; }, 120));
  run.publish(2);
  require(wait_until([&] { return run.counter(zp::ipc::kEvalVersion) == 2; }, 120));
  // The heartbeat is fresh.
  CHECK(zp::now_ns() - run.counter(zp::ipc::kHeartbeatNs) < 3'000'000'000LL);

  auto evals = lines_of(run.dir + "/metrics.jsonl");
  REQUIRE(evals.size() == 2);
  auto first = zp::arena::parse_json_object(evals[0]);
  auto second = zp::arena::parse_json_object(evals[1]);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->at("kind") == "eval");
  CHECK(first->at("version") == 1);
  CHECK(first->count("win_rate_prev") == 0);  // nothing to compare with yet
  CHECK(second->at("version") == 2);
  CHECK(second->at("prev_version") == 1);
  CHECK(second->at("gate_against") == 1);
  for (const char* key : {"elo", "elo_stderr", "win_rate_prev", "win_rate_random", "win_rate_mcts",
                          "oracle_policy_accuracy", "oracle_search_accuracy",
                          "oracle_search_error_rate", "eval_seconds", "best_version"})
    CHECK(second->count(key) == 1);
  CHECK(second->at("oracle_search_positions") == 40);
  check_pons_figures(*second, run.counter(zp::ipc::kEvalPonsPolicy),
                     run.counter(zp::ipc::kEvalPonsSearch));
  const zp::arena::Json& ladder = second->at("ladder");
  REQUIRE(ladder.is_array());
  REQUIRE_FALSE(ladder.empty());
  CHECK(ladder[0].at("player") == "random");
  CHECK(ladder[0].at("elo") == 0);
  const bool promoted = second->at("promoted").get<bool>();
  CHECK(run.store->best_version() == (promoted ? 2 : 1));
  CHECK(run.counter(zp::ipc::kBestVersion) == run.store->best_version());
  // Matches: v1 vs random and mcts; v2 vs v1 (also the gate), random and mcts.
  CHECK(zp::arena::read_pair_results(run.dir + "/elo_games.jsonl").size() == 5);

  evaluator->signal(SIGTERM);
  REQUIRE(evaluator->wait(60) == 0);

  // A restarted evaluator keeps the ladder and continues after version 2.
  evaluator = run.start_evaluator();
  run.publish(3);
  require(wait_until([&] { return run.counter(zp::ipc::kEvalVersion) == 3; }, 120));
  evals = lines_of(run.dir + "/metrics.jsonl");
  REQUIRE(evals.size() == 3);
  auto third = zp::arena::parse_json_object(evals[2]);
  REQUIRE(third.has_value());
  CHECK(third->at("prev_version") == 2);
  // v3 vs v2, random and mcts; and vs the best v1 for the gate unless v2 became best.
  const auto games = zp::arena::read_pair_results(run.dir + "/elo_games.jsonl");
  CHECK(games.size() == (promoted ? 8u : 9u));
  const auto fit = zp::arena::fit_elo(games, "random");
  CHECK(fit.find("v1") != nullptr);
  CHECK(fit.find("v3") != nullptr);
  evaluator->signal(SIGTERM);
  CHECK(evaluator->wait(60) == 0);
}
