// `zeroplay selfplay CONFIG [--games N] [--out FILE]`: single-process self-play with the
// batch-of-games loop. Prints games/s, positions/s, NN evals/s and the mean batch size every
// few seconds and at the end; --out writes the finished games as one shard.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/core/log.h"
#include "shared/data/shard.h"
#include "shared/game/registry.h"
#include "shared/core/signals.h"
#include "shared/nn/backend.h"
#include "shared/model/network_backend.h"
#include "shared/selfplay/selfplay.h"
#include "cli/commands.h"

namespace zp::cli {

namespace {

struct SelfplayOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  uint64_t games = 0;
  std::string out;
  std::string checkpoint;
  bool uniform = false;
  double report_s = 5.0;
};

void print_rates(const char* label, const selfplay::LoopStats& s, double elapsed) {
  std::printf(
      "[selfplay] %s %.1fs  games %llu (%.2f/s)  positions %llu (%.1f/s)  nn evals %.0f/s  "
      "mean batch %.1f\n",
      label, elapsed, static_cast<unsigned long long>(s.games), s.games / elapsed,
      static_cast<unsigned long long>(s.positions), s.positions / elapsed, s.evals / elapsed,
      s.batches ? double(s.evals) / s.batches : 0.0);
  std::fflush(stdout);
}

void run_selfplay(const SelfplayOptions& o) {
  const config::Config cfg = config::load_config(o.config_path, o.overrides);
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  const int capacity = selfplay::SelfPlayLoop::batch_capacity(cfg);
  const uint64_t seed = cfg.actors.seed ? cfg.actors.seed : static_cast<uint64_t>(now_ns());
  std::unique_ptr<nn::Backend> evaluator;
  const int lanes = selfplay::SelfPlayLoop::lanes(cfg);
  if (o.uniform)
    evaluator = nn::make_uniform_backend(*game, capacity, lanes);
  else
    evaluator = model::make_torch_backend(*game, cfg.model, capacity, o.checkpoint, seed, lanes);
  std::printf("[selfplay] %s, %d games at once, %d simulations/move, %d leaves/round, "
              "evaluator: %s\n",
              game->name().c_str(), cfg.actors.games_per_actor, cfg.search.simulations,
              cfg.search.leaves_per_round, evaluator->describe().c_str());
  selfplay::SelfPlayLoop loop(*game, cfg, *evaluator, 0, seed);
  if (o.games > 0) loop.set_game_limit(o.games);
  data::ShardBuilder shard(game->name());
  std::vector<data::GameRecord> finished;
  install_stop_handlers();
  Stopwatch sw;
  double next_report = o.report_s;
  while (!stop_requested() && !loop.all_done()) {
    loop.round(&finished);
    if (!o.out.empty())
      for (const auto& r : finished) shard.add(r);
    finished.clear();
    if (sw.seconds() >= next_report) {
      print_rates("", loop.stats(), sw.seconds());
      next_report += o.report_s;
    }
  }
  print_rates(stop_requested() ? "stopped" : "done", loop.stats(), sw.seconds());
  if (!o.out.empty()) {
    const size_t n = shard.num_records();
    const uint64_t positions = shard.num_positions();
    shard.write(o.out);
    std::printf("[selfplay] wrote %zu games (%llu positions) to %s\n", n,
                static_cast<unsigned long long>(positions), o.out.c_str());
  }
}

}  // namespace

void add_selfplay_command(CLI::App& app) {
  auto o = std::make_shared<SelfplayOptions>();
  CLI::App* cmd = app.add_subcommand("selfplay", "Single-process self-play (the actor's loop)");
  cmd->add_option("config", o->config_path, "Config file")->required();
  cmd->add_option("--games", o->games, "Stop after this many games (default: until Ctrl-C)");
  cmd->add_option("--out", o->out, "Write the finished games to this shard file");
  cmd->add_option("--checkpoint", o->checkpoint, "Network weights (default: random init)");
  cmd->add_flag("--uniform", o->uniform, "Use the uniform evaluator instead of the network");
  cmd->add_option("--set", o->overrides, "Override a key: section.key=value");
  cmd->add_option("--report-seconds", o->report_s, "Progress line period")
      ->check(CLI::PositiveNumber);
  cmd->callback([o] { run_selfplay(*o); });
}

}  // namespace zp::cli
