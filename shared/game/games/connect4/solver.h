// Exact Connect Four solver, after Pascal Pons' "Solving Connect 4" (blog.gamesolver.org):
// negamax with alpha-beta on bitboards, a transposition table, center-first move ordering
// refined by the number of threats a move creates, pruning of moves that lose at once, and an
// iterative null-window search that narrows [min, max] around the score. No opening book, so
// positions with few stones (under ~8) can take minutes.
//
// Scores (the convention of shared/data/connect4/README.md, = Pons'): from the point of view
// of the player to move, positive = a win, and a win scores 22 minus the number of stones the
// winner has played when the game ends (winning with one's 4th stone = 18); 0 = a draw;
// negative = a loss, -(22 - stones the opponent has played when it wins). In Pons' terms a win
// on the move after `n` stones are on the board scores (43 - n) / 2.
//
// Beyond Pons: each transposition-table entry keeps the exact key and both a lower and an
// upper bound; children's entries are prefetched.
//
// Performance of analyze() (all 7 columns; Release, one core of the development machine):
// Pons' Middle-Easy set ~1 ms per position, Middle-Medium ~7 ms, the shared positions.txt
// (9-28 stones) ~0.17 s on average; positions with 9-12 stones take up to seconds each.
//
// Not thread-safe: a Connect4Solver owns a transposition table (8 bytes per entry, 64 MB by
// default) that it reuses between calls (entries are bounds of positions, valid across calls).
// Use one solver per thread.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "shared/game/games/connect4/connect4.h"

namespace zp::game {

class Connect4Solver {
 public:
  // The score analyze() gives a full column.
  static constexpr int kInvalidMove = -1000;

  // A transposition table of 2^log2_entries entries (16..32).
  explicit Connect4Solver(int log2_entries = 23);

  // Exact score of the position for the player to move. Throws StateError if it is terminal.
  int solve(const Connect4State& state);
  // The score of playing each column, from the point of view of the player to move: the
  // immediate-win score if the column wins at once, else minus the score of the position
  // after it; kInvalidMove for a full column. Throws StateError if the position is terminal.
  std::array<int, c4::kWidth> analyze(const Connect4State& state);

  // The same on raw bitboards (layout in bitboard.h): `current` = stones of the player to move,
  // `mask` = all stones, `moves` = number of stones. Preconditions: a reachable position with
  // no four in a row and moves < 42.
  int solve(uint64_t current, uint64_t mask, int moves);
  std::array<int, c4::kWidth> analyze(uint64_t current, uint64_t mask, int moves);

  // Nodes searched since construction (or the last reset()).
  uint64_t nodes() const { return nodes_; }
  // Empties the transposition table and the node counter.
  void reset();

 private:
  struct Position {
    uint64_t current, mask;
    int moves;
  };
  // Pons' negamax; precondition: the player to move cannot win at once.
  int negamax(const Position& p, int alpha, int beta);

  // Transposition table: 2^log2 entries of one 64-bit word each, always-replace, indexed by
  // a multiplicative hash of the key. A word packs, from bit 0:
  //   key (49 bits, exact: no false hits) | lower bound + 32 (6 bits; 0 = none) |
  //   31 - upper bound (6 bits; 0 = none).
  // An all-zero word is an empty slot; it matches only the empty board, with no information.
  // The table is backed by huge pages where the kernel allows (random probes, fewer TLB
  // misses), and negamax prefetches the children's slots: a node's cost is mostly that load.
  // Returns false when the key is not in the table.
  bool find(uint64_t key, int* lower, int* upper) const;
  // Records bounds for `key`, tightening those already known for it.
  void store(uint64_t key, int lower, int upper);
  size_t slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> table_shift_; }

  struct FreeDeleter {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint64_t[], FreeDeleter> table_;
  size_t table_size_ = 0;
  int table_shift_ = 64;
  uint64_t nodes_ = 0;
};

}  // namespace zp::game
