// Othello bitboards: one 64-bit word per colour, bit i = cell i = y * 8 + x, with y = 0 the
// top row (row "1" in Othello notation) and x = 0 the left column (column "a"). So a1 is
// bit 0, h1 bit 7, a8 bit 56 and h8 bit 63.
//
// Everything here is allocation-free and branch-light; OthelloState (othello.h) is built on
// it and the tests call it directly (flips in every direction, no wrap-around at the edges).
#pragma once

#include <cstdint>

namespace zp::game::othello {

constexpr int kSide = 8;
constexpr int kCells = kSide * kSide;

constexpr uint64_t bit(int cell) { return uint64_t{1} << cell; }

constexpr uint64_t kFileA = 0x0101010101010101ULL;  // x = 0
constexpr uint64_t kFileH = kFileA << 7;            // x = 7

// The eight directions a line of discs can run in. Moving one cell is a shift of the whole
// board: left by `shift` bits when it is positive, right by -shift when negative. A step that
// changes x would carry a disc from one edge of the board to the other edge of the next row;
// `keep` clears the column such a disc would land in (file A after a step east, file H after
// a step west). Steps north and south fall off the top or bottom of the word by themselves.
struct Direction {
  int shift;
  uint64_t keep;
};
constexpr Direction kDirections[8] = {
    {+1, ~kFileA},  // east       x + 1
    {-1, ~kFileH},  // west       x - 1
    {+8, ~0ULL},    // south      y + 1
    {-8, ~0ULL},    // north      y - 1
    {+9, ~kFileA},  // south-east x + 1, y + 1
    {+7, ~kFileH},  // south-west x - 1, y + 1
    {-7, ~kFileA},  // north-east x + 1, y - 1
    {-9, ~kFileH},  // north-west x - 1, y - 1
};

// Every disc of `b` moved one cell in direction `d`; discs that would leave the board vanish.
constexpr uint64_t step(uint64_t b, const Direction& d) {
  return (d.shift > 0 ? b << d.shift : b >> -d.shift) & d.keep;
}

// The empty cells where the player owning `mine` may play against `theirs`: cells from which,
// in some direction, a run of one or more of `theirs` ends in one of `mine`. For each
// direction this grows runs of `theirs` outward from `mine` (at most 6 long on an 8x8
// board), then takes the empty cell one step beyond each run.
constexpr uint64_t legal_moves(uint64_t mine, uint64_t theirs) {
  const uint64_t empty = ~(mine | theirs);
  uint64_t moves = 0;
  for (const Direction& d : kDirections) {
    uint64_t run = step(mine, d) & theirs;
    for (int i = 0; i < 5; ++i) run |= step(run, d) & theirs;
    moves |= step(run, d) & empty;
  }
  return moves;
}

// The discs of `theirs` that turn over when the owner of `mine` plays on the empty cell
// `move` (one bit): in each direction, the run of `theirs` starting next to `move`, if a disc
// of `mine` closes it. Zero when `move` is not a legal move.
constexpr uint64_t flips(uint64_t move, uint64_t mine, uint64_t theirs) {
  uint64_t flipped = 0;
  for (const Direction& d : kDirections) {
    uint64_t run = 0;
    uint64_t x = step(move, d);
    while (x & theirs) {
      run |= x;
      x = step(x, d);
    }
    if (x & mine) flipped |= run;
  }
  return flipped;
}

inline int popcount(uint64_t b) { return __builtin_popcountll(b); }

}  // namespace zp::game::othello
