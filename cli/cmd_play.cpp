// `zeroplay play CONFIG [--checkpoint FILE] [--human-first]`: a person against the engine in
// the terminal. Reads one move per line from stdin (so a script can drive it), rejects
// garbled or illegal moves with a message and asks again, and shows the engine's top moves
// with visit counts and values after each search.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/error.h"
#include "shared/game/registry.h"
#include "shared/nn/backend.h"
#include "shared/model/network_backend.h"
#include "shared/search/config_params.h"
#include "shared/search/tree.h"
#include "shared/selfplay/selfplay.h"
#include "cli/commands.h"

namespace zp::cli {

namespace {

struct PlayOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string checkpoint;
  bool human_first = false;
  int simulations = 0;
  int top = 5;
};

void show_engine_analysis(const game::Game& g, const search::Tree& tree, int top) {
  std::vector<search::RootChild> children;
  tree.root_children(&children);
  std::sort(children.begin(), children.end(),
            [](const search::RootChild& a, const search::RootChild& b) {
              return a.visits > b.visits;
            });
  std::printf("engine: value %+.3f after %d visits; top moves:\n", tree.root_value(),
              tree.root_visits());
  for (int i = 0; i < std::min<int>(top, children.size()); ++i)
    std::printf("  %-5s visits %6d  value %+.3f  prior %.3f\n",
                g.action_to_string(children[i].action).c_str(), children[i].visits,
                children[i].q, children[i].prior);
}

void run_play(const PlayOptions& o) {
  config::Config cfg = config::load_config(o.config_path, o.overrides);
  if (o.simulations > 0) cfg.search.simulations = o.simulations;
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  const int leaves = cfg.search.leaves_per_round;
  std::unique_ptr<nn::Backend> evaluator;
  if (o.checkpoint.empty()) {
    evaluator = nn::make_uniform_backend(*game, leaves);
    std::printf("no --checkpoint: the engine searches with uniform priors (pure MCTS)\n");
  } else {
    evaluator = model::make_torch_backend(*game, cfg.model, leaves, o.checkpoint);
  }
  search::Tree tree(*game, search::params_from_config(cfg.search, false), 1);
  auto state = game->new_initial_state();
  const int human = o.human_first ? 0 : 1;
  std::printf("%s: you are player %d (%s). Enter moves like '%s'; 'quit' to stop.\n",
              game->name().c_str(), human + 1, human == 0 ? "first" : "second",
              game->action_to_string(state->legal_actions().front()).c_str());
  std::string line;
  while (!state->is_terminal()) {
    std::printf("\n%s\n", state->to_string().c_str());
    if (state->current_player() == human) {
      std::printf("your move: ");
      std::fflush(stdout);
      if (!std::getline(std::cin, line) || line == "quit") {
        std::printf("\nbye\n");
        return;
      }
      game::Action a;
      try {
        a = game->parse_action(line);
      } catch (const FormatError& e) {
        std::printf("error: %s; try again\n", e.what());
        continue;
      }
      if (!state->is_legal(a)) {
        std::printf("error: move '%s' is illegal here; try again\n", line.c_str());
        continue;
      }
      state->apply(a);
    } else {
      tree.reset(*state);
      selfplay::run_search(tree, *evaluator, leaves);
      show_engine_analysis(*game, tree, o.top);
      const game::Action a = tree.choose_move(0.0f);
      std::printf("engine plays %s\n", game->action_to_string(a).c_str());
      state->apply(a);
    }
  }
  std::printf("\n%s\n", state->to_string().c_str());
  const float r = state->returns(human);
  std::printf("game over: %s\n", r > 0 ? "you win" : r < 0 ? "the engine wins" : "draw");
}

}  // namespace

void add_play_command(CLI::App& app) {
  auto o = std::make_shared<PlayOptions>();
  CLI::App* cmd = app.add_subcommand("play", "Play against the engine in the terminal");
  cmd->add_option("config", o->config_path, "Config file")->required();
  cmd->add_option("--checkpoint", o->checkpoint, "Network weights (default: pure MCTS)");
  cmd->add_flag("--human-first", o->human_first, "Move first");
  cmd->add_option("--sims", o->simulations, "Simulations per engine move");
  cmd->add_option("--top", o->top, "How many of the engine's moves to show");
  cmd->add_option("--set", o->overrides, "Override a key: section.key=value");
  cmd->callback([o] { run_play(*o); });
}

}  // namespace zp::cli
