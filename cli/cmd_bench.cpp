// `zeroplay bench mcts`: the CPU ceiling of search. Runs the batch-of-games loop against the
// uniform evaluator (equal priors, value 0, no network) on one thread and reports
// simulations per second. Prints a table, or one JSON object with --json.
#include <cstdio>
#include <string>
#include <vector>

#include "shared/arena/json_line.h"
#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/game/registry.h"
#include "shared/nn/backend.h"
#include "shared/selfplay/selfplay.h"
#include "cli/bench_inference.h"
#include "cli/commands.h"

namespace zp::cli {

namespace {

struct BenchMctsOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string game;
  int simulations = 0;
  int games = 0;
  int leaves = 0;
  double seconds = 5.0;
  int rounds = 0;  // > 0: a fixed amount of work (for callgrind), no warm-up
  bool json = false;
};

void run_bench_mcts(const BenchMctsOptions& o) {
  config::Config cfg = load_bench_config(o.config_path, o.overrides);
  if (!o.game.empty()) cfg.game.name = o.game;
  if (o.simulations > 0) cfg.search.simulations = o.simulations;
  if (o.games > 0) cfg.actors.games_per_actor = o.games;
  if (o.leaves > 0) cfg.search.leaves_per_round = o.leaves;
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  auto evaluator =
      nn::make_uniform_backend(*game, selfplay::SelfPlayLoop::batch_capacity(cfg),
                               selfplay::SelfPlayLoop::lanes(cfg));
  selfplay::SelfPlayLoop loop(*game, cfg, *evaluator, 0, 1);
  std::vector<data::GameRecord> finished;
  // Warm-up: let the node pools reach their working size.
  Stopwatch warm;
  while (o.rounds == 0 && warm.seconds() < 0.5) loop.round(&finished);
  const uint64_t sims0 = loop.total_simulations();
  const selfplay::LoopStats s0 = loop.stats();
  Stopwatch sw;
  double elapsed = 0;
  if (o.rounds > 0) {
    for (int i = 0; i < o.rounds; ++i) loop.round(&finished);
    elapsed = sw.seconds();
  }
  while (o.rounds == 0 && (elapsed = sw.seconds()) < o.seconds) {
    for (int i = 0; i < 16; ++i) loop.round(&finished);
    if (finished.size() > 4096) finished.clear();
  }
  const selfplay::LoopStats& s = loop.stats();
  const double sims = static_cast<double>(loop.total_simulations() - sims0);
  const double sims_per_s = sims / elapsed;
  const double positions_per_s = (s.positions - s0.positions) / elapsed;
  const double evals_per_s = (s.evals - s0.evals) / elapsed;
  const double mean_batch =
      s.batches > s0.batches ? double(s.evals - s0.evals) / (s.batches - s0.batches) : 0.0;
  if (o.json) {
    arena::Json j;
    j["bench"] = "mcts";
    j["game"] = game->name();
    j["simulations_per_move"] = cfg.search.simulations;
    j["games"] = cfg.actors.games_per_actor;
    j["leaves_per_round"] = cfg.search.leaves_per_round;
    j["threads"] = 1;
    j["seconds"] = elapsed;
    j["simulations_per_s"] = sims_per_s;
    j["us_per_simulation"] = 1e6 / sims_per_s;
    j["positions_per_s"] = positions_per_s;
    j["evals_per_s"] = evals_per_s;
    j["mean_batch"] = mean_batch;
    std::printf("%s\n", arena::json_line(j).c_str());
    return;
  }
  std::printf("bench mcts: %s, uniform evaluator, 1 thread, %d games x %d simulations/move, "
              "%d leaves/round, %.1f s\n",
              game->name().c_str(), cfg.actors.games_per_actor, cfg.search.simulations,
              cfg.search.leaves_per_round, elapsed);
  std::printf("%-22s %14s\n", "metric", "value");
  std::printf("%-22s %14.0f\n", "simulations/s/core", sims_per_s);
  std::printf("%-22s %14.4f\n", "us/simulation", 1e6 / sims_per_s);
  std::printf("%-22s %14.1f\n", "positions/s", positions_per_s);
  std::printf("%-22s %14.0f\n", "evals/s", evals_per_s);
  std::printf("%-22s %14.1f\n", "mean batch", mean_batch);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks: search (CPU), inference ceilings, self-play throughput, learner steps");
  bench->require_subcommand(1);
  auto o = std::make_shared<BenchMctsOptions>();
  CLI::App* mcts = bench->add_subcommand(
      "mcts", "Search speed against the uniform evaluator: simulations/s on one core");
  mcts->add_option("config", o->config_path, "Config file (default: built-in defaults)");
  mcts->add_option("--set", o->overrides, "Override a key: section.key=value");
  mcts->add_option("--game", o->game, "Game (overrides game.name)");
  mcts->add_option("--sims", o->simulations, "Simulations per move (overrides search.simulations)");
  mcts->add_option("--games", o->games, "Games at once (overrides actors.games_per_actor)");
  mcts->add_option("--leaves", o->leaves, "Leaves per round (overrides search.leaves_per_round)");
  mcts->add_option("--seconds", o->seconds, "Measurement time")->check(CLI::PositiveNumber);
  mcts->add_option("--rounds", o->rounds,
                   "Run exactly this many rounds instead of --seconds (repeatable work for "
                   "callgrind)");
  mcts->add_flag("--json", o->json, "Print one JSON object instead of a table");
  mcts->callback([o] { run_bench_mcts(*o); });
  add_bench_inference(*bench);
  add_bench_selfplay(*bench);
  add_bench_train(*bench);
}

}  // namespace zp::cli
