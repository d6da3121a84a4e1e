#include "shared/game/games/gomoku/gomoku.h"

#include <algorithm>
#include <cctype>

#include "shared/core/error.h"
#include "shared/game/games/square_symmetry.h"

namespace zp::game {

GomokuGame::GomokuGame(int size) : size_(size) {
  if (size < kMinSize || size > kMaxSize)
    throw ConfigError("gomoku: board_size must be between " + std::to_string(kMinSize) + " and " +
                      std::to_string(kMaxSize) + " (0 means " + std::to_string(kDefaultSize) +
                      "), got " + std::to_string(size));
  const int cells = size * size;
  sym_table_.resize(kNumSquareSymmetries * cells);
  for (int s = 0; s < kNumSquareSymmetries; ++s)
    for (int c = 0; c < cells; ++c) sym_table_[s * cells + c] = square_transform_cell(s, c, size);
}

std::unique_ptr<State> GomokuGame::new_initial_state() const {
  return std::make_unique<GomokuState>(this);
}

int GomokuGame::num_symmetries() const { return kNumSquareSymmetries; }

std::string GomokuGame::action_to_string(Action a) const {
  ZP_CHECK(a >= 0 && a < size_ * size_);
  const int y = a / size_, x = a % size_;
  return static_cast<char>('a' + x) + std::to_string(size_ - y);
}

Action GomokuGame::parse_action(std::string_view text) const {
  const std::string t(text);
  const std::string expected = " (expected a column letter a-" +
                               std::string(1, static_cast<char>('a' + size_ - 1)) +
                               " then a row number 1-" + std::to_string(size_) + ", e.g. " +
                               action_to_string((size_ / 2) * size_ + size_ / 2) + ")";
  if (t.size() < 2 || t.size() > 3 || !std::isalpha(static_cast<unsigned char>(t[0])))
    throw FormatError("'" + t + "' is not a gomoku move" + expected);
  const int x = std::tolower(static_cast<unsigned char>(t[0])) - 'a';
  int row = 0;
  for (size_t i = 1; i < t.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(t[i])) || (i == 1 && t[i] == '0'))
      throw FormatError("'" + t + "' is not a gomoku move" + expected);
    row = row * 10 + (t[i] - '0');
  }
  if (x >= size_ || row < 1 || row > size_)
    throw FormatError("'" + t + "' is off the " + std::to_string(size_) + "x" +
                      std::to_string(size_) + " board" + expected);
  return (size_ - row) * size_ + x;
}

int GomokuState::line_length(int cell, int dx, int dy, int8_t stone) const {
  const int x0 = cell % size_, y0 = cell / size_;
  int n = 1;
  for (int sign = -1; sign <= 1; sign += 2) {
    int x = x0 + sign * dx, y = y0 + sign * dy;
    while (x >= 0 && x < size_ && y >= 0 && y < size_ && board_[y * size_ + x] == stone) {
      ++n;
      x += sign * dx;
      y += sign * dy;
    }
  }
  return n;
}

void GomokuState::do_apply(Action a) {
  const int8_t stone = static_cast<int8_t>(1 + (moves_ & 1));
  board_[a] = stone;
  ++moves_;
  // Only lines through the new stone can have become five (or more).
  if (line_length(a, 1, 0, stone) >= GomokuGame::kWinLength ||
      line_length(a, 0, 1, stone) >= GomokuGame::kWinLength ||
      line_length(a, 1, 1, stone) >= GomokuGame::kWinLength ||
      line_length(a, 1, -1, stone) >= GomokuGame::kWinLength)
    winner_ = static_cast<int8_t>(stone - 1);
}

void GomokuState::legal_actions(std::vector<Action>* out) const {
  out->clear();
  if (is_terminal()) return;
  const int cells = size_ * size_;
  for (int c = 0; c < cells; ++c)
    if (board_[c] == 0) out->push_back(c);
}

bool GomokuState::is_legal(Action a) const {
  return a >= 0 && a < size_ * size_ && !is_terminal() && board_[a] == 0;
}

float GomokuState::returns(int player) const {
  if (winner_ < 0) return 0.0f;
  return winner_ == player ? 1.0f : -1.0f;
}

void GomokuState::write_observation(float* out) const {
  const int cells = size_ * size_;
  const int8_t mine = static_cast<int8_t>(1 + current_player());
  const int8_t theirs = static_cast<int8_t>(3 - mine);
  const float to_move = current_player() == 0 ? 1.0f : 0.0f;
  for (int c = 0; c < cells; ++c) {
    out[c] = board_[c] == mine;
    out[cells + c] = board_[c] == theirs;
    out[2 * cells + c] = to_move;
  }
}

std::string GomokuState::to_string() const {
  // Row numbers on the left (n at the top, 1 at the bottom), column letters below.
  std::string s;
  for (int y = 0; y < size_; ++y) {
    const int row = size_ - y;
    s += row < 10 ? " " : "";
    s += std::to_string(row);
    for (int x = 0; x < size_; ++x) {
      const int8_t b = board_[y * size_ + x];
      s += ' ';
      s += b == 1 ? 'X' : b == 2 ? 'O' : '.';
    }
    s += '\n';
  }
  s += "  ";
  for (int x = 0; x < size_; ++x) {
    s += ' ';
    s += static_cast<char>('a' + x);
  }
  s += '\n';
  if (winner_ >= 0)
    s += std::string(winner_ == 0 ? "X" : "O") + " wins\n";
  else if (is_terminal())
    s += "draw\n";
  else
    s += std::string(current_player() == 0 ? "X" : "O") + " to move\n";
  return s;
}

std::unique_ptr<State> GomokuState::clone() const { return std::make_unique<GomokuState>(*this); }

void GomokuState::copy_from(const State& other) {
  ZP_CHECK(&other.game() == &game());
  const auto& o = static_cast<const GomokuState&>(other);
  copy_base(o);
  moves_ = o.moves_;
  winner_ = o.winner_;
  std::copy(o.board_.begin(), o.board_.begin() + size_ * size_, board_.begin());
}

bool GomokuState::equals(const State& other) const {
  if (!base_equals(other)) return false;
  const auto& o = static_cast<const GomokuState&>(other);
  return moves_ == o.moves_ && winner_ == o.winner_ && board_ == o.board_;
}

GameParamSpec gomoku_param_spec() {
  GameParamSpec spec;
  spec.has_board_size = true;
  spec.default_board_size = GomokuGame::kDefaultSize;
  spec.min_board_size = GomokuGame::kMinSize;
  spec.max_board_size = GomokuGame::kMaxSize;
  return spec;
}

std::shared_ptr<const Game> make_gomoku_game(const GameParams& params) {
  return std::make_shared<GomokuGame>(params.board_size == 0 ? GomokuGame::kDefaultSize
                                                             : params.board_size);
}

}  // namespace zp::game
