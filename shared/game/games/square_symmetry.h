// The 8 symmetries of a square n x n board (the dihedral group D4), shared by the games played
// on square boards (tictactoe, gomoku).
//
// Cells are y * n + x. Symmetry `sym` in [0, 8) is built from three bits, applied in order:
//   bit 0: mirror x (x -> n-1-x), bit 1: mirror y (y -> n-1-y), bit 2: transpose (swap x, y).
// Symmetry 0 is the identity; the 8 combinations are the 8 distinct elements of D4.
#pragma once

#include <utility>

namespace zp::game {

constexpr int kNumSquareSymmetries = 8;

inline int square_transform_cell(int sym, int cell, int n) {
  int y = cell / n, x = cell % n;
  if (sym & 1) x = n - 1 - x;
  if (sym & 2) y = n - 1 - y;
  if (sym & 4) std::swap(x, y);
  return y * n + x;
}

}  // namespace zp::game
