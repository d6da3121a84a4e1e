// Targeted tests per game: known wins and draws, move strings, observation layout, symmetry
// maps. The generic contracts are in conformance_test.cpp.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/game/games/connect4/connect4.h"
#include "shared/game/games/gomoku/gomoku.h"
#include "shared/game/games/tictactoe/tictactoe.h"
#include "shared/game/registry.h"

namespace zp::game {
namespace {

std::vector<float> observation(const State& s) {
  std::vector<float> obs(s.game().observation_shape().size());
  s.write_observation(obs.data());
  return obs;
}

// Whether the message of the exception thrown by `f` contains `needle`.
template <typename E, typename F>
std::string error_message(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace

// --- Tic-tac-toe --------------------------------------------------------------------------

TEST_CASE("tictactoe: wins, draws and move strings", "[unit][game]") {
  auto g = make_game("tictactoe");
  SECTION("a diagonal wins") {
    auto s = g->state_from_moves("12539");  // X 1 5 9, O 2 3
    REQUIRE(s->is_terminal());
    CHECK(s->returns(0) == 1.0f);
    CHECK(s->returns(1) == -1.0f);
    CHECK(s->legal_actions().empty());
    CHECK(s->to_string().find("X wins") != std::string::npos);
  }
  SECTION("a full board without a line is a draw") {
    auto s = g->state_from_moves("123547869");
    REQUIRE(s->is_terminal());
    CHECK(s->returns(0) == 0.0f);
    CHECK(s->to_string().find("draw") != std::string::npos);
  }
  SECTION("two in a row is not a win") {
    auto s = g->state_from_moves("1425");
    CHECK_FALSE(s->is_terminal());
    CHECK(s->current_player() == 0);
    CHECK(s->to_string().find("X to move") != std::string::npos);
  }
  SECTION("bad and illegal move lists") {
    CHECK_THROWS_AS(g->parse_moves("10"), FormatError);
    CHECK_THROWS_AS(g->parse_moves("a"), FormatError);
    CHECK(error_message<FormatError>([&] { g->parse_moves("5x"); }).find("'x'") !=
          std::string::npos);
    CHECK_THROWS_AS(g->parse_moves("55"), StateError);
    CHECK_THROWS_AS(g->parse_moves("125397"), StateError);  // after X has won
  }
  SECTION("observation and symmetries") {
    auto s = g->state_from_moves("1");  // X in the top-left corner, O to move
    const auto obs = observation(*s);
    CHECK(obs[0] == 0.0f);      // plane 0: O's stones
    CHECK(obs[9 + 0] == 1.0f);  // plane 1: X's stones
    CHECK(obs[18] == 0.0f);     // plane 2: player 1 to move
    CHECK(g->num_symmetries() == 8);
    CHECK(g->transform_cell(1, 0) == 2);  // mirror x
    CHECK(g->transform_cell(2, 0) == 6);  // mirror y
    CHECK(g->transform_cell(4, 1) == 3);  // transpose
    for (int sym = 0; sym < 8; ++sym) CHECK(g->transform_cell(sym, 4) == 4);
  }
}

// --- Connect Four -------------------------------------------------------------------------

TEST_CASE("connect4: wins in every direction, draws, move strings", "[unit][game]") {
  auto g = make_game("connect4");
  auto check_x_wins = [&](const std::string& moves) {
    INFO(moves);
    auto s = g->state_from_moves(moves);
    REQUIRE(s->is_terminal());
    CHECK(s->returns(0) == 1.0f);
    CHECK(s->returns(1) == -1.0f);
    CHECK(s->last_mover_return() == 1.0f);
    CHECK(s->legal_actions().empty());
    // One move fewer is not over.
    CHECK_FALSE(g->state_from_moves(moves.substr(0, moves.size() - 1))->is_terminal());
  };
  check_x_wins("1212121");      // vertical
  check_x_wins("1122334");      // horizontal, bottom row
  check_x_wins("12233434474");  // diagonal going up-right from the bottom-left corner
  check_x_wins("76655454414");  // its mirror image: diagonal going up-left
  {
    auto s = g->state_from_moves("71212121");  // O wins vertically
    REQUIRE(s->is_terminal());
    CHECK(s->returns(1) == 1.0f);
    CHECK(s->to_string().find("O wins") != std::string::npos);
  }
  {
    auto s = g->state_from_moves("126613431456475467333341527215612225546777");  // full board
    REQUIRE(s->is_terminal());
    CHECK(s->move_number() == 42);
    CHECK(s->returns(0) == 0.0f);
    CHECK(s->to_string().find("draw") != std::string::npos);
  }
  // Three stones with a gap are not four.
  CHECK_FALSE(g->state_from_moves("1122447")->is_terminal());

  CHECK_THROWS_AS(g->parse_moves("448"), FormatError);
  CHECK_THROWS_AS(g->parse_moves("40"), FormatError);
  CHECK(error_message<FormatError>([&] { g->parse_moves("44x"); }).find("move 3") !=
        std::string::npos);
  CHECK_THROWS_AS(g->parse_moves("1111111"), StateError);   // the 7th stone in a column
  CHECK_THROWS_AS(g->parse_moves("12121212"), StateError);  // after X has won
  CHECK(error_message<StateError>([&] { g->parse_moves("1111111"); }).find("illegal") !=
        std::string::npos);
  CHECK(g->moves_to_string(g->parse_moves("4 4 5 3")) == "4453");
}

TEST_CASE("connect4: fast accessors, observation layout and mirror", "[unit][game]") {
  auto g = make_game("connect4");
  auto s = g->state_from_moves("121212");  // X has three in column 1, X to move
  const auto& c4 = dynamic_cast<const Connect4State&>(*s);
  CHECK(c4.num_moves() == 6);
  CHECK(c4.is_winning_move(0));
  CHECK_FALSE(c4.is_winning_move(1));
  CHECK(c4.can_play(0));
  CHECK(c4::popcount(c4.mask()) == 6);
  CHECK(c4::popcount(c4.current_stones()) == 3);
  CHECK(c4.cell_owner(0, 0) == 0);
  CHECK(c4.cell_owner(1, 2) == 1);
  CHECK(c4.cell_owner(1, 3) == -1);

  auto full = g->state_from_moves("111111");
  CHECK_FALSE(dynamic_cast<const Connect4State&>(*full).can_play(0));
  CHECK(full->legal_actions() == std::vector<Action>{1, 2, 3, 4, 5, 6});

  auto one = g->state_from_moves("4");  // X in the bottom cell of column 4, O to move
  const auto obs = observation(*one);
  const int bottom_center = 5 * 7 + 3;     // row y = 5 is the bottom
  CHECK(obs[bottom_center] == 0.0f);       // plane 0: O's stones
  CHECK(obs[42 + bottom_center] == 1.0f);  // plane 1: X's stones
  CHECK(obs[2 * 42] == 0.0f);              // plane 2: player 1 to move
  CHECK(observation(*g->new_initial_state())[2 * 42] == 1.0f);

  CHECK(g->num_symmetries() == 2);
  CHECK(g->transform_action(1, 0) == 6);
  CHECK(g->transform_action(1, 3) == 3);
  CHECK(g->transform_cell(1, 7) == 13);  // row 1, x 0 -> row 1, x 6
}

// --- Gomoku -------------------------------------------------------------------------------

TEST_CASE("gomoku: parameters and move strings", "[unit][game]") {
  auto g = make_game("gomoku");
  CHECK(g->params_string() == "size=15");
  CHECK(g->num_actions() == 225);
  CHECK(g->observation_shape() == ObsShape{3, 15, 15});
  CHECK(g->parse_action("h8") == 7 * 15 + 7);  // the centre
  CHECK(g->parse_action("H8") == 7 * 15 + 7);
  CHECK(g->parse_action("a1") == 14 * 15);  // bottom-left
  CHECK(g->parse_action("o15") == 14);      // top-right
  CHECK(g->action_to_string(0) == "a15");
  for (const char* bad : {"p1", "a16", "a0", "h08", "8h", "hh", "h", "h8x", "h-1"}) {
    INFO(bad);
    CHECK_THROWS_AS(g->parse_action(bad), FormatError);
  }
  CHECK(error_message<FormatError>([&] { g->parse_action("p1"); }).find("off the 15x15 board") !=
        std::string::npos);
  CHECK(error_message<FormatError>([&] { g->parse_moves("h8 zz9"); }).find("move 2") !=
        std::string::npos);
  CHECK_THROWS_AS(g->parse_moves("h8 h8"), StateError);

  GameParams p;
  p.board_size = 9;
  auto g9 = make_game("gomoku", p);
  CHECK(g9->params_string() == "size=9");
  CHECK(g9->parse_action("e5") == 4 * 9 + 4);
  CHECK_THROWS_AS(g9->parse_action("j1"), FormatError);
  for (int bad : {4, 20, -1}) {
    p.board_size = bad;
    CHECK_THROWS_AS(make_game("gomoku", p), ConfigError);
  }
  for (int sym = 0; sym < 8; ++sym) CHECK(g->transform_action(sym, 7 * 15 + 7) == 7 * 15 + 7);
}

TEST_CASE("gomoku: five or more in a row win, four do not, a full board draws", "[unit][game]") {
  auto g = make_game("gomoku");
  auto check_x_wins = [&](const std::string& moves, int length) {
    INFO(moves);
    auto s = g->state_from_moves(moves);
    REQUIRE(s->is_terminal());
    CHECK(s->returns(0) == 1.0f);
    CHECK(s->move_number() == length);
    CHECK(s->legal_actions().empty());
  };
  check_x_wins("a1 a3 b1 b3 c1 c3 d1 d3 e1", 9);          // horizontal
  check_x_wins("h4 a3 h5 b3 h6 c3 h7 d3 h8", 9);          // vertical
  check_x_wins("a1 o1 b2 o2 c3 o3 d4 o4 e5", 9);          // diagonal
  check_x_wins("k1 a9 j2 a10 i3 a11 h4 a12 g5", 9);       // anti-diagonal
  check_x_wins("a1 a3 b1 b3 c1 c3 e1 d3 f1 o15 d1", 11);  // overline of six (freestyle)
  // Four in a row (with both ends open) is not a win; four of O next to X's stone neither.
  auto four = g->state_from_moves("a1 a3 b1 b3 c1 c3 d1 d3");
  CHECK_FALSE(four->is_terminal());
  // O wins.
  auto o = g->state_from_moves("a1 h8 a3 h9 a5 h10 a7 h11 a9 h12");
  REQUIRE(o->is_terminal());
  CHECK(o->returns(1) == 1.0f);
  CHECK(o->to_string().find("O wins") != std::string::npos);

  // 5x5 board filled with this pattern has no five in any row, column or diagonal.
  GameParams p;
  p.board_size = 5;
  auto g5 = make_game("gomoku", p);
  const char* rows[5] = {"XXOOX", "OOXXO", "XXOOX", "OOXXO", "XXOOX"};
  std::vector<Action> xs, os;
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x) (rows[y][x] == 'X' ? xs : os).push_back(y * 5 + x);
  REQUIRE(xs.size() == 13);
  auto s = g5->new_initial_state();
  for (size_t i = 0; i < 25; ++i) {
    REQUIRE_FALSE(s->is_terminal());
    s->apply_checked(i % 2 == 0 ? xs[i / 2] : os[i / 2]);
  }
  REQUIRE(s->is_terminal());
  CHECK(s->returns(0) == 0.0f);
  CHECK(s->to_string().find("draw") != std::string::npos);
}

TEST_CASE("gomoku: observation layout", "[unit][game]") {
  GameParams p;
  p.board_size = 9;
  auto g = make_game("gomoku", p);
  auto s = g->state_from_moves("a9 i1");  // X top-left, O bottom-right, X to move
  const auto obs = observation(*s);
  CHECK(obs[0] == 1.0f);        // plane 0: X (to move) at y 0, x 0
  CHECK(obs[81 + 80] == 1.0f);  // plane 1: O at y 8, x 8
  CHECK(obs[80] == 0.0f);
  CHECK(obs[2 * 81 + 40] == 1.0f);  // plane 2: player 0 to move
  CHECK(s->to_string().find("X to move") != std::string::npos);
}

}  // namespace zp::game
