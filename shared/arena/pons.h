// Pascal Pons' six Connect Four benchmark sets (blog.gamesolver.org), labelled move by move in
// ../shared/data/connect4/pons/ (paths.h: pons_dir(); its README.md has the table), and the
// error rates AlphaZero.jl's published agent reaches on them: the yardstick of issue 11.
//
// Each file is a labelled positions file (oracle.h), 1,000 positions; the error rate is
// OracleScore::error_rate. The sets are listed in benchmark order (AlphaZero.jl's chart):
//
//   file        name               short  AlphaZero.jl (MCTS player, read off its chart)
//   Test_L3_R1  End-Easy           EE     ~0%
//   Test_L2_R1  Middle-Easy        ME     ~0%
//   Test_L2_R2  Middle-Medium      MM     ~2.7%
//   Test_L1_R1  Beginning-Easy     BE     ~0%
//   Test_L1_R2  Beginning-Medium   BM     ~2%
//   Test_L1_R3  Beginning-Hard     BH     ~7%
//
// For the status line, the six per-set error rates of one kind (policy or search) travel in
// one int64 stats counter (pack_pons_rates): 10 bits per set, in benchmark order, each holding
// round(1000 * rate) + 1, and 0 for a set that was not measured.
//
// Thread-safe (pure functions and constant tables).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/arena/oracle.h"
#include "shared/game/game.h"

namespace zp::arena {

struct PonsSet {
  const char* file;         // file stem in the directory, e.g. "Test_L3_R1" (+ ".txt")
  const char* name;         // Pons' name, e.g. "End-Easy"
  const char* short_name;   // two letters for compact output, e.g. "EE"
  double alphazero_jl;      // AlphaZero.jl's error rate (a share, 0.027 = 2.7%)
};

constexpr int kNumPonsSets = 6;
// The six sets in benchmark order.
const std::array<PonsSet, kNumPonsSets>& pons_sets();

// One set read from a directory. `index` is its place in pons_sets().
struct PonsPositions {
  int index = 0;
  std::vector<LabelledPosition> positions;
  const PonsSet& set() const { return pons_sets()[index]; }
};

// <dir>/<file>.txt of set `index`.
std::string pons_set_path(const std::string& dir, int index);

// Strict (the CLI): all six sets, in benchmark order. A missing directory or file is an
// IoError naming it, a bad line a FormatError "<file>:<line>: ...", an empty set a FormatError.
std::vector<PonsPositions> read_pons_sets(const std::string& dir, const game::Game& game);

// Lenient (the evaluator): the sets present in `dir`, in benchmark order. A directory that does
// not exist gives no sets and no problems; a set file that is missing, unreadable or bad is
// left out with a one-line reason in `problems`.
std::vector<PonsPositions> read_available_pons_sets(const std::string& dir,
                                                    const game::Game& game,
                                                    std::vector<std::string>* problems);

// The stats-counter form (see the top): `rates` per set in benchmark order, negative = not
// measured; rates are clamped to [0, 1].
int64_t pack_pons_rates(const std::array<double, kNumPonsSets>& rates);
// The inverse, to per-mille resolution; -1 for a set not measured.
std::array<double, kNumPonsSets> unpack_pons_rates(int64_t packed);

// The status line's compact form of two packed counters, e.g.
//   "pons err% policy/search EE 23/1.1 ME 23/1.3 MM 29/7.8 BE 14/2.3 BM 17/5.2 BH 32/19"
// (percent, one decimal below 10%, "-" where one of the two was not measured; sets with
// neither are left out). Empty when no set was measured at all.
std::string format_pons_compact(int64_t packed_policy, int64_t packed_search);

}  // namespace zp::arena
