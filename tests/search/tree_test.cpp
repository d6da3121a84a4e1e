#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/rng.h"
#include "shared/game/registry.h"
#include "shared/nn/backend.h"
#include "shared/search/tree.h"

using zp::game::Action;

namespace {

zp::search::SearchParams pure_params(int sims) {
  zp::search::SearchParams p;
  p.simulations = sims;
  p.dirichlet_fraction = 0.0f;
  return p;
}

// Runs a full search on `tree` with `ev`, `leaves` leaves per round.
void search(zp::search::Tree& tree, zp::nn::Backend& ev, int leaves) {
  while (!tree.done()) {
    const int n = tree.gather(leaves, ev.buffers(), 0);
    if (n > 0) ev.compute(n);
    tree.scatter(ev.buffers(), 0);
  }
}

// Columns where the player to move wins at once.
std::vector<Action> winning_moves(const zp::game::State& s) {
  std::vector<Action> wins;
  for (Action a : s.legal_actions()) {
    auto c = s.clone();
    c->apply(a);
    if (c->is_terminal() && c->last_mover_return() > 0) wins.push_back(a);
  }
  return wins;
}

// Positions from random play: `want_win` -> the player to move has a win in 1; otherwise the
// player to move has no win but the opponent threatens exactly one column.
std::vector<std::unique_ptr<zp::game::State>> tactical_positions(const zp::game::Game& g,
                                                                bool want_win, int count) {
  std::vector<std::unique_ptr<zp::game::State>> out;
  zp::Rng rng(want_win ? 11 : 12);
  while (static_cast<int>(out.size()) < count) {
    auto s = g.new_initial_state();
    const int len = 6 + rng.uniform_int(20);
    for (int i = 0; i < len && !s->is_terminal(); ++i) {
      auto legal = s->legal_actions();
      // Avoid ending the game early.
      std::vector<Action> quiet;
      for (Action a : legal) {
        auto c = s->clone();
        c->apply(a);
        if (!c->is_terminal()) quiet.push_back(a);
      }
      if (quiet.empty()) break;
      s->apply(quiet[rng.uniform_int(quiet.size())]);
    }
    if (s->is_terminal()) continue;
    const auto wins = winning_moves(*s);
    if (want_win) {
      if (!wins.empty()) out.push_back(std::move(s));
      continue;
    }
    if (!wins.empty()) continue;
    // Opponent threats: pretend the opponent moves now (pass) by checking each of our moves.
    int threats = 0;
    for (Action a : s->legal_actions()) {
      auto c = s->clone();
      c->apply(a);
      if (!winning_moves(*c).empty()) ++threats;
    }
    // Exactly one of our moves avoids an immediate loss: a forced block.
    if (threats == static_cast<int>(s->legal_actions().size()) - 1) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

TEST_CASE("search finds every Connect Four win in one", "[unit][search]") {
  auto g = zp::game::make_game("connect4");
  auto ev = zp::nn::make_uniform_backend(*g, 8);
  zp::search::Tree tree(*g, pure_params(800), 1);
  const auto positions = tactical_positions(*g, true, 100);
  for (const auto& p : positions) {
    tree.reset(*p);
    search(tree, *ev, 1);
    const Action a = tree.choose_move(0.0f);
    const auto wins = winning_moves(*p);
    INFO("position " << g->moves_to_string(p->history()));
    CHECK(std::find(wins.begin(), wins.end(), a) != wins.end());
  }
}

TEST_CASE("search blocks every Connect Four loss in one", "[unit][search]") {
  auto g = zp::game::make_game("connect4");
  auto ev = zp::nn::make_uniform_backend(*g, 8);
  zp::search::Tree tree(*g, pure_params(800), 2);
  const auto positions = tactical_positions(*g, false, 100);
  for (const auto& p : positions) {
    tree.reset(*p);
    search(tree, *ev, 4);
    const Action a = tree.choose_move(0.0f);
    auto after = p->clone();
    after->apply(a);
    INFO("position " << g->moves_to_string(p->history()) << " played "
                     << g->action_to_string(a));
    CHECK(winning_moves(*after).empty());
  }
}

TEST_CASE("tic-tac-toe search never loses to a random player", "[unit][search]") {
  auto g = zp::game::make_game("tictactoe");
  auto ev = zp::nn::make_uniform_backend(*g, 8);
  zp::search::Tree tree(*g, pure_params(800), 3);
  zp::Rng rng(99);
  int losses = 0, wins = 0;
  for (int game = 0; game < 200; ++game) {
    const int search_player = game % 2;
    auto s = g->new_initial_state();
    while (!s->is_terminal()) {
      Action a;
      if (s->current_player() == search_player) {
        tree.reset(*s);
        search(tree, *ev, 1);
        a = tree.choose_move(0.0f);
      } else {
        auto legal = s->legal_actions();
        a = legal[rng.uniform_int(legal.size())];
      }
      s->apply(a);
    }
    const float r = s->returns(search_player);
    if (r < 0) WARN("lost as player " << search_player << ": " << g->moves_to_string(s->history()));
    losses += r < 0;
    wins += r > 0;
  }
  CHECK(losses == 0);
  CHECK(wins > 150);
}

TEST_CASE("virtual loss spreads one round over distinct leaves", "[unit][search]") {
  auto g = zp::game::make_game("connect4");
  auto ev = zp::nn::make_uniform_backend(*g, 16);
  zp::search::Tree tree(*g, pure_params(400), 4);
  tree.reset(*g->new_initial_state());
  // First round: only the root can be gathered (the second descent collides with it).
  CHECK(tree.gather(8, ev->buffers(), 0) == 1);
  ev->compute(1);
  tree.scatter(ev->buffers(), 0);
  // Second round: 7 distinct children of the root, one per column.
  const int n = tree.gather(7, ev->buffers(), 0);
  CHECK(n == 7);
  ev->compute(n);
  tree.scatter(ev->buffers(), 0);
  std::vector<zp::search::RootChild> children;
  tree.root_children(&children);
  REQUIRE(children.size() == 7);
  for (const auto& c : children) CHECK(c.visits == 1);
  CHECK(tree.root_visits() == 8);
}

TEST_CASE("visits add up and tree reuse keeps the played subtree", "[unit][search]") {
  auto g = zp::game::make_game("connect4");
  auto ev = zp::nn::make_uniform_backend(*g, 16);
  zp::search::Tree tree(*g, pure_params(600), 5);
  tree.reset(*g->new_initial_state());
  search(tree, *ev, 4);
  std::vector<zp::search::RootChild> children;
  tree.root_children(&children);
  int sum = 0, best_visits = 0;
  Action best = -1;
  for (const auto& c : children) {
    sum += c.visits;
    if (c.visits > best_visits) best_visits = c.visits, best = c.action;
  }
  CHECK(sum + 1 == tree.root_visits());
  CHECK(tree.root_visits() == 600);
  tree.advance(best);
  // The kept subtree's root has the visits its node had as a child.
  CHECK(tree.root_visits() == best_visits);
  CHECK(tree.root_state().history() == std::vector<Action>{best});
  // Searching again tops the root up to the target, and the pool stops growing once warm.
  search(tree, *ev, 4);
  CHECK(tree.root_visits() == 600);
}

TEST_CASE("visit policy is a distribution over legal moves", "[unit][search]") {
  auto g = zp::game::make_game("connect4");
  auto ev = zp::nn::make_uniform_backend(*g, 16);
  zp::search::Tree tree(*g, pure_params(200), 6);
  auto s = g->state_from_moves("4444441");  // column 4 is full
  tree.reset(*s);
  search(tree, *ev, 2);
  std::vector<float> pi(g->num_actions());
  tree.visit_policy(pi.data());
  float sum = 0;
  for (float p : pi) sum += p;
  CHECK(sum == Approx(1.0f));
  CHECK(pi[3] == 0.0f);
}
