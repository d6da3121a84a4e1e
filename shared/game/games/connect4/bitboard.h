// Connect Four bitboards in Pascal Pons' layout ("Solving Connect 4", blog.gamesolver.org),
// shared by Connect4State and the solver. Everything here is branch-light and allocation-free.
//
// Bit layout: 7 bits per column (6 cells + 1 sentinel bit on top), column c at bits
// [7c, 7c+6], row r (0 = bottom) at bit 7c + r. Two words describe a position:
//   current: the stones of the player to move;
//   mask:    all stones.
// key = current + mask is unique per position (it marks the first empty cell of each column)
// and fits in 49 bits.
#pragma once

#include <cstdint>

namespace zp::game::c4 {

constexpr int kWidth = 7;
constexpr int kHeight = 6;
constexpr int kCells = kWidth * kHeight;
constexpr int kColBits = kHeight + 1;

constexpr uint64_t bottom_mask_col(int col) { return uint64_t{1} << (col * kColBits); }
constexpr uint64_t top_mask_col(int col) { return uint64_t{1} << (kHeight - 1 + col * kColBits); }
constexpr uint64_t column_mask(int col) {
  return ((uint64_t{1} << kHeight) - 1) << (col * kColBits);
}
constexpr uint64_t bottom_mask() {
  uint64_t m = 0;
  for (int c = 0; c < kWidth; ++c) m |= bottom_mask_col(c);
  return m;
}
constexpr uint64_t kBottomMask = bottom_mask();
constexpr uint64_t kBoardMask = kBottomMask * ((uint64_t{1} << kHeight) - 1);

inline int popcount(uint64_t m) {
#ifdef __POPCNT__
  return __builtin_popcountll(m);
#else
  // Without -mpopcnt the builtin is a library call; this SWAR count is a dozen instructions.
  m = m - ((m >> 1) & 0x5555555555555555ULL);
  m = (m & 0x3333333333333333ULL) + ((m >> 2) & 0x3333333333333333ULL);
  m = (m + (m >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<int>((m * 0x0101010101010101ULL) >> 56);
#endif
}

// The playable cells: the lowest empty cell of every non-full column.
inline uint64_t possible(uint64_t mask) { return (mask + kBottomMask) & kBoardMask; }

// Whether `stones` contain four in a row in any direction.
inline bool has_alignment(uint64_t stones) {
  uint64_t m = stones & (stones >> kColBits);  // horizontal
  if (m & (m >> (2 * kColBits))) return true;
  m = stones & (stones >> kHeight);  // diagonal going down-right
  if (m & (m >> (2 * kHeight))) return true;
  m = stones & (stones >> (kHeight + 2));  // diagonal going up-right
  if (m & (m >> (2 * (kHeight + 2)))) return true;
  m = stones & (stones >> 1);  // vertical
  return (m & (m >> 2)) != 0;
}

// Cells that would complete four of `stones` along the line of shift `S`.
template <int S>
inline uint64_t line_cells(uint64_t stones) {
  uint64_t p = (stones << S) & (stones << (2 * S));
  uint64_t r = p & (stones << (3 * S));
  r |= p & (stones >> S);
  p = (stones >> S) & (stones >> (2 * S));
  r |= p & (stones << S);
  r |= p & (stones >> (3 * S));
  return r;
}

// The empty cells (playable now or not) that would complete four for the owner of `stones`.
inline uint64_t winning_cells(uint64_t stones, uint64_t mask) {
  // Vertical: three stones right below.
  uint64_t r = (stones << 1) & (stones << 2) & (stones << 3);
  // Horizontal (shift 7) and the two diagonals (shifts 6 and 8): the cell completes three
  // stones on one side, two on one side and one on the other, etc.
  r |= line_cells<kColBits>(stones) | line_cells<kHeight>(stones) | line_cells<kHeight + 2>(stones);
  return r & (kBoardMask ^ mask);
}

}  // namespace zp::game::c4
