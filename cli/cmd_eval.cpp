// `zeroplay eval ...` and `zeroplay plot`: evaluation in the foreground. Progress lines go
// to stdout as the work goes on, and the LAST line of stdout is one JSON object with the
// results (for scripts and tests).
//
//   zeroplay eval arena [--config C] --a SPEC --b SPEC [--games N] [--sims N] [--seed S]
//       Plays N games between two players (shared/arena/arena.h: paired random openings,
//       alternating colours). SPEC: random | mcts:N | uniform:N | policy:CKPT | CKPT
//       (shared/arena/players.h); --sims is the checkpoint players' search (default
//       evaluator.simulations). JSON: a, b, games, wins, draws, losses (for A), win_rate (draws
//       half), elo_diff (A minus B, from the win rate), seed, seconds.
//   zeroplay eval oracle [--game connect4] (--positions FILE | --pons DIR)
//                        (--checkpoint CKPT | --uniform) [--sims N] [--config C]
//       Oracle accuracy on a labelled Connect Four file (shared/arena/oracle.h) of the raw
//       policy (argmax, illegal moves masked) and of search with N simulations (default
//       evaluator.simulations; 0 = policy only). --uniform: equal priors and value 0 instead
//       of a network. JSON: positions, matters, random (a random mover's expected figures),
//       policy and search (accuracy, error_rate, correct, errors; search also simulations).
//       --pons DIR: all six of Pons' benchmark sets in DIR (shared/arena/pons.h), every
//       position of each; a progress line per set, then a table (set, positions, random mover,
//       policy error, search error, AlphaZero.jl's error). JSON: pons (DIR), simulations,
//       sets (an array in benchmark order, each: set, file, positions, matters, random,
//       policy, search as above, alphazero_jl_error_rate), seconds.
//   zeroplay plot RUN_DIR [--out DIR]
//       PNG charts of RUN_DIR/metrics.jsonl (scripts/plot_metrics.py, run with
//       /usr/bin/python3 and matplotlib) into DIR (default RUN_DIR/plots).
// The hidden `eval make-positions` (cmd_eval_positions.cpp) made data/connect4/
// selfplay_positions.txt.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/arena/arena.h"
#include "shared/arena/json_line.h"
#include "shared/arena/oracle.h"
#include "shared/arena/paths.h"
#include "shared/arena/pons.h"
#include "shared/arena/network_players.h"
#include "shared/arena/players.h"
#include "shared/game/registry.h"
#include "shared/run/files.h"
#include "shared/model/checkpoint.h"
#include "shared/model/device.h"
#include "cli/commands.h"

extern char** environ;

namespace zp::cli {

// The generator of the labelled set (cmd_eval_positions.cpp).
void add_eval_positions_command(CLI::App& eval);
// The hidden `eval net`: network outputs on positions as JSON (cmd_eval_net.cpp).
void add_eval_net_command(CLI::App& eval);

namespace {

namespace fs = std::filesystem;

config::Config load_optional_config(const std::string& path,
                                    const std::vector<std::string>& overrides) {
  if (!path.empty()) return config::load_config(path, overrides);
  return config::load_config_string("{}", "(defaults)", overrides);
}

struct ArenaCli {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string a, b;
  int games = 0;
  int sims = 0;
  uint64_t seed = 1;
  int opening_plies = 2;
};

void run_arena(const ArenaCli& o) {
  const config::Config cfg = load_optional_config(o.config_path, o.overrides);
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  const int games = o.games > 0 ? o.games : cfg.evaluator.games;
  arena::PlayerOptions popt;
  popt.simulations = o.sims > 0 ? o.sims : cfg.evaluator.simulations;
  popt.max_batch = std::max(1, std::min(games, 64));
  popt.networks = &arena::torch_networks();
  // Different seeds for the two sides, so that random vs random is not a mirror match.
  popt.seed = o.seed * 2 + 1;
  auto a = arena::make_player(o.a, *game, cfg, popt);
  popt.seed = o.seed * 2 + 2;
  auto b = arena::make_player(o.b, *game, cfg, popt);
  std::printf("[arena] %s: %s vs %s, %d games, %d simulations for checkpoints, seed %llu\n",
              game->name().c_str(), a->name().c_str(), b->name().c_str(), games, popt.simulations,
              static_cast<unsigned long long>(o.seed));
  std::fflush(stdout);

  const Stopwatch watch;
  arena::ArenaOptions aopt;
  aopt.games = games;
  aopt.seed = o.seed;
  aopt.opening_plies = o.opening_plies;
  aopt.progress = [&](int finished, int total) {
    // A line every ~10% of the games (and at the end).
    const int step = std::max(1, total / 10);
    if (finished % step != 0 && finished != total) return;
    std::printf("[arena] %d/%d games, %.1f s\n", finished, total, watch.seconds());
    std::fflush(stdout);
  };
  const arena::MatchResult r = arena::play_match(*game, *a, *b, aopt);
  const int wins = r.wins, draws = r.draws, losses = r.losses;
  std::printf("[arena] %s: %d wins, %d draws, %d losses against %s: score %.1f%% in %.1f s\n",
              r.a.c_str(), wins, draws, losses, r.b.c_str(), 100 * r.win_rate(), watch.seconds());
  arena::Json line;
  line["a"] = r.a;
  line["b"] = r.b;
  line["games"] = r.played();
  line["wins"] = wins;
  line["draws"] = draws;
  line["losses"] = losses;
  line["win_rate"] = r.win_rate();
  line["elo_diff"] = arena::elo_from_win_rate(r.win_rate());
  line["seed"] = static_cast<int64_t>(o.seed);
  line["seconds"] = watch.seconds();
  std::printf("%s\n", arena::json_line(line).c_str());
  std::fflush(stdout);
}

struct OracleCli {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string game = "connect4";
  std::string positions;  // exactly one of positions and pons
  std::string pons;
  std::string checkpoint;
  bool uniform = false;
  int sims = -1;
};

arena::Json score_json(const arena::OracleScore& s) {
  arena::Json j;
  j["accuracy"] = s.accuracy();
  j["error_rate"] = s.error_rate();
  j["correct"] = s.correct;
  j["errors"] = s.errors;
  return j;
}

// The raw policy, and search with `sims` simulations (none when sims is 0).
struct OraclePlayers {
  std::unique_ptr<arena::Player> policy, search;
};

OraclePlayers make_oracle_players(const OracleCli& o, const config::Config& cfg,
                                  const game::Game& game, int sims) {
  constexpr int kBatch = 64;
  OraclePlayers p;
  if (o.uniform) {
    p.policy = std::make_unique<arena::PolicyPlayer>("uniform policy",
                                                    nn::make_uniform_backend(game, kBatch));
    if (sims > 0)
      p.search = std::make_unique<arena::SearchPlayer>("uniform:" + std::to_string(sims), game,
                                                      nn::make_uniform_backend(game, kBatch),
                                                      arena::eval_search_params(cfg, sims), 1);
    return p;
  }
  const std::string bytes = model::read_checkpoint_file(o.checkpoint);
  try {
    p.policy = std::make_unique<arena::PolicyPlayer>(
        "policy", arena::make_network_backend(game, cfg, bytes, kBatch, 1));
    if (sims > 0) {
      arena::PlayerOptions popt;
      popt.simulations = sims;
      popt.max_batch = kBatch;
      p.search = arena::make_network_player(
          "search", game, cfg, arena::make_network_backend(game, cfg, bytes, kBatch, 1), popt);
    }
  } catch (const FormatError& e) {
    throw FormatError(o.checkpoint + ": " + e.what());
  }
  return p;
}

// Scores `search` on the positions, with a progress line every ~30 s. `label` prefixes its
// lines ("" for one file, "End-Easy: " for a Pons set).
arena::OracleScore score_search(arena::Player& search,
                                const std::vector<arena::LabelledPosition>& positions,
                                const game::Game& game, int sims, const std::string& label) {
  Stopwatch watch;
  double next_report = 30;
  search.set_tick([&] {
    if (watch.seconds() < next_report) return;
    next_report += 30;
    std::printf("[oracle] %ssearching (%.0f s)...\n", label.c_str(), watch.seconds());
    std::fflush(stdout);
  });
  const arena::OracleScore ss =
      arena::score_choices(positions, arena::choose_on_positions(positions, game, search));
  search.set_tick(nullptr);  // it refers to this function's locals
  std::printf(
      "[oracle] %ssearch with %d simulations: accuracy %.1f%% (%d/%d), error rate "
      "%.1f%%, %.1f s\n",
      label.c_str(), sims, 100 * ss.accuracy(), ss.correct, ss.matters, 100 * ss.error_rate(),
      watch.seconds());
  std::fflush(stdout);
  return ss;
}

arena::Json search_json(const arena::OracleScore& s, int sims) {
  arena::Json js;
  js["simulations"] = sims;
  js.update(score_json(s));
  return js;
}

// The raw policy's score on the positions, with its progress line.
arena::OracleScore score_policy(arena::Player& policy,
                                const std::vector<arena::LabelledPosition>& positions,
                                const game::Game& game, const std::string& label) {
  const Stopwatch watch;
  const arena::OracleScore ps =
      arena::score_choices(positions, arena::choose_on_positions(positions, game, policy));
  std::printf("[oracle] %spolicy: accuracy %.1f%% (%d/%d), error rate %.1f%%, %.1f s\n",
              label.c_str(), 100 * ps.accuracy(), ps.correct, ps.matters, 100 * ps.error_rate(),
              watch.seconds());
  std::fflush(stdout);
  return ps;
}

// One labelled file (--positions): the policy and search figures.
void run_oracle_file(const OracleCli& o, const std::vector<arena::LabelledPosition>& positions,
                     const game::Game& game, const OraclePlayers& players, int sims) {
  const arena::ExpectedScore random = arena::random_mover_expectation(positions);
  const arena::OracleScore any =
      arena::score_choices(positions, std::vector<int>(positions.size(), -1));
  std::printf(
      "[oracle] %zu positions from %s, %d where the choice matters; a random mover: "
      "accuracy %.1f%%, error rate %.1f%%\n",
      positions.size(), o.positions.c_str(), any.matters, 100 * random.accuracy,
      100 * random.error_rate);
  std::fflush(stdout);
  const arena::OracleScore ps = score_policy(*players.policy, positions, game, "");
  arena::Json line;
  line["positions"] = ps.positions;
  line["matters"] = ps.matters;
  line["random"] = {{"accuracy", random.accuracy}, {"error_rate", random.error_rate}};
  line["policy"] = score_json(ps);
  if (players.search)
    line["search"] = search_json(score_search(*players.search, positions, game, sims, ""), sims);
  std::printf("%s\n", arena::json_line(line).c_str());
  std::fflush(stdout);
}

// One Pons set's figures (--pons): a row of the table and an entry of the JSON line.
struct PonsRow {
  const arena::PonsSet* set = nullptr;
  int positions = 0, matters = 0;
  arena::ExpectedScore random;
  arena::OracleScore policy, search;
  bool searched = false;
};

PonsRow score_pons_set(const arena::PonsPositions& p, const game::Game& game,
                       const OraclePlayers& players, int sims) {
  PonsRow row;
  row.set = &p.set();
  const std::string label = std::string(row.set->name) + ": ";
  row.random = arena::random_mover_expectation(p.positions);
  std::printf("[oracle] %s%zu positions (%s.txt); a random mover's error rate %.1f%%\n",
              label.c_str(), p.positions.size(), row.set->file, 100 * row.random.error_rate);
  std::fflush(stdout);
  row.policy = score_policy(*players.policy, p.positions, game, label);
  row.positions = row.policy.positions;
  row.matters = row.policy.matters;
  if (players.search) {
    row.search = score_search(*players.search, p.positions, game, sims, label);
    row.searched = true;
  }
  return row;
}

std::string percent_cell(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", 100 * rate);
  return buf;
}

// AlphaZero.jl's figures are read off a chart: "~2.7%", "~0%".
std::string reference_cell(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "~%g%%", 100 * rate);
  return buf;
}

// The closing table: one row per set, error rates over all positions.
void print_pons_table(const std::vector<PonsRow>& rows, int sims) {
  std::printf("\nPons benchmark: error rate over all positions (search: %s)\n",
              sims > 0 ? (std::to_string(sims) + " simulations").c_str() : "not run");
  std::printf("%-18s %9s %8s %8s %8s %13s\n", "set", "positions", "random", "policy", "search",
              "AlphaZero.jl");
  for (const PonsRow& r : rows) {
    std::printf("%-18s %9d %8s %8s %8s %13s\n", r.set->name, r.positions,
                percent_cell(r.random.error_rate).c_str(),
                percent_cell(r.policy.error_rate()).c_str(),
                r.searched ? percent_cell(r.search.error_rate()).c_str() : "-",
                reference_cell(r.set->alphazero_jl).c_str());
  }
  std::fflush(stdout);
}

arena::Json pons_row_json(const PonsRow& r, int sims) {
  arena::Json j;
  j["set"] = r.set->name;
  j["file"] = r.set->file;
  j["positions"] = r.positions;
  j["matters"] = r.matters;
  j["random"] = {{"accuracy", r.random.accuracy}, {"error_rate", r.random.error_rate}};
  j["policy"] = score_json(r.policy);
  if (r.searched) j["search"] = search_json(r.search, sims);
  j["alphazero_jl_error_rate"] = r.set->alphazero_jl;
  return j;
}

// All six Pons sets (--pons DIR): a progress line per set, the table, then the JSON line.
void run_oracle_pons(const OracleCli& o, const std::vector<arena::PonsPositions>& sets,
                     const game::Game& game, const OraclePlayers& players, int sims) {
  std::printf("[oracle] Pons benchmark: %zu sets from %s, policy and %s\n", sets.size(),
              o.pons.c_str(),
              sims > 0 ? ("search with " + std::to_string(sims) + " simulations").c_str()
                       : "no search");
  std::fflush(stdout);
  const Stopwatch watch;
  std::vector<PonsRow> rows;
  for (const arena::PonsPositions& p : sets) rows.push_back(score_pons_set(p, game, players, sims));
  print_pons_table(rows, sims);
  arena::Json line;
  line["pons"] = o.pons;
  line["simulations"] = sims;
  arena::Json all = arena::Json::array();
  for (const PonsRow& r : rows) all.push_back(pons_row_json(r, sims));
  line["sets"] = std::move(all);
  line["seconds"] = watch.seconds();
  std::printf("%s\n", arena::json_line(line).c_str());
  std::fflush(stdout);
}

void run_oracle(const OracleCli& o) {
  if (o.positions.empty() == o.pons.empty())
    throw ConfigError("eval oracle: give exactly one of --positions FILE and --pons DIR");
  std::vector<std::string> overrides = o.overrides;
  overrides.push_back("game.name=" + o.game);
  const config::Config cfg = load_optional_config(o.config_path, overrides);
  if (o.checkpoint.empty() == !o.uniform)
    throw ConfigError("eval oracle: give exactly one of --checkpoint CKPT and --uniform");
  if (!o.uniform) model::resolve_device(cfg.model.device, "model.device");  // before any work
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  const int sims = o.sims >= 0 ? o.sims : cfg.evaluator.simulations;
  // The input first: a bad file is reported before a network is loaded.
  if (o.pons.empty()) {
    const auto positions = arena::read_labelled_positions(o.positions, *game);
    run_oracle_file(o, positions, *game, make_oracle_players(o, cfg, *game, sims), sims);
  } else {
    const auto sets = arena::read_pons_sets(o.pons, *game);
    run_oracle_pons(o, sets, *game, make_oracle_players(o, cfg, *game, sims), sims);
  }
}

struct PlotCli {
  std::string run_dir;
  std::string out;
};

void run_plot(const PlotCli& o) {
  const std::string metrics = run::RunPaths(o.run_dir).metrics();
  std::error_code ec;
  if (!fs::exists(metrics, ec))
    throw IoError("plot: " + metrics + " does not exist (is " + o.run_dir + " a run directory?)");
  if (fs::file_size(metrics, ec) == 0 || ec)
    throw IoError("plot: " + metrics + " is empty: the run has not reported anything yet");
  const std::string out = o.out.empty() ? o.run_dir + "/plots" : o.out;
  const std::string python = "/usr/bin/python3";
  const std::string script = arena::project_dir() + "/scripts/plot_metrics.py";
  if (!fs::exists(python, ec))
    throw IoError("plot needs " + python + " with matplotlib (Debian: python3-matplotlib)");
  if (!fs::exists(script, ec)) throw IoError("plot: cannot find " + script);
  std::vector<std::string> args{python, script, metrics, "--out", out};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  std::fflush(stdout);
  if (posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
    throw IoError("plot: cannot start " + python);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw IoError("plot: " + script + " failed (see its message above)");
  std::printf("charts written to %s\n", out.c_str());
}

}  // namespace

void add_eval_command(CLI::App& app) {
  CLI::App* eval = app.add_subcommand("eval", "Evaluate players: arena matches, oracle accuracy");
  eval->require_subcommand(1);

  auto a = std::make_shared<ArenaCli>();
  CLI::App* arena = eval->add_subcommand(
      "arena", "Play a match between two players (random, mcts:N, uniform:N, policy:CKPT, CKPT)");
  arena->add_option("--config", a->config_path, "Config file (game, model device, search)");
  arena->add_option("--set", a->overrides, "Override a key: section.key=value");
  arena->add_option("--a", a->a, "Player A")->required();
  arena->add_option("--b", a->b, "Player B")->required();
  arena->add_option("--games", a->games, "Games (default evaluator.games)")
      ->check(CLI::Range(1, 1000000));
  arena
      ->add_option("--sims", a->sims,
                   "Checkpoint players' simulations (default "
                   "evaluator.simulations)")
      ->check(CLI::Range(1, 10000000));
  arena->add_option("--seed", a->seed, "Seed of openings and players")->capture_default_str();
  arena->add_option("--opening-plies", a->opening_plies, "Random opening moves per pair of games")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  arena->callback([a] { run_arena(*a); });

  auto o = std::make_shared<OracleCli>();
  CLI::App* oracle = eval->add_subcommand(
      "oracle",
      "Accuracy and error rate on exactly solved Connect Four positions (policy and search)");
  oracle->add_option("--config", o->config_path, "Config file (model device, search)");
  oracle->add_option("--set", o->overrides, "Override a key: section.key=value");
  oracle->add_option("--game", o->game, "Game (only connect4 has labelled positions)")
      ->capture_default_str();
  oracle->add_option("--positions", o->positions, "Labelled positions file");
  oracle->add_option("--pons", o->pons,
                     "Directory of Pons' six benchmark sets (../shared/data/connect4/pons)");
  oracle->add_option("--checkpoint", o->checkpoint, "Checkpoint to rate");
  oracle->add_flag("--uniform", o->uniform, "Rate uniform priors (pure MCTS) instead");
  oracle
      ->add_option("--sims", o->sims,
                   "Search simulations (default evaluator.simulations; 0 = policy only)")
      ->check(CLI::Range(0, 10000000));
  oracle->callback([o] { run_oracle(*o); });

  add_eval_positions_command(*eval);
  add_eval_net_command(*eval);

  auto p = std::make_shared<PlotCli>();
  CLI::App* plot = app.add_subcommand("plot", "PNG charts of a run's metrics.jsonl");
  plot->add_option("run_dir", p->run_dir, "Run directory")->required();
  plot->add_option("--out", p->out, "Output directory (default RUN_DIR/plots)");
  plot->callback([p] { run_plot(*p); });
}

}  // namespace zp::cli
