#include "shared/game/games/connect4/solver.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "shared/core/error.h"

namespace zp::game {
namespace {

using c4::kCells;
using c4::kWidth;

// Explore the center columns first: they take part in more alignments.
constexpr int kColumnOrder[kWidth] = {3, 2, 4, 1, 5, 0, 6};

constexpr size_t kHugePage = size_t{2} << 20;
constexpr int kNoLower = -32, kNoUpper = 31;  // "no bound" in the table's encoding
constexpr uint64_t kKeyMask = (uint64_t{1} << 49) - 1;

// Up to 7 moves kept sorted by score, insertion sort; next() pops the best. Among equal
// scores the move added last comes out first, so adding columns in reverse kColumnOrder
// keeps center-first ordering between ties.
class MoveSorter {
 public:
  void add(uint64_t move, int score) {
    int pos = size_++;
    for (; pos > 0 && entries_[pos - 1].score > score; --pos) entries_[pos] = entries_[pos - 1];
    entries_[pos] = {move, score};
  }
  uint64_t next() { return size_ > 0 ? entries_[--size_].move : 0; }

 private:
  struct Entry {
    uint64_t move;
    int score;
  };
  Entry entries_[kWidth];
  int size_ = 0;
};

}  // namespace

Connect4Solver::Connect4Solver(int log2_entries) {
  ZP_CHECK_GE(log2_entries, 16);
  ZP_CHECK_LE(log2_entries, 32);
  table_size_ = size_t{1} << log2_entries;
  table_shift_ = 64 - log2_entries;
  const size_t bytes = std::max(table_size_ * sizeof(uint64_t), kHugePage);
  void* mem = std::aligned_alloc(kHugePage, bytes);
  if (mem == nullptr) throw std::bad_alloc();
  madvise(mem, bytes, MADV_HUGEPAGE);  // a hint; failure only costs speed
  table_.reset(static_cast<uint64_t*>(mem));
  reset();
}

void Connect4Solver::reset() {
  std::fill(table_.get(), table_.get() + table_size_, uint64_t{0});
  nodes_ = 0;
}

bool Connect4Solver::find(uint64_t key, int* lower, int* upper) const {
  const uint64_t w = table_[slot(key)];
  if ((w & kKeyMask) != key) return false;
  *lower = static_cast<int>((w >> 49) & 63) - 32;
  *upper = 31 - static_cast<int>((w >> 55) & 63);
  return true;
}

void Connect4Solver::store(uint64_t key, int lower, int upper) {
  uint64_t& w = table_[slot(key)];
  int old_lower, old_upper;
  if (find(key, &old_lower, &old_upper)) {  // same position: keep what it knew
    lower = std::max(lower, old_lower);
    upper = std::min(upper, old_upper);
  }
  w = key | static_cast<uint64_t>(lower + 32) << 49 | static_cast<uint64_t>(31 - upper) << 55;
}

int Connect4Solver::negamax(const Position& p, int alpha, int beta) {
  ++nodes_;
  const uint64_t possible = c4::possible(p.mask);
  const uint64_t opponent_wins = c4::winning_cells(p.current ^ p.mask, p.mask);
  // Moves that do not hand the opponent an immediate win: forced to block if the opponent
  // threatens a playable cell (lost if it threatens two), never below an opponent threat.
  uint64_t next = possible;
  const uint64_t forced = possible & opponent_wins;
  if (forced) {
    if (forced & (forced - 1)) return -(kCells - p.moves) / 2;  // two threats: lost
    next = forced;
  }
  next &= ~(opponent_wins >> 1);
  if (next == 0) return -(kCells - p.moves) / 2;  // every move lets the opponent win
  if (p.moves >= kCells - 2) return 0;            // the board fills with no winner

  // We cannot win at once and the opponent cannot win on its next move: bound the score,
  // then tighten the bounds with what the table knows.
  int min = -(kCells - 2 - p.moves) / 2;
  int max = (kCells - 1 - p.moves) / 2;
  const uint64_t key = p.current + p.mask;
  int known_lower, known_upper;
  if (find(key, &known_lower, &known_upper)) {
    min = std::max(min, known_lower);
    max = std::min(max, known_upper);
  }
  if (alpha < min) {
    alpha = min;
    if (alpha >= beta) return alpha;
  }
  if (beta > max) {
    beta = max;
    if (alpha >= beta) return beta;
  }

  // Order moves by the number of winning cells they create (ties: center first).
  MoveSorter moves;
  for (int i = kWidth - 1; i >= 0; --i) {
    const int col = kColumnOrder[i];
    const uint64_t move = next & c4::column_mask(col);
    if (!move) continue;
    // The table probe is a cache miss that dominates the cost of a node: start loading the
    // child's slot now, while the moves are scored and the siblings searched.
    __builtin_prefetch(&table_[slot((p.current ^ p.mask) + (p.mask | move))]);
    moves.add(move, c4::popcount(c4::winning_cells(p.current | move, p.mask)));
  }
  while (const uint64_t move = moves.next()) {
    const Position child{p.current ^ p.mask, p.mask | move, p.moves + 1};
    const int score = -negamax(child, -beta, -alpha);
    if (score >= beta) {  // fail high: score is a lower bound
      store(key, score, kNoUpper);
      return score;
    }
    if (score > alpha) alpha = score;
  }
  store(key, kNoLower, alpha);  // fail low: alpha is an upper bound
  return alpha;
}

int Connect4Solver::solve(uint64_t current, uint64_t mask, int moves) {
  ZP_CHECK_GE(moves, 0);
  ZP_CHECK_LT(moves, kCells);
  const Position p{current, mask, moves};
  if (c4::winning_cells(current, mask) & c4::possible(mask)) return (kCells + 1 - moves) / 2;
  // Iterative null-window search: each probe tells whether the score is above `med`; probe
  // near 0 first (a cheap sign) and narrow towards the score.
  int min = -(kCells - moves) / 2;
  int max = (kCells + 1 - moves) / 2;
  while (min < max) {
    int med = min + (max - min) / 2;
    if (med <= 0 && min / 2 < med)
      med = min / 2;
    else if (med >= 0 && max / 2 > med)
      med = max / 2;
    const int r = negamax(p, med, med + 1);
    if (r <= med)
      max = r;
    else
      min = r;
  }
  return min;
}

std::array<int, kWidth> Connect4Solver::analyze(uint64_t current, uint64_t mask, int moves) {
  ZP_CHECK_LT(moves, kCells);
  std::array<int, kWidth> scores;
  const uint64_t wins = c4::winning_cells(current, mask) & c4::possible(mask);
  for (int col = 0; col < kWidth; ++col) {
    if (mask & c4::top_mask_col(col)) {
      scores[col] = kInvalidMove;
    } else if (wins & c4::column_mask(col)) {
      scores[col] = (kCells + 1 - moves) / 2;
    } else if (moves + 1 == kCells) {
      scores[col] = 0;  // the last cell, not a win: a draw
    } else {
      const uint64_t next_mask = mask | (mask + c4::bottom_mask_col(col));
      scores[col] = -solve(current ^ mask, next_mask, moves + 1);
    }
  }
  return scores;
}

int Connect4Solver::solve(const Connect4State& state) {
  if (state.is_terminal()) throw StateError("connect4 solver: the position is already over");
  return solve(state.current_stones(), state.mask(), state.num_moves());
}

std::array<int, kWidth> Connect4Solver::analyze(const Connect4State& state) {
  if (state.is_terminal()) throw StateError("connect4 solver: the position is already over");
  return analyze(state.current_stones(), state.mask(), state.num_moves());
}

}  // namespace zp::game
