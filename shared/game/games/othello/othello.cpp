#include "shared/game/games/othello/othello.h"

#include <cctype>
#include <cstring>

#include "shared/core/error.h"

namespace zp::game {

using othello::bit;

namespace {

// The opening: white on d4 and e5, black on d5 and e4 (cell = y * 8 + x, row 1 at the top).
constexpr int kD4 = 3 * 8 + 3, kE4 = 3 * 8 + 4, kD5 = 4 * 8 + 3, kE5 = 4 * 8 + 4;

}  // namespace

// --- OthelloGame ---------------------------------------------------------------------------

OthelloGame::OthelloGame() {
  for (int s = 0; s < kNumSquareSymmetries; ++s)
    for (int c = 0; c < kCells; ++c)
      sym_table_[s * kCells + c] = static_cast<int8_t>(square_transform_cell(s, c, kSide));
}

std::unique_ptr<State> OthelloGame::new_initial_state() const {
  return std::make_unique<OthelloState>(this);
}

int OthelloGame::num_symmetries() const { return kNumSquareSymmetries; }

std::string OthelloGame::action_to_string(Action a) const {
  ZP_CHECK(a >= 0 && a <= kPass);
  if (a == kPass) return "pass";
  return std::string(1, static_cast<char>('a' + a % kSide)) + std::to_string(a / kSide + 1);
}

Action OthelloGame::parse_action(std::string_view text) const {
  std::string t(text);
  for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (t == "pass") return kPass;
  if (t.size() != 2 || t[0] < 'a' || t[0] > 'h' || t[1] < '1' || t[1] > '8')
    throw FormatError("'" + std::string(text) +
                      "' is not an othello move (expected a column letter a-h then a row "
                      "number 1-8, e.g. d3, or 'pass')");
  return (t[1] - '1') * kSide + (t[0] - 'a');
}

// --- OthelloState --------------------------------------------------------------------------

OthelloState::OthelloState(const OthelloGame* game) : State(game) {
  discs_[0] = bit(kD5) | bit(kE4);  // black
  discs_[1] = bit(kD4) | bit(kE5);  // white
  update_moves();
}

void OthelloState::update_moves() {
  const uint64_t mine = discs_[to_move_], theirs = discs_[1 - to_move_];
  moves_ = othello::legal_moves(mine, theirs);
  // No move for either side ends the game; no move for this side alone means a pass.
  terminal_ = moves_ == 0 && othello::legal_moves(theirs, mine) == 0;
}

void OthelloState::do_apply(Action a) {
  if (a != OthelloGame::kPass) {
    const uint64_t m = bit(a);
    const uint64_t f = othello::flips(m, discs_[to_move_], discs_[1 - to_move_]);
    discs_[to_move_] |= m | f;
    discs_[1 - to_move_] ^= f;
  }
  to_move_ = static_cast<int8_t>(1 - to_move_);
  update_moves();
}

void OthelloState::legal_actions(std::vector<Action>* out) const {
  out->clear();
  for (uint64_t b = moves_; b; b &= b - 1) out->push_back(__builtin_ctzll(b));
  if (must_pass()) out->push_back(OthelloGame::kPass);
}

bool OthelloState::is_legal(Action a) const {
  if (a == OthelloGame::kPass) return must_pass();
  return a >= 0 && a < OthelloGame::kCells && (moves_ & bit(a)) != 0;
}

float OthelloState::returns(int player) const {
  if (!terminal_) return 0.0f;
  const int mine = othello::popcount(discs_[player]);
  const int theirs = othello::popcount(discs_[1 - player]);
  return mine > theirs ? 1.0f : mine < theirs ? -1.0f : 0.0f;
}

void OthelloState::write_observation(float* out) const {
  // Hot path (one call per search leaf): clear the three bit planes, then visit set bits.
  constexpr int kPlane = OthelloGame::kCells;
  std::memset(out, 0, 3 * kPlane * sizeof(float));
  for (uint64_t b = discs_[to_move_]; b; b &= b - 1) out[__builtin_ctzll(b)] = 1.0f;
  for (uint64_t b = discs_[1 - to_move_]; b; b &= b - 1) out[kPlane + __builtin_ctzll(b)] = 1.0f;
  for (uint64_t b = moves_; b; b &= b - 1) out[2 * kPlane + __builtin_ctzll(b)] = 1.0f;
  const float black = to_move_ == 0 ? 1.0f : 0.0f;
  for (int c = 0; c < kPlane; ++c) out[3 * kPlane + c] = black;
}

int OthelloState::cell_owner(int cell) const {
  if (discs_[0] & bit(cell)) return 0;
  if (discs_[1] & bit(cell)) return 1;
  return -1;
}

std::string OthelloState::to_string() const {
  // X black, O white, '+' where the player to move may play; row 1 at the top.
  std::string s = "   a b c d e f g h\n";
  for (int y = 0; y < OthelloGame::kSide; ++y) {
    s += ' ';
    s += static_cast<char>('1' + y);
    for (int x = 0; x < OthelloGame::kSide; ++x) {
      const int cell = y * OthelloGame::kSide + x;
      const int owner = cell_owner(cell);
      s += ' ';
      s += owner == 0 ? 'X' : owner == 1 ? 'O' : (moves_ & bit(cell)) ? '+' : '.';
    }
    s += '\n';
  }
  const int black = othello::popcount(discs_[0]), white = othello::popcount(discs_[1]);
  s += "X " + std::to_string(black) + ", O " + std::to_string(white) + ": ";
  const char* mover = to_move_ == 0 ? "X" : "O";
  if (terminal_)
    s += black > white ? "X wins\n" : black < white ? "O wins\n" : "draw\n";
  else if (must_pass())
    s += std::string(mover) + " has no move and must pass\n";
  else
    s += std::string(mover) + " to move\n";
  return s;
}

std::unique_ptr<State> OthelloState::clone() const {
  return std::make_unique<OthelloState>(*this);
}

void OthelloState::copy_from(const State& other) {
  ZP_CHECK(&other.game() == &game());
  const auto& o = static_cast<const OthelloState&>(other);
  copy_base(o);
  discs_[0] = o.discs_[0];
  discs_[1] = o.discs_[1];
  moves_ = o.moves_;
  to_move_ = o.to_move_;
  terminal_ = o.terminal_;
}

bool OthelloState::equals(const State& other) const {
  if (!base_equals(other)) return false;
  const auto& o = static_cast<const OthelloState&>(other);
  return discs_[0] == o.discs_[0] && discs_[1] == o.discs_[1] && to_move_ == o.to_move_ &&
         moves_ == o.moves_ && terminal_ == o.terminal_;
}

std::unique_ptr<State> OthelloState::transformed(int sym) const {
  auto t = std::make_unique<OthelloState>(*this);
  const Game& g = game();
  auto map = [&](uint64_t b) {
    uint64_t out = 0;
    for (; b; b &= b - 1) out |= bit(g.transform_cell(sym, __builtin_ctzll(b)));
    return out;
  };
  t->discs_[0] = map(discs_[0]);
  t->discs_[1] = map(discs_[1]);
  t->moves_ = map(moves_);  // the rules are symmetric: the legal moves map like the board
  t->transform_history(sym);
  return t;
}

std::shared_ptr<const Game> make_othello_game(const GameParams& /*params*/) {
  return std::make_shared<OthelloGame>();
}

}  // namespace zp::game
