#include "shared/game/games/connect4/connect4.h"

#include <algorithm>
#include <cstring>

#include "shared/core/error.h"

namespace zp::game {

std::unique_ptr<State> Connect4Game::new_initial_state() const {
  return std::make_unique<Connect4State>(this);
}

std::string Connect4Game::action_to_string(Action a) const {
  ZP_CHECK(a >= 0 && a < kWidth);
  return std::string(1, static_cast<char>('1' + a));
}

Action Connect4Game::parse_action(std::string_view text) const {
  if (text.size() != 1 || text[0] < '1' || text[0] > '7')
    throw FormatError("'" + std::string(text) +
                      "' is not a Connect Four column (expected one digit 1-7)");
  return text[0] - '1';
}

int Connect4State::cell_owner(int col, int row) const {
  const uint64_t bit = uint64_t{1} << (col * c4::kColBits + row);
  if (!(mask_ & bit)) return -1;
  // `current_` holds the stones of the player to move.
  return (current_ & bit) ? current_player() : 1 - current_player();
}

namespace {

// Observation index (y * width + x, row 0 at the top) of each bitboard bit; bits of the
// sentinel row above each column never hold a stone.
struct BitToCell {
  int8_t cell[64];
  constexpr BitToCell() : cell() {
    for (int b = 0; b < 64; ++b) cell[b] = -1;
    for (int x = 0; x < c4::kWidth; ++x)
      for (int row = 0; row < c4::kHeight; ++row)
        cell[x * c4::kColBits + row] = static_cast<int8_t>((c4::kHeight - 1 - row) * c4::kWidth + x);
  }
};
constexpr BitToCell kBitToCell;

}  // namespace

void Connect4State::write_observation(float* out) const {
  // Hot path (one call per search leaf): clear the two stone planes, then visit only the set
  // bits, instead of testing all 42 cells of each plane.
  constexpr int kPlane = c4::kCells;
  std::memset(out, 0, 2 * kPlane * sizeof(float));
  std::fill(out + 2 * kPlane, out + 3 * kPlane, current_player() == 0 ? 1.0f : 0.0f);
  for (uint64_t b = current_; b; b &= b - 1) out[kBitToCell.cell[__builtin_ctzll(b)]] = 1.0f;
  for (uint64_t b = current_ ^ mask_; b; b &= b - 1)
    out[kPlane + kBitToCell.cell[__builtin_ctzll(b)]] = 1.0f;
}

std::string Connect4State::to_string() const {
  std::string s;
  for (int row = c4::kHeight - 1; row >= 0; --row) {
    for (int col = 0; col < c4::kWidth; ++col) {
      const int owner = cell_owner(col, row);
      s += ' ';
      s += owner == 0 ? 'X' : owner == 1 ? 'O' : '.';
    }
    s += '\n';
  }
  s += " 1 2 3 4 5 6 7\n";
  if (won_)
    s += std::string(((moves_ - 1) & 1) == 0 ? "X" : "O") + " wins\n";
  else if (is_terminal())
    s += "draw\n";
  else
    s += std::string(current_player() == 0 ? "X" : "O") + " to move\n";
  return s;
}

std::unique_ptr<State> Connect4State::clone() const {
  return std::make_unique<Connect4State>(*this);
}

void Connect4State::copy_from(const State& other) {
  ZP_CHECK(&other.game() == &game());
  const auto& o = static_cast<const Connect4State&>(other);
  copy_base(o);
  current_ = o.current_;
  mask_ = o.mask_;
  moves_ = o.moves_;
  won_ = o.won_;
}

bool Connect4State::equals(const State& other) const {
  if (!base_equals(other)) return false;
  const auto& o = static_cast<const Connect4State&>(other);
  return current_ == o.current_ && mask_ == o.mask_ && moves_ == o.moves_ && won_ == o.won_;
}

std::shared_ptr<const Game> make_connect4_game(const GameParams& /*params*/) {
  return std::make_shared<Connect4Game>();
}

}  // namespace zp::game
