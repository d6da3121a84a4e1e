// The Elo ladder: a maximum-likelihood Bradley-Terry fit over every game played between any
// two players, and the file that keeps those games across evaluator restarts.
//
// Model: player i scores against player j with probability p_ij = 1 / (1 + 10^((r_j - r_i) /
// 400)); a draw counts as half a win for each side (the usual Elo treatment, which keeps the
// likelihood a Bradley-Terry one). The log-likelihood is concave; Newton's method on the
// ratings, with the anchor player's rating fixed, finds its maximum in a handful of steps.
//
// Regularisation (so that a player who won every game still gets a finite rating): every pair
// of players that met gets `prior_draws` extra virtual drawn games (BayesElo's idea). With the
// default 1 virtual draw, 40 wins out of 40 against the anchor rate 400 * log10(40.5 / 0.5) =
// +763; with hundreds of real games the prior's pull is negligible.
//
// Standard errors come from the inverse of the Fisher information (the negated Hessian, with
// the virtual games) over the free ratings: they are errors RELATIVE TO THE ANCHOR (whose
// rating is exactly 0 with error 0). Players with no chain of games to the anchor cannot be
// placed and are left out of the fit (listed in EloFit::unrated).
//
// All functions are thread-safe (no shared state).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace zp::arena {

// Games between two players, from A's side.
struct PairResult {
  std::string a, b;
  int wins = 0, draws = 0, losses = 0;
  double time = 0;  // unix time when recorded (informational)
};

struct EloRating {
  std::string player;
  double elo = 0;
  double stderr_elo = 0;
  int games = 0;  // real games played, all opponents
};

struct EloFit {
  std::vector<EloRating> ratings;    // the anchor first, then by decreasing Elo
  std::vector<std::string> unrated;  // not connected to the anchor by games
  int iterations = 0;
  // The rating of `player`, or nullptr when it is not rated.
  const EloRating* find(const std::string& player) const;
};

// Fits the ladder. An anchor that never played leaves everybody unrated. Throws StateError if
// Newton's method does not converge (it always should: the problem is strictly concave).
// Cost: O(n^3) per Newton step for n rated players (about 0.3 s per step at n = 1000);
// `tick`, when set, is called after every step and every 64 error bars (heartbeats).
EloFit fit_elo(const std::vector<PairResult>& results, const std::string& anchor,
               double prior_draws = 1.0, const std::function<void()>& tick = nullptr);

// The version number of a player named "v<N>" (N > 0), else 0 (baselines: "random", "mcts:N").
int64_t version_of_player(const std::string& name);

// The results the ladder is fitted over when at most `max_versions` versions are rated: those
// between players that are kept, i.e. every non-version player, the `max_versions` highest
// versions, and version `also` (the gated best; 0 = none). Order is preserved.
std::vector<PairResult> keep_newest_versions(const std::vector<PairResult>& results,
                                             size_t max_versions, int64_t also = 0);

// The game file (<run_dir>/elo_games.jsonl): one JSON object per line, one line per match:
//   {"time":1700000000.0,"a":"v12","b":"random","wins":38,"draws":1,"losses":1}
// append_pair_result writes one line with one write() on an O_APPEND descriptor, so a line is
// never interleaved or half-written by a crash of this process (a torn last line from a dying
// machine is skipped, with a warning, by the reader). Throws IoError.
void append_pair_result(const std::string& path, const PairResult& result);
// Reads every valid line; a missing file gives no results. Lines that do not parse are
// skipped with a warning naming file:line (IoError only when the file cannot be read).
std::vector<PairResult> read_pair_results(const std::string& path);

}  // namespace zp::arena
