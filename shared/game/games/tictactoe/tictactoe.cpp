#include "shared/game/games/tictactoe/tictactoe.h"

#include "shared/core/error.h"
#include "shared/game/games/square_symmetry.h"

namespace zp::game {
namespace {

// The 8 winning lines as cell masks: 3 rows, 3 columns, 2 diagonals.
constexpr uint16_t kLines[8] = {0007, 0070, 0700, 0111, 0222, 0444, 0421, 0124};
constexpr uint16_t kFull = 0777;

}  // namespace

std::unique_ptr<State> TicTacToeGame::new_initial_state() const {
  return std::make_unique<TicTacToeState>(this);
}

int TicTacToeGame::num_symmetries() const { return kNumSquareSymmetries; }

int TicTacToeGame::transform_cell(int sym, int cell) const {
  return square_transform_cell(sym, cell, 3);
}

std::string TicTacToeGame::action_to_string(Action a) const {
  ZP_CHECK(a >= 0 && a < kCells);
  return std::string(1, static_cast<char>('1' + a));
}

Action TicTacToeGame::parse_action(std::string_view text) const {
  if (text.size() != 1 || text[0] < '1' || text[0] > '9')
    throw FormatError("'" + std::string(text) +
                      "' is not a tic-tac-toe move (expected one digit 1-9)");
  return text[0] - '1';
}

void TicTacToeState::do_apply(Action a) {
  const int p = moves_ & 1;
  stones_[p] |= static_cast<uint16_t>(1u << a);
  ++moves_;
  for (uint16_t line : kLines)
    if ((stones_[p] & line) == line) winner_ = static_cast<int8_t>(p);
}

void TicTacToeState::legal_actions(std::vector<Action>* out) const {
  out->clear();
  if (is_terminal()) return;
  const uint16_t occupied = stones_[0] | stones_[1];
  for (int c = 0; c < TicTacToeGame::kCells; ++c)
    if (!(occupied & (1u << c))) out->push_back(c);
}

bool TicTacToeState::is_legal(Action a) const {
  if (a < 0 || a >= TicTacToeGame::kCells || is_terminal()) return false;
  return !((stones_[0] | stones_[1]) & (1u << a));
}

float TicTacToeState::returns(int player) const {
  if (winner_ < 0) return 0.0f;
  return winner_ == player ? 1.0f : -1.0f;
}

void TicTacToeState::write_observation(float* out) const {
  const int me = current_player();
  for (int c = 0; c < TicTacToeGame::kCells; ++c) {
    out[c] = (stones_[me] >> c) & 1;
    out[9 + c] = (stones_[1 - me] >> c) & 1;
    out[18 + c] = me == 0 ? 1.0f : 0.0f;
  }
}

std::string TicTacToeState::to_string() const {
  // The board, with the keypad digits of the cells on the right.
  std::string s;
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 3; ++x) {
      const int c = y * 3 + x;
      s += (stones_[0] >> c) & 1 ? 'X' : (stones_[1] >> c) & 1 ? 'O' : '.';
      s += x < 2 ? " " : "    ";
    }
    for (int x = 0; x < 3; ++x) {
      s += static_cast<char>('1' + y * 3 + x);
      s += x < 2 ? ' ' : '\n';
    }
  }
  if (winner_ >= 0)
    s += std::string(winner_ == 0 ? "X" : "O") + " wins\n";
  else if (is_terminal())
    s += "draw\n";
  else
    s += std::string(current_player() == 0 ? "X" : "O") + " to move\n";
  return s;
}

std::unique_ptr<State> TicTacToeState::clone() const {
  return std::make_unique<TicTacToeState>(*this);
}

void TicTacToeState::copy_from(const State& other) {
  ZP_CHECK(&other.game() == &game());
  const auto& o = static_cast<const TicTacToeState&>(other);
  copy_base(o);
  stones_[0] = o.stones_[0];
  stones_[1] = o.stones_[1];
  winner_ = o.winner_;
  moves_ = o.moves_;
}

bool TicTacToeState::equals(const State& other) const {
  if (!base_equals(other)) return false;
  const auto& o = static_cast<const TicTacToeState&>(other);
  return stones_[0] == o.stones_[0] && stones_[1] == o.stones_[1] && winner_ == o.winner_ &&
         moves_ == o.moves_;
}

std::shared_ptr<const Game> make_tictactoe_game(const GameParams& /*params*/) {
  return std::make_shared<TicTacToeGame>();
}

}  // namespace zp::game
