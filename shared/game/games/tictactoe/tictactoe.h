// Tic-tac-toe on a 3x3 board: the smallest game, for tests and quick end-to-end runs.
//
// Cells and actions: action = cell = y * 3 + x, y = 0 the top row, x = 0 the left column.
// Move strings: one digit per move, "1".."9" = action + 1 (the layout of a phone keypad),
// written with no separator: "519" is 5, then 1, then 9.
// Player 0 plays X and moves first; player 1 plays O.
//
// Observation: 3 planes x 3 x 3, float32, cell (y, x) at index y * 3 + x in each plane:
//   plane 0: 1 where the player to move has a stone, else 0;
//   plane 1: 1 where the opponent of the player to move has a stone, else 0;
//   plane 2: all ones if player 0 (X) is to move, else all zeros.
// Symmetries: the 8 of the square (see square_symmetry.h); actions map like cells.
#pragma once

#include <cstdint>
#include <memory>

#include "shared/game/game.h"
#include "shared/game/registry.h"

namespace zp::game {

class TicTacToeGame : public Game {
 public:
  static constexpr int kCells = 9;

  std::string name() const override { return "tictactoe"; }
  int num_actions() const override { return kCells; }
  ObsShape observation_shape() const override { return {3, 3, 3}; }
  int max_game_length() const override { return kCells; }
  std::unique_ptr<State> new_initial_state() const override;

  int num_symmetries() const override;
  int transform_cell(int sym, int cell) const override;
  Action transform_action(int sym, Action a) const override { return transform_cell(sym, a); }

  std::string action_to_string(Action a) const override;
  Action parse_action(std::string_view text) const override;
  bool compact_move_list() const override { return true; }
};

// Not thread-safe (see State). Copying is a few bytes plus the history.
class TicTacToeState : public State {
 public:
  explicit TicTacToeState(const TicTacToeGame* game) : State(game) {}

  void legal_actions(std::vector<Action>* out) const override;
  bool is_legal(Action a) const override;
  bool is_terminal() const override { return winner_ >= 0 || moves_ == TicTacToeGame::kCells; }
  int current_player() const override { return moves_ & 1; }
  float returns(int player) const override;
  void write_observation(float* out) const override;
  std::string to_string() const override;
  std::unique_ptr<State> clone() const override;
  void copy_from(const State& other) override;
  bool equals(const State& other) const override;

  // The stones of `player` as a 9-bit mask, bit = cell.
  uint16_t stones(int player) const { return stones_[player]; }
  // 0 or 1 once a line is made, else -1.
  int winner() const { return winner_; }

 protected:
  void do_apply(Action a) override;

 private:
  uint16_t stones_[2] = {0, 0};
  int8_t winner_ = -1;
  int8_t moves_ = 0;
};

// Registry factory; GameParams are ignored.
std::shared_ptr<const Game> make_tictactoe_game(const GameParams& params);

}  // namespace zp::game
