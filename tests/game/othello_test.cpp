// Othello: the opening, perft against the published counts, passes, the end of the game,
// flips in every direction (the bitboard functions against a naive coordinate twin),
// symmetries with passes, move text and the observation planes. The generic contracts
// (sorted legal moves, clone, text round trip, symmetric observations) are checked by
// conformance_test.cpp, which picks othello up from the registry.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/core/rng.h"
#include "shared/game/games/othello/othello.h"
#include "shared/game/registry.h"

namespace zp::game {
namespace {

using othello::bit;
constexpr Action kPass = OthelloGame::kPass;

// The cell of a move string such as "d3" (row 1 at the top), for readable test boards.
int cell(const std::string& s) { return (s[1] - '1') * 8 + (s[0] - 'a'); }

uint64_t cells(std::initializer_list<const char*> names) {
  uint64_t b = 0;
  for (const char* n : names) b |= bit(cell(n));
  return b;
}

std::shared_ptr<const Game> othello_game() {
  register_all_games();
  return make_game("othello");
}

const OthelloState& as_othello(const State& s) { return static_cast<const OthelloState&>(s); }

std::vector<float> observation(const State& s) {
  std::vector<float> obs(s.game().observation_shape().size());
  s.write_observation(obs.data());
  return obs;
}

// The bitboard of one observation plane (entries must be 0 or 1).
uint64_t plane_bits(const std::vector<float>& obs, int plane) {
  uint64_t b = 0;
  for (int c = 0; c < 64; ++c) {
    const float v = obs[plane * 64 + c];
    REQUIRE((v == 0.0f || v == 1.0f));
    if (v == 1.0f) b |= bit(c);
  }
  return b;
}

// --- The naive twin: Othello's rules written with coordinates, one cell at a time -----------

bool on_board(int y, int x) { return y >= 0 && y < 8 && x >= 0 && x < 8; }

uint64_t naive_flips(int move, uint64_t mine, uint64_t theirs) {
  uint64_t flipped = 0;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) {
      if (dy == 0 && dx == 0) continue;
      uint64_t run = 0;
      int y = move / 8 + dy, x = move % 8 + dx;
      while (on_board(y, x) && (theirs & bit(y * 8 + x))) {
        run |= bit(y * 8 + x);
        y += dy;
        x += dx;
      }
      if (on_board(y, x) && (mine & bit(y * 8 + x))) flipped |= run;
    }
  return flipped;
}

uint64_t naive_moves(uint64_t mine, uint64_t theirs) {
  uint64_t moves = 0;
  for (int c = 0; c < 64; ++c)
    if (!((mine | theirs) & bit(c)) && naive_flips(c, mine, theirs)) moves |= bit(c);
  return moves;
}

// Leaves of the game tree `depth` plies deep. A pass is a ply (it is an action here), and a
// game that ends earlier counts as one leaf where it ends: the convention of Aart Bik's table
// (see the perft test). The last ply is bulk-counted from the legal-move list.
uint64_t perft(const State& s, int depth, std::vector<std::unique_ptr<State>>* scratch,
               std::vector<std::vector<Action>>* legal) {
  if (s.is_terminal()) return 1;
  std::vector<Action>& moves = (*legal)[depth];
  s.legal_actions(&moves);
  if (depth == 1) return moves.size();
  uint64_t leaves = 0;
  State& child = *(*scratch)[depth];
  for (Action a : moves) {
    child.copy_from(s);
    child.apply(a);
    leaves += perft(child, depth - 1, scratch, legal);
  }
  return leaves;
}

uint64_t perft(const Game& g, int depth) {
  std::vector<std::unique_ptr<State>> scratch;
  for (int d = 0; d <= depth; ++d) scratch.push_back(g.new_initial_state());
  std::vector<std::vector<Action>> legal(depth + 1);
  return perft(*g.new_initial_state(), depth, &scratch, &legal);
}

// The board of `b` mapped through symmetry `sym`.
uint64_t transform_board(const Game& g, int sym, uint64_t b) {
  uint64_t out = 0;
  for (int c = 0; c < 64; ++c)
    if (b & bit(c)) out |= bit(g.transform_cell(sym, c));
  return out;
}

// Found by a depth-first search from the opening: after these 8 plies black (to move) has
// no move while white has some, so black must pass.
const char* const kPassGame = "d3 c3 b3 b2 f5 a3 a1 c1";
// The shortest games end after 9 plies with one colour gone and empty cells left (found by
// the same search). In this one black wipes white out, 13 discs to 0.
const char* const kWipeoutGame = "d3 c3 b3 d2 e1 d6 d7 e3 f4";

}  // namespace

TEST_CASE("othello: the opening position has white on d4 and e5 and 4 moves for black",
          "[unit][game]") {
  auto g = othello_game();
  CHECK(g->name() == "othello");
  CHECK(g->num_actions() == 65);
  CHECK(g->observation_shape() == ObsShape{4, 8, 8});
  auto s = g->new_initial_state();
  const OthelloState& o = as_othello(*s);
  CHECK(o.discs(0) == cells({"d5", "e4"}));  // black
  CHECK(o.discs(1) == cells({"d4", "e5"}));  // white
  CHECK(s->current_player() == 0);
  CHECK_FALSE(s->is_terminal());
  CHECK(s->legal_actions() ==
        std::vector<Action>{cell("d3"), cell("c4"), cell("f5"), cell("e6")});
  CHECK_FALSE(s->is_legal(kPass));  // a pass is legal only without another move
  CHECK(s->to_string() ==
        "   a b c d e f g h\n"
        " 1 . . . . . . . .\n"
        " 2 . . . . . . . .\n"
        " 3 . . . + . . . .\n"
        " 4 . . + O X . . .\n"
        " 5 . . . X O + . .\n"
        " 6 . . . . + . . .\n"
        " 7 . . . . . . . .\n"
        " 8 . . . . . . . .\n"
        "X 2, O 2: X to move\n");
  // The first move flips exactly one disc; then white has 3 moves.
  s->apply(cell("f5"));
  CHECK(as_othello(*s).discs(0) == cells({"d5", "e4", "e5", "f5"}));
  CHECK(as_othello(*s).discs(1) == cells({"d4"}));
  CHECK(s->current_player() == 1);
  CHECK(s->legal_actions() == std::vector<Action>{cell("f4"), cell("d6"), cell("f6")});
}

// Aart Bik, "Perft for Reversi" (aartbik.blogspot.com/2009/02/perft-for-reversi.html), from
// the opening: 4, 12, 56, 244, 1396, 8200, 55092, 390216, 3005288, 24571284 for depths 1-10,
// confirmed there by a second, independent table. In that table a pass is a ply ("at depths
// 9 and up, passing moves start to occur") and a finished game is a leaf where it ends; our
// pass is an action, so the counts are comparable as they are. Depths 1-8 contain no pass;
// depths 9 and 10 go through passes, and a finished game (the 9-ply wipeouts) is a leaf
// above depth 10. Depth 10 costs about a second in Release.
TEST_CASE("othello: perft from the opening matches the published counts", "[unit][game]") {
  auto g = othello_game();
  const std::vector<uint64_t> expected = {4,      12,     56,      244,     1396,
                                         8200,   55092,  390216,  3005288, 24571284};
  for (size_t d = 1; d <= expected.size(); ++d) {
    INFO("depth " << d);
    CHECK(perft(*g, static_cast<int>(d)) == expected[d - 1]);
  }
}

TEST_CASE("othello: a player without a move must pass, and only then", "[unit][game]") {
  auto g = othello_game();
  auto s = g->state_from_moves(kPassGame);
  const OthelloState& o = as_othello(*s);
  REQUIRE_FALSE(s->is_terminal());
  CHECK(s->current_player() == 0);
  CHECK(o.must_pass());
  CHECK(o.moves() == 0);
  CHECK(s->legal_actions() == std::vector<Action>{kPass});
  CHECK(s->is_legal(kPass));
  CHECK(s->to_string().find("X has no move and must pass") != std::string::npos);
  CHECK(plane_bits(observation(*s), 2) == 0);  // no cell to play on
  CHECK(s->returns(0) == 0.0f);                // not over yet
  const uint64_t black = o.discs(0), white = o.discs(1);
  s->apply_checked(kPass);
  // A pass changes nothing on the board; it hands the move to white, who can move.
  CHECK(as_othello(*s).discs(0) == black);
  CHECK(as_othello(*s).discs(1) == white);
  CHECK(s->current_player() == 1);
  CHECK_FALSE(s->is_legal(kPass));
  CHECK_FALSE(s->legal_actions().empty());
  // The pass is written and read back as "pass".
  const std::string text = g->moves_to_string(s->history());
  CHECK(text == std::string(kPassGame) + " pass");
  CHECK(g->state_from_moves(text)->equals(*s));
  // Passing while a move exists is refused.
  CHECK_THROWS_AS(s->apply_checked(kPass), StateError);
  CHECK_THROWS_AS(g->parse_moves("pass"), StateError);
}

TEST_CASE("othello: the game ends when neither side can move", "[unit][game]") {
  auto g = othello_game();
  SECTION("a wipeout with empty cells left") {
    auto s = g->state_from_moves(kWipeoutGame);
    const OthelloState& o = as_othello(*s);
    CHECK(s->move_number() == 9);
    REQUIRE(s->is_terminal());
    CHECK(o.discs(1) == 0);  // white has no disc left
    CHECK(othello::popcount(o.discs(0)) == 13);
    CHECK(s->legal_actions().empty());
    CHECK_FALSE(s->is_legal(kPass));  // no pass in a finished game
    CHECK(s->returns(0) == 1.0f);
    CHECK(s->returns(1) == -1.0f);
    CHECK(s->to_string().find("X wins") != std::string::npos);
    CHECK_THROWS_AS(s->apply_checked(kPass), StateError);
  }
  SECTION("random games end only when neither side can move, and disc counts decide") {
    Rng rng(7);
    int black_wins = 0, white_wins = 0, draws = 0, passes = 0, full_boards = 0;
    for (int game = 0; game < 300; ++game) {
      auto s = g->new_initial_state();
      while (!s->is_terminal()) {
        const OthelloState& o = as_othello(*s);
        // Not over: someone can move.
        REQUIRE((o.moves() != 0 || naive_moves(o.discs(1 - o.current_player()),
                                               o.discs(o.current_player())) != 0));
        const auto legal = s->legal_actions();
        const Action a = legal[rng.uniform_int(static_cast<uint32_t>(legal.size()))];
        passes += a == kPass;
        s->apply(a);
      }
      const OthelloState& o = as_othello(*s);
      CHECK(naive_moves(o.discs(0), o.discs(1)) == 0);
      CHECK(naive_moves(o.discs(1), o.discs(0)) == 0);
      const int black = othello::popcount(o.discs(0)), white = othello::popcount(o.discs(1));
      full_boards += black + white == 64;
      const float expected = black > white ? 1.0f : black < white ? -1.0f : 0.0f;
      CHECK(s->returns(0) == expected);
      CHECK(s->returns(1) == -expected);
      (expected > 0 ? black_wins : expected < 0 ? white_wins : draws)++;
    }
    INFO(black_wins << " black wins, " << white_wins << " white wins, " << draws << " draws, "
                    << passes << " passes, " << full_boards << " full boards");
    // Random play reaches all of these in 300 games; a game that never passes or never
    // fills the board would point at broken pass or end detection.
    CHECK(black_wins > 0);
    CHECK(white_wins > 0);
    CHECK(passes > 0);
    CHECK(full_boards > 0);
  }
}

TEST_CASE("othello: a move flips the runs it closes in all 8 directions", "[unit][game]") {
  using othello::flips;
  using othello::legal_moves;
  // Black plays d4. Each direction holds a run of white discs of a different length, closed
  // by a black disc: east 1, west 2, south 1, north 2, south-east 3, south-west 1,
  // north-east 1, north-west 1.
  const uint64_t white = cells({"e4", "c4", "b4", "d5", "d3", "d2", "e5", "f6", "g7", "c5",
                                "e3", "c3"});
  const uint64_t black = cells({"f4", "a4", "d6", "d1", "h8", "b6", "f2", "b2"});
  REQUIRE(naive_flips(cell("d4"), black, white) == white);
  CHECK(flips(bit(cell("d4")), black, white) == white);
  CHECK((legal_moves(black, white) & bit(cell("d4"))) != 0);
  // Each direction on its own: closed, it flips its run; open (the closing disc removed), it
  // flips nothing.
  const std::vector<std::pair<uint64_t, const char*>> runs = {
      {cells({"e4"}), "f4"},       {cells({"c4", "b4"}), "a4"}, {cells({"d5"}), "d6"},
      {cells({"d3", "d2"}), "d1"}, {cells({"e5", "f6", "g7"}), "h8"}, {cells({"c5"}), "b6"},
      {cells({"e3"}), "f2"},       {cells({"c3"}), "b2"}};
  for (const auto& [run, closer] : runs) {
    INFO("closed by " << closer);
    CHECK(flips(bit(cell("d4")), cells({closer}), run) == run);
    CHECK(flips(bit(cell("d4")), 0, run) == 0);
    CHECK(legal_moves(cells({closer}), run) & bit(cell("d4")));
    CHECK(flips(bit(cell("d4")), cells({"a8"}), run) == 0);
  }
  // A gap stops a run: d4 with e4 white, f4 empty, g4 black flips nothing eastward.
  CHECK(flips(bit(cell("d4")), cells({"g4"}), cells({"e4"})) == 0);
  // Lines do not wrap from one edge of the board to the other: h4 -> a5 is not a step east,
  // a5 -> h4 not a step west, h4 -> a6 not a step south-east, h4 -> a4 not a step north-east,
  // a4 -> h2 not a step north-west.
  CHECK(flips(bit(cell("h4")), cells({"b5"}), cells({"a5"})) == 0);
  CHECK(flips(bit(cell("a5")), cells({"g4"}), cells({"h4"})) == 0);
  CHECK(flips(bit(cell("h4")), cells({"b7"}), cells({"a6"})) == 0);
  CHECK(flips(bit(cell("h4")), cells({"b3"}), cells({"a4"})) == 0);
  CHECK(flips(bit(cell("a4")), cells({"g1"}), cells({"h2"})) == 0);
  CHECK((legal_moves(cells({"b5"}), cells({"a5"})) & bit(cell("h4"))) == 0);
  CHECK((legal_moves(cells({"g4"}), cells({"h4"})) & bit(cell("a5"))) == 0);
}

TEST_CASE("othello: bitboard moves and flips equal the naive coordinate rules",
          "[unit][game]") {
  Rng rng(2026);
  for (int board = 0; board < 20000; ++board) {
    // Random boards of every density, not only reachable ones: edges and corners crowded.
    const uint32_t fill = 1 + rng.uniform_int(7);  // chance fill/8 of a disc per cell
    uint64_t mine = 0, theirs = 0;
    for (int c = 0; c < 64; ++c)
      if (rng.uniform_int(8) < fill) (rng.uniform_int(2) ? mine : theirs) |= bit(c);
    INFO("mine " << mine << " theirs " << theirs);
    REQUIRE(othello::legal_moves(mine, theirs) == naive_moves(mine, theirs));
    for (int c = 0; c < 64; ++c)
      if (!((mine | theirs) & bit(c)))
        REQUIRE(othello::flips(bit(c), mine, theirs) == naive_flips(c, mine, theirs));
  }
}

TEST_CASE("othello: random games agree with the naive rules move by move", "[unit][game]") {
  auto g = othello_game();
  Rng rng(99);
  for (int game = 0; game < 200; ++game) {
    auto s = g->new_initial_state();
    uint64_t discs[2] = {cells({"d5", "e4"}), cells({"d4", "e5"})};
    int to_move = 0;
    while (true) {
      const uint64_t moves = naive_moves(discs[to_move], discs[1 - to_move]);
      const bool other_can = naive_moves(discs[1 - to_move], discs[to_move]) != 0;
      std::vector<Action> expected;
      for (int c = 0; c < 64; ++c)
        if (moves & bit(c)) expected.push_back(c);
      if (!moves && other_can) expected.push_back(kPass);
      REQUIRE(s->legal_actions() == expected);
      REQUIRE(s->is_terminal() == expected.empty());
      if (expected.empty()) break;
      REQUIRE(s->current_player() == to_move);
      const Action a = expected[rng.uniform_int(static_cast<uint32_t>(expected.size()))];
      if (a != kPass) {
        const uint64_t f = naive_flips(a, discs[to_move], discs[1 - to_move]);
        discs[to_move] |= bit(a) | f;
        discs[1 - to_move] &= ~f;
      }
      to_move = 1 - to_move;
      s->apply(a);
      REQUIRE(as_othello(*s).discs(0) == discs[0]);
      REQUIRE(as_othello(*s).discs(1) == discs[1]);
    }
  }
}

TEST_CASE("othello: symmetries map legal moves to legal moves and commute with apply",
          "[unit][game]") {
  auto g = othello_game();
  REQUIRE(g->num_symmetries() == 8);
  for (int sym = 0; sym < 8; ++sym) CHECK(g->transform_action(sym, kPass) == kPass);
  // Corners go to corners; the four symmetries of the opening keep it.
  for (int sym = 0; sym < 8; ++sym) {
    const uint64_t corners = cells({"a1", "h1", "a8", "h8"});
    CHECK(transform_board(*g, sym, corners) == corners);
  }
  auto start = g->new_initial_state();
  int fixing_opening = 0;
  for (int sym = 0; sym < 8; ++sym)
    fixing_opening += transform_board(*g, sym, as_othello(*start).discs(1)) ==
                      as_othello(*start).discs(1);
  CHECK(fixing_opening == 4);

  // Random games, plus the scripted pass: at every position each symmetry maps the legal
  // moves onto the legal moves of the mapped position, and apply-then-map equals
  // map-then-apply for every legal move.
  Rng rng(5);
  std::vector<std::string> games = {std::string(kPassGame) + " pass"};
  for (int i = 0; i < 20; ++i) {
    auto s = g->new_initial_state();
    while (!s->is_terminal()) {
      const auto legal = s->legal_actions();
      s->apply(legal[rng.uniform_int(static_cast<uint32_t>(legal.size()))]);
    }
    games.push_back(g->moves_to_string(s->history()));
  }
  for (const std::string& text : games) {
    auto s = g->new_initial_state();
    for (Action move : g->parse_moves(text)) {
      for (int sym = 0; sym < 8; ++sym) {
        INFO("symmetry " << sym << " after '" << g->moves_to_string(s->history()) << "'");
        auto t = s->transformed(sym);
        const OthelloState &os = as_othello(*s), &ot = as_othello(*t);
        REQUIRE(ot.discs(0) == transform_board(*g, sym, os.discs(0)));
        REQUIRE(ot.discs(1) == transform_board(*g, sym, os.discs(1)));
        // The cached legal moves equal the rules applied to the mapped board.
        REQUIRE(ot.moves() == naive_moves(ot.discs(ot.current_player()),
                                          ot.discs(1 - ot.current_player())));
        std::vector<Action> mapped;
        for (Action a : s->legal_actions()) mapped.push_back(g->transform_action(sym, a));
        std::sort(mapped.begin(), mapped.end());
        REQUIRE(t->legal_actions() == mapped);
        for (Action a : s->legal_actions()) {
          auto s2 = s->clone(), t2 = t->clone();
          s2->apply(a);
          t2->apply_checked(g->transform_action(sym, a));
          REQUIRE(t2->equals(*s2->transformed(sym)));
        }
      }
      s->apply(move);
    }
  }
}

TEST_CASE("othello: replaying mirrored moves works only for the symmetries of the opening",
          "[unit][game]") {
  // Why OthelloState overrides State::transformed: the default replays the mapped history
  // from the opening, which a mirror or a quarter-turn does not keep.
  auto g = othello_game();
  auto s = g->state_from_moves("f5 d6 c3 d3 c4");
  const auto start = g->new_initial_state();
  const uint64_t black = as_othello(*start).discs(0);
  for (int sym = 0; sym < 8; ++sym) {
    INFO("symmetry " << sym);
    const bool keeps_opening = transform_board(*g, sym, black) == black;
    if (keeps_opening)
      CHECK(s->State::transformed(sym)->equals(*s->transformed(sym)));
    else
      CHECK_THROWS_AS(s->State::transformed(sym), StateError);
  }
}

TEST_CASE("othello: move text and its errors", "[unit][game]") {
  auto g = othello_game();
  CHECK(g->action_to_string(0) == "a1");
  CHECK(g->action_to_string(7) == "h1");
  CHECK(g->action_to_string(56) == "a8");
  CHECK(g->action_to_string(63) == "h8");
  CHECK(g->action_to_string(cell("d3")) == "d3");
  CHECK(g->action_to_string(kPass) == "pass");
  CHECK(g->parse_action("d3") == 2 * 8 + 3);
  CHECK(g->parse_action("D3") == 2 * 8 + 3);
  CHECK(g->parse_action("pass") == kPass);
  CHECK(g->parse_action("PASS") == kPass);
  for (const char* bad : {"", "d", "d0", "d9", "i1", "d33", "3d", "pas", "passe", " d3", "--"})
    CHECK_THROWS_AS(g->parse_action(bad), FormatError);
  CHECK_THROWS_WITH(g->parse_action("z9"),
                    "'z9' is not an othello move (expected a column letter a-h then a row "
                    "number 1-8, e.g. d3, or 'pass')");
  // Move lists: space-separated; a bad token and an illegal move are named.
  CHECK(g->parse_moves("f5 d6 c3") ==
        std::vector<Action>{cell("f5"), cell("d6"), cell("c3")});
  CHECK(g->moves_to_string({cell("f5"), cell("d6")}) == "f5 d6");
  CHECK_THROWS_WITH(g->parse_moves("f5 d6 x1"),
                    Catch::Matchers::Contains("move 3 of 'f5 d6 x1'") &&
                        Catch::Matchers::Contains("'x1' is not an othello move"));
  CHECK_THROWS_WITH(g->parse_moves("f5 f5"), "move 2 ('f5') of 'f5 f5' is illegal");
  CHECK_THROWS_WITH(g->parse_moves(std::string(kWipeoutGame) + " a1"),
                    Catch::Matchers::Contains("comes after the game has ended"));
}

TEST_CASE("othello: observation planes", "[unit][game]") {
  auto g = othello_game();
  auto s = g->new_initial_state();
  auto obs = observation(*s);
  REQUIRE(obs.size() == 4u * 64);
  CHECK(plane_bits(obs, 0) == cells({"d5", "e4"}));  // black, to move
  CHECK(plane_bits(obs, 1) == cells({"d4", "e5"}));  // white
  CHECK(plane_bits(obs, 2) == cells({"d3", "c4", "f5", "e6"}));
  CHECK(plane_bits(obs, 3) == ~0ULL);  // black to move
  s->apply(cell("d3"));                // flips d4
  obs = observation(*s);
  CHECK(plane_bits(obs, 0) == cells({"e5"}));  // white, to move
  CHECK(plane_bits(obs, 1) == cells({"d3", "d4", "d5", "e4"}));
  CHECK(plane_bits(obs, 2) == as_othello(*s).moves());
  CHECK(plane_bits(obs, 2) == cells({"c3", "e3", "c5"}));
  CHECK(plane_bits(obs, 3) == 0);  // white to move
}

TEST_CASE("othello: registered without a board size", "[unit][game]") {
  register_all_games();
  const auto names = registered_games();
  CHECK(std::find(names.begin(), names.end(), "othello") != names.end());
  CHECK_NOTHROW(validate_game_params("othello", {0}));
  CHECK_THROWS_AS(validate_game_params("othello", {8}), ConfigError);
  CHECK(make_game("othello")->max_game_length() == 120);
}

}  // namespace zp::game
