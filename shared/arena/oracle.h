// Oracle accuracy on labelled Connect Four positions: how often a player picks a move whose
// exact game-theoretic outcome is the best available.
//
// File format (shared/data/connect4/README.md, data/connect4/README.md), one position a line:
//   <moves> <s1> ... <s7>
// <moves>: 1-based column digits from the empty board; <sK>: the solver's score of playing
// column K (positive win, 0 draw, negative loss, for the player who plays it); -1000 marks a
// full column, and only a full column. Blank lines and lines starting with '#' are skipped.
//
// Two figures (both over the same chosen moves):
// - accuracy: over the positions where the choice matters (not every legal move has the
//   same outcome sign), the share where the chosen move has the best sign. Positions where
//   every move is equally good or bad say nothing about a player and are left out.
// - error rate (AlphaZero.jl's benchmark figure): over ALL positions, the share where the
//   chosen move's sign is worse than the best available (win > draw > loss). A position where
//   the choice does not matter can never count as an error.
//
// Thread-safe (pure functions).
#pragma once

#include <array>
#include <istream>
#include <string>
#include <vector>

#include "shared/arena/player.h"
#include "shared/game/game.h"

namespace zp::arena {

constexpr int kConnect4Columns = 7;
constexpr int kFullColumn = -1000;

struct LabelledPosition {
  std::string moves;                         // as in the file, e.g. "4453"
  std::array<int, kConnect4Columns> scores;  // per column; kFullColumn = not playable
  int line = 0;                              // line number in its file

  // Best sign (+1, 0, -1) over the playable columns.
  int best_sign() const;
  // Whether the playable columns do not all share one sign.
  bool choice_matters() const;
  // Sign of playing column `col` (0-based); requires a playable column.
  int sign(int col) const;
};

// Reads and checks a labelled file: each line must have a move string that is a legal,
// unfinished Connect Four game, and 7 integer scores, with -1000 exactly on the full columns.
// Throws FormatError "<file>:<line>: <what is wrong>" on the first bad line, IoError if the
// file cannot be read. `game` must be Connect Four (it replays the moves).
std::vector<LabelledPosition> read_labelled_positions(const std::string& path,
                                                      const game::Game& game);
std::vector<LabelledPosition> parse_labelled_positions(std::istream& in, const std::string& name,
                                                       const game::Game& game);

struct OracleScore {
  int positions = 0;  // all positions scored
  int matters = 0;    // positions where the choice matters
  int correct = 0;    // of those, best-sign choices
  int errors = 0;     // positions (of all) where the choice has a worse sign than the best
  double accuracy() const { return matters ? double(correct) / matters : 0.0; }
  double error_rate() const { return positions ? double(errors) / positions : 0.0; }
};

// Scores one chosen column (0-based) per position. An unplayable choice counts as an error.
OracleScore score_choices(const std::vector<LabelledPosition>& positions,
                          const std::vector<int>& choices);

// What a uniformly random mover scores in expectation (a baseline for the tables).
struct ExpectedScore {
  double accuracy = 0, error_rate = 0;
};
ExpectedScore random_mover_expectation(const std::vector<LabelledPosition>& positions);

// Replays the positions and asks `player` for a move in each, `batch` positions per
// choose_moves call (the player ticks as it works); returns the chosen columns in order.
std::vector<int> choose_on_positions(const std::vector<LabelledPosition>& positions,
                                     const game::Game& game, Player& player, int batch = 256);

}  // namespace zp::arena
