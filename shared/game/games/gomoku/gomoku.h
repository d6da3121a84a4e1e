// Gomoku, freestyle: on an n x n board, five OR MORE stones in a row (an overline counts)
// win; a full board with no five is a draw. n comes from GameParams::board_size: 0 means 15,
// allowed 5..19, anything else is a ConfigError.
//
// Cells and actions: action = cell = y * n + x, y = 0 the TOP row (as printed), x = 0 the
// left column.
// Move strings: a column letter then a row number, e.g. "h8" (the centre of the 15x15 board).
//   column: 'a' for x = 0, 'b' for x = 1, ... (no letter is skipped: 19x19 uses a..s);
//           parsing also accepts upper case;
//   row:    1 is the BOTTOM row, so row number = n - y (as on a printed board or a chess
//           board), which puts "a1" at the bottom-left corner.
// Move lists are space-separated: "h8 i9 h9".
// Player 0 (X, black) moves first; player 1 is O (white).
//
// Observation: 3 planes x n x n, float32, cell (y, x) at index y * n + x in each plane:
//   plane 0: 1 where the player to move has a stone, else 0;
//   plane 1: 1 where the opponent of the player to move has a stone, else 0;
//   plane 2: all ones if player 0 (X) is to move, else all zeros.
// Symmetries: the 8 of the square (see square_symmetry.h); actions map like cells.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "shared/game/game.h"
#include "shared/game/registry.h"

namespace zp::game {

class GomokuGame : public Game {
 public:
  static constexpr int kDefaultSize = 15;
  static constexpr int kMinSize = 5;
  static constexpr int kMaxSize = 19;
  static constexpr int kWinLength = 5;

  // Throws ConfigError unless kMinSize <= size <= kMaxSize.
  explicit GomokuGame(int size);

  int size() const { return size_; }
  std::string name() const override { return "gomoku"; }
  std::string params_string() const override { return "size=" + std::to_string(size_); }
  int num_actions() const override { return size_ * size_; }
  ObsShape observation_shape() const override { return {3, size_, size_}; }
  int max_game_length() const override { return size_ * size_; }
  std::unique_ptr<State> new_initial_state() const override;

  int num_symmetries() const override;
  int transform_cell(int sym, int cell) const override {
    return sym_table_[sym * size_ * size_ + cell];
  }
  Action transform_action(int sym, Action a) const override { return transform_cell(sym, a); }

  std::string action_to_string(Action a) const override;
  Action parse_action(std::string_view text) const override;

 private:
  const int size_;
  std::vector<int> sym_table_;  // [sym][cell] -> cell, precomputed once
};

// Not thread-safe (see State). The board is a fixed 19x19 byte array (no allocation on copy).
class GomokuState : public State {
 public:
  explicit GomokuState(const GomokuGame* game) : State(game), size_(game->size()) {}

  void legal_actions(std::vector<Action>* out) const override;
  bool is_legal(Action a) const override;
  bool is_terminal() const override { return winner_ >= 0 || moves_ == size_ * size_; }
  int current_player() const override { return moves_ & 1; }
  float returns(int player) const override;
  void write_observation(float* out) const override;
  std::string to_string() const override;
  std::unique_ptr<State> clone() const override;
  void copy_from(const State& other) override;
  bool equals(const State& other) const override;

  // Owner of cell y * n + x: 0, 1, or -1 if empty.
  int cell_owner(int cell) const { return board_[cell] - 1; }
  // 0 or 1 once someone has five, else -1.
  int winner() const { return winner_; }

 protected:
  void do_apply(Action a) override;

 private:
  // Length of the line of `stone` through `cell` along direction (dx, dy), both ways.
  int line_length(int cell, int dx, int dy, int8_t stone) const;

  int size_;
  int moves_ = 0;
  int8_t winner_ = -1;
  // 0 empty, 1 player 0, 2 player 1; cell y * size_ + x.
  std::array<int8_t, GomokuGame::kMaxSize * GomokuGame::kMaxSize> board_{};
};

// Registry factory: board_size 0 -> 15; throws ConfigError outside 5..19.
std::shared_ptr<const Game> make_gomoku_game(const GameParams& params);
// Gomoku's parameters: board_size kMinSize..kMaxSize, 0 meaning kDefaultSize.
GameParamSpec gomoku_param_spec();

}  // namespace zp::game
