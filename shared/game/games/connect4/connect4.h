// Connect Four: 7 columns x 6 rows, four in a row wins, a full board is a draw.
//
// This is the hot game for MCTS, so the state is two bitboards (see bitboard.h) plus a move
// count: apply / is_terminal / legal_actions are a few dozen instructions and never allocate
// (beyond the history vector's amortized growth).
//
// Actions: 0..6 = the column, counted from the left. Move strings: the 1-based column digit,
// written with no separator: "4453" is columns 4, 4, 5, 3 (actions 3, 3, 4, 2).
// Player 0 (X) moves first; player 1 is O.
//
// Observation: 3 planes x 6 (height) x 7 (width), float32; cell (y, x) at index y * 7 + x,
// with y = 0 the TOP row (as printed) and x = 0 the left column:
//   plane 0: 1 where the player to move has a stone, else 0;
//   plane 1: 1 where the opponent of the player to move has a stone, else 0;
//   plane 2: all ones if player 0 (X) is to move, else all zeros.
// Symmetries: 2. Symmetry 0 is the identity, 1 the left-right mirror (x -> 6 - x, column
// c -> 6 - c).
#pragma once

#include <cstdint>
#include <memory>

#include "shared/game/game.h"
#include "shared/game/games/connect4/bitboard.h"
#include "shared/game/registry.h"

namespace zp::game {

class Connect4Game : public Game {
 public:
  static constexpr int kWidth = c4::kWidth;
  static constexpr int kHeight = c4::kHeight;

  std::string name() const override { return "connect4"; }
  int num_actions() const override { return kWidth; }
  ObsShape observation_shape() const override { return {3, kHeight, kWidth}; }
  int max_game_length() const override { return c4::kCells; }
  std::unique_ptr<State> new_initial_state() const override;

  int num_symmetries() const override { return 2; }
  int transform_cell(int sym, int cell) const override {
    return sym == 0 ? cell : cell - cell % kWidth + (kWidth - 1 - cell % kWidth);
  }
  Action transform_action(int sym, Action a) const override {
    return sym == 0 ? a : kWidth - 1 - a;
  }

  std::string action_to_string(Action a) const override;
  Action parse_action(std::string_view text) const override;
  bool compact_move_list() const override { return true; }
};

// Not thread-safe (see State). copy_from is a field copy plus the history copy.
class Connect4State : public State {
 public:
  explicit Connect4State(const Connect4Game* game) : State(game) {}

  void legal_actions(std::vector<Action>* out) const override {
    out->clear();
    if (is_terminal()) return;
    for (int c = 0; c < c4::kWidth; ++c)
      if (can_play(c)) out->push_back(c);
  }
  bool is_legal(Action a) const override {
    return a >= 0 && a < c4::kWidth && !is_terminal() && can_play(a);
  }
  bool is_terminal() const override { return won_ || moves_ == c4::kCells; }
  int current_player() const override { return moves_ & 1; }
  float returns(int player) const override {
    if (!won_) return 0.0f;
    return player == ((moves_ - 1) & 1) ? 1.0f : -1.0f;  // the last mover won
  }
  void write_observation(float* out) const override;
  std::string to_string() const override;
  std::unique_ptr<State> clone() const override;
  void copy_from(const State& other) override;
  bool equals(const State& other) const override;

  // --- Fast accessors for the solver and tools (bitboard layout in bitboard.h) --------------
  // Stones of the player to move.
  uint64_t current_stones() const { return current_; }
  // All stones.
  uint64_t mask() const { return mask_; }
  // Unique position key (current + mask), < 2^49.
  uint64_t key() const { return current_ + mask_; }
  int num_moves() const { return moves_; }
  // Whether column `col` (0..6) has room; ignores whether the game is over.
  bool can_play(int col) const { return (mask_ & c4::top_mask_col(col)) == 0; }
  // Whether playing `col` now makes four for the player to move. Precondition: can_play(col).
  bool is_winning_move(int col) const {
    return (c4::winning_cells(current_, mask_) & c4::possible(mask_) & c4::column_mask(col)) != 0;
  }
  // Whether the last move made four in a row.
  bool last_move_won() const { return won_; }
  // Owner of the cell at column `col`, row `row` (0 = bottom): 0, 1, or -1 if empty.
  int cell_owner(int col, int row) const;

 protected:
  void do_apply(Action a) override {
    current_ ^= mask_;  // the stones of the player who is about to move next
    mask_ |= mask_ + c4::bottom_mask_col(a);
    ++moves_;
    won_ = c4::has_alignment(current_ ^ mask_);  // the last mover's stones
  }

 private:
  uint64_t current_ = 0;
  uint64_t mask_ = 0;
  int moves_ = 0;
  bool won_ = false;
};

// Registry factory; GameParams are ignored.
std::shared_ptr<const Game> make_connect4_game(const GameParams& params);

}  // namespace zp::game
