// One conformance test for every registered game (OpenSpiel's RandomSimTest): random playouts
// checking the Game/State contracts of shared/game/game.h at every step. A newly registered
// game is picked up automatically.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/core/rng.h"
#include "shared/game/game.h"
#include "shared/game/games/gomoku/gomoku.h"
#include "shared/game/registry.h"

namespace zp::game {
namespace {

struct Variant {
  std::string label;
  std::shared_ptr<const Game> game;
  int num_games;
};

// Every registered game with its default parameters, plus gomoku on a 9x9 board. The game
// counts keep the whole suite within a few seconds in Release.
std::vector<Variant> variants() {
  std::vector<Variant> out;
  for (const std::string& name : registered_games()) {
    auto g = make_game(name);
    // Fewer playouts for long games: the per-step checks cost O(num_actions).
    const int n = g->max_game_length() > 100 ? 300 : 5000;
    out.push_back({name, g, n});
  }
  GameParams p;
  p.board_size = 9;
  out.push_back({"gomoku size=9", make_game("gomoku", p), 1500});
  return out;
}

std::vector<float> observation(const State& s) {
  std::vector<float> obs(s.game().observation_shape().size());
  s.write_observation(obs.data());
  return obs;
}

// Checks that `map` (over [0, n)) is a permutation and that symmetry 0 is the identity.
template <typename F>
void check_permutation(int n, int sym, F map) {
  std::vector<int> hits(n, 0);
  for (int i = 0; i < n; ++i) {
    const int j = map(sym, i);
    REQUIRE(j >= 0);
    REQUIRE(j < n);
    ++hits[j];
    if (sym == 0) REQUIRE(j == i);
  }
  REQUIRE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
}

void check_static_properties(const Game& g) {
  const ObsShape shape = g.observation_shape();
  REQUIRE(shape.planes > 0);
  REQUIRE(g.num_actions() > 0);
  REQUIRE(g.max_game_length() > 0);
  REQUIRE(g.num_symmetries() >= 1);
  const int cells = shape.height * shape.width;
  for (int sym = 0; sym < g.num_symmetries(); ++sym) {
    check_permutation(cells, sym, [&](int s, int c) { return g.transform_cell(s, c); });
    check_permutation(g.num_actions(), sym, [&](int s, int a) { return g.transform_action(s, a); });
    // transform_policy is a permutation of the entries.
    std::vector<float> in(g.num_actions()), out(g.num_actions(), -1.0f);
    std::iota(in.begin(), in.end(), 0.0f);
    g.transform_policy(sym, in.data(), out.data());
    std::vector<float> sorted = out;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(sorted == in);
    if (sym == 0) REQUIRE(out == in);
  }
  // Every action has a string form that parses back to it.
  for (Action a = 0; a < g.num_actions(); ++a) REQUIRE(g.parse_action(g.action_to_string(a)) == a);
}

// Maps `s` through every symmetry (State::transformed) and compares observations, legal
// moves, history and outcome with the transformed originals; then checks that the symmetry
// commutes with apply: mapping after a move equals the mapped move after mapping.
void check_symmetries(const State& s) {
  const Game& g = s.game();
  const std::vector<float> obs = observation(s);
  const std::vector<Action> legal = s.legal_actions();
  std::vector<float> expected(obs.size());
  for (int sym = 0; sym < g.num_symmetries(); ++sym) {
    INFO("symmetry " << sym << " after '" << g.moves_to_string(s.history()) << "'");
    auto t = s.transformed(sym);
    REQUIRE(t->history().size() == s.history().size());
    for (size_t i = 0; i < s.history().size(); ++i)
      REQUIRE(t->history()[i] == g.transform_action(sym, s.history()[i]));
    g.transform_observation(sym, obs.data(), expected.data());
    REQUIRE(observation(*t) == expected);
    std::vector<Action> legal_t;
    for (Action a : legal) legal_t.push_back(g.transform_action(sym, a));
    std::sort(legal_t.begin(), legal_t.end());
    REQUIRE(t->legal_actions() == legal_t);
    REQUIRE(t->is_terminal() == s.is_terminal());
    if (s.is_terminal()) REQUIRE(t->returns(0) == s.returns(0));
    if (!s.is_terminal()) REQUIRE(t->current_player() == s.current_player());
    if (sym == 0) REQUIRE(t->equals(s));
    // Three moves spread over the list keep this cheap on big boards.
    for (size_t k = 0; k < legal.size(); k += std::max<size_t>(1, legal.size() / 3)) {
      const Action a = legal[k];
      auto after = s.clone();
      after->apply(a);
      auto t_after = t->clone();
      t_after->apply_checked(g.transform_action(sym, a));
      g.transform_observation(sym, observation(*after).data(), expected.data());
      REQUIRE(observation(*t_after) == expected);
    }
  }
}

// The checks made at every step of a playout.
void check_step(const State& s, std::vector<Action>* legal) {
  const Game& g = s.game();
  s.legal_actions(legal);
  REQUIRE(std::is_sorted(legal->begin(), legal->end()));
  REQUIRE(std::adjacent_find(legal->begin(), legal->end()) == legal->end());
  REQUIRE(legal->empty() == s.is_terminal());
  size_t next = 0;
  for (Action a = 0; a < g.num_actions(); ++a) {
    const bool listed = next < legal->size() && (*legal)[next] == a;
    if (listed) ++next;
    REQUIRE(s.is_legal(a) == listed);
  }
  REQUIRE(next == legal->size());  // every listed action is in range
  REQUIRE_FALSE(s.is_legal(-1));
  REQUIRE_FALSE(s.is_legal(g.num_actions()));
  if (!s.is_terminal()) REQUIRE((s.current_player() == 0 || s.current_player() == 1));
}

void run_random_games(const Variant& v) {
  const Game& g = *v.game;
  check_static_properties(g);
  Rng rng(12345);
  std::vector<Action> legal;
  auto copy = g.new_initial_state();  // reused by copy_from across games
  int decisive = 0, draws = 0;
  for (int game_no = 0; game_no < v.num_games; ++game_no) {
    auto s = g.new_initial_state();
    REQUIRE(s->move_number() == 0);
    // One position of the playout gets the (costly) symmetry check, the final one too.
    const int probe = static_cast<int>(rng.uniform_int(g.max_game_length()));
    while (true) {
      check_step(*s, &legal);
      if (s->move_number() == probe) check_symmetries(*s);
      if (s->is_terminal()) break;
      // clone / copy_from / equals.
      auto c = s->clone();
      REQUIRE(c->equals(*s));
      copy->copy_from(*s);
      REQUIRE(copy->equals(*s));
      REQUIRE(copy->to_string() == s->to_string());
      const Action a = legal[rng.uniform_int(static_cast<uint32_t>(legal.size()))];
      REQUIRE(s->is_legal(a));
      s->apply(a);
      REQUIRE_FALSE(c->equals(*s));  // the clone is independent
      REQUIRE(s->history().back() == a);
      REQUIRE(s->move_number() <= g.max_game_length());
    }
    // Outcome.
    const float r0 = s->returns(0), r1 = s->returns(1);
    REQUIRE(r0 + r1 == 0.0f);
    REQUIRE((r0 == 1.0f || r0 == 0.0f || r0 == -1.0f));
    (r0 == 0.0f ? draws : decisive)++;
    // Text round trip and replay.
    const std::string text = g.moves_to_string(s->history());
    REQUIRE(g.parse_moves(text) == s->history());
    auto replayed = g.state_from_moves(text);
    REQUIRE(replayed->equals(*s));
    REQUIRE(replayed->to_string() == s->to_string());
    REQUIRE(observation(*replayed) == observation(*s));
    check_symmetries(*s);
    // Moving past the end is refused.
    REQUIRE_THROWS_AS(s->apply_checked(0), StateError);
  }
  // Random play produces decisive games in every game here (a game that never ends in a win
  // would point at broken win detection).
  INFO(v.label << ": " << decisive << " decisive, " << draws << " drawn");
  CHECK(decisive > 0);
}

}  // namespace

TEST_CASE("every registered game passes the conformance checks", "[unit][game]") {
  const auto names = registered_games();
  REQUIRE(std::find(names.begin(), names.end(), "connect4") != names.end());
  REQUIRE(std::find(names.begin(), names.end(), "tictactoe") != names.end());
  REQUIRE(std::find(names.begin(), names.end(), "gomoku") != names.end());
  REQUIRE(std::find(names.begin(), names.end(), "othello") != names.end());
  for (const Variant& v : variants()) {
    SECTION(v.label) { run_random_games(v); }
  }
}

TEST_CASE("registry rejects unknown games and is idempotent", "[unit][game]") {
  const size_t before = registered_games().size();
  register_all_games();
  REQUIRE(registered_games().size() == before);
  try {
    make_game("chess");
    FAIL("make_game accepted an unknown game");
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("chess") != std::string::npos);
    CHECK(msg.find("connect4") != std::string::npos);
    CHECK(msg.find("gomoku") != std::string::npos);
  }
}

}  // namespace zp::game

TEST_CASE("games own their parameters: one validation over every game's spec", "[unit][game]") {
  zp::game::register_all_games();
  using zp::game::validate_game_params;
  // Games without a board size accept only 0.
  for (const char* name : {"tictactoe", "connect4"}) {
    CHECK_NOTHROW(validate_game_params(name, {0}));
    CHECK_THROWS_WITH(validate_game_params(name, {9}),
                      "only gomoku has a board size option; must be 0 for " + std::string(name) +
                          ", got 9");
  }
  // Gomoku declares 5..19, 0 meaning its default.
  CHECK_NOTHROW(validate_game_params("gomoku", {0}));
  CHECK_NOTHROW(validate_game_params("gomoku", {5}));
  CHECK_NOTHROW(validate_game_params("gomoku", {19}));
  CHECK_THROWS_WITH(validate_game_params("gomoku", {4}),
                    "must be 0 (the game's default) or between 5 and 19, got 4");
  CHECK_THROWS_WITH(validate_game_params("gomoku", {20}),
                    "must be 0 (the game's default) or between 5 and 19, got 20");
  CHECK_THROWS_AS(validate_game_params("chess", {0}), zp::ConfigError);
  // A newly registered game with a spec is validated by the same function.
  zp::game::GameParamSpec spec;
  spec.has_board_size = true;
  spec.default_board_size = 9;
  spec.min_board_size = 7;
  spec.max_board_size = 11;
  zp::game::register_game("gomoku-test-variant", zp::game::make_gomoku_game, spec);
  CHECK_NOTHROW(validate_game_params("gomoku-test-variant", {11}));
  CHECK_THROWS_WITH(validate_game_params("gomoku-test-variant", {13}),
                    "must be 0 (the game's default) or between 7 and 11, got 13");
  CHECK_THROWS_WITH(validate_game_params("connect4", {9}),
                    "only gomoku and gomoku-test-variant has a board size option; must be 0 for "
                    "connect4, got 9");
}
