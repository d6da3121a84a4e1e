// Othello (Reversi) on the standard 8x8 board. The worked example of docs/adding-a-game.md.
//
// Rules. The game starts with white discs on d4 and e5 and black discs on d5 and e4; black
// (player 0) moves first. A move places a disc of the mover's colour on an empty cell so that
// in at least one of the eight directions a run of one or more opposing discs lies between it
// and another disc of the mover's; every such run, in every direction, turns over to the
// mover's colour. A player with no such move must pass, and may pass only then. The game ends
// when neither player can move (a full board is one such case); the player with more discs
// wins, equal counts are a draw.
//
// Cells: cell = y * 8 + x, y = 0 the top row, x = 0 the left column (bitboard.h).
// Actions: 0..63 = place a disc on that cell; 64 (kPass) = pass. 65 actions in all.
// Move strings: a column letter a-h then a row number 1-8, with row 1 at the TOP (the
// Othello convention, unlike gomoku's), so "a1" is the top-left corner and the opening moves
// are d3, c4, f5 and e6; "pass" for the pass. Parsing accepts upper case too. Move lists are
// space-separated: "f5 d6 c3 d3 c4".
//
// Players alternate with every action, a pass included, so current_player() is the number
// of actions played so far modulo 2 and the search needs nothing special for passes.
//
// Observation: 4 planes x 8 x 8, float32, cell (y, x) at index y * 8 + x in each plane:
//   plane 0: 1 where the player to move has a disc, else 0;
//   plane 1: 1 where the opponent of the player to move has a disc, else 0;
//   plane 2: 1 on every cell where the player to move may play now, else 0 (all zeros when
//            it must pass). Mobility decides Othello; giving it to the network saves it from
//            re-deriving the flip rule in its first layers;
//   plane 3: all ones if black (player 0) is to move, else all zeros.
// Symmetries: the 8 of the square (square_symmetry.h); placing actions map like cells, and
// every symmetry maps the pass to itself. The rules are symmetric under all 8, so each maps
// a position to one with the same value and mapped legal moves; the opening itself is kept
// by 4 of them (the identity, the two diagonal reflections and the half-turn), so
// OthelloState overrides State::transformed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "shared/game/game.h"
#include "shared/game/games/othello/bitboard.h"
#include "shared/game/games/square_symmetry.h"
#include "shared/game/registry.h"

namespace zp::game {

class OthelloGame : public Game {
 public:
  static constexpr int kSide = othello::kSide;
  static constexpr int kCells = othello::kCells;
  static constexpr Action kPass = kCells;  // 64
  // 60 discs can be placed, and a pass is always followed by a placing move (a pass is legal
  // only when the opponent can move), so a game has at most 60 passes.
  static constexpr int kMaxGameLength = 2 * (kCells - 4);

  OthelloGame();

  std::string name() const override { return "othello"; }
  int num_actions() const override { return kCells + 1; }
  ObsShape observation_shape() const override { return {4, kSide, kSide}; }
  int max_game_length() const override { return kMaxGameLength; }
  std::unique_ptr<State> new_initial_state() const override;

  int num_symmetries() const override;
  int transform_cell(int sym, int cell) const override {
    return sym_table_[sym * kCells + cell];
  }
  Action transform_action(int sym, Action a) const override {
    return a == kPass ? kPass : transform_cell(sym, a);
  }

  std::string action_to_string(Action a) const override;
  Action parse_action(std::string_view text) const override;

 private:
  std::array<int8_t, kNumSquareSymmetries * kCells> sym_table_{};  // [sym][cell] -> cell, filled once
};

// Not thread-safe (see State). The position is two bitboards, the side to move and the
// cached legal moves: copy_from is a few words plus the history copy.
class OthelloState : public State {
 public:
  explicit OthelloState(const OthelloGame* game);

  using State::legal_actions;  // the vector-returning overload too
  void legal_actions(std::vector<Action>* out) const override;
  bool is_legal(Action a) const override;
  bool is_terminal() const override { return terminal_; }
  int current_player() const override { return to_move_; }
  float returns(int player) const override;
  void write_observation(float* out) const override;
  std::string to_string() const override;
  std::unique_ptr<State> clone() const override;
  void copy_from(const State& other) override;
  bool equals(const State& other) const override;
  // Maps the bitboards directly: the mirror images of the opening (white on e4 and d5) are
  // not reachable from it, so the default replay of the history would fail.
  std::unique_ptr<State> transformed(int sym) const override;

  // --- Accessors for tests and tools ------------------------------------------------------
  // The discs of `player` (0 black, 1 white) as a bitboard (bit = cell).
  uint64_t discs(int player) const { return discs_[player]; }
  // Owner of `cell`: 0, 1, or -1 if empty.
  int cell_owner(int cell) const;
  // The cells where the player to move may place a disc (0 when it must pass or the game
  // is over).
  uint64_t moves() const { return moves_; }
  // Whether the only legal action is kPass.
  bool must_pass() const { return moves_ == 0 && !terminal_; }

 protected:
  void do_apply(Action a) override;

 private:
  // Recomputes moves_ and terminal_ for the player to move.
  void update_moves();

  uint64_t discs_[2] = {0, 0};  // black, white
  uint64_t moves_ = 0;          // legal placing moves of to_move_
  int8_t to_move_ = 0;
  bool terminal_ = false;
};

// Registry factory; GameParams are ignored (the board is always 8x8).
std::shared_ptr<const Game> make_othello_game(const GameParams& params);

}  // namespace zp::game
