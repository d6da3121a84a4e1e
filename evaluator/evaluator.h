// The evaluator role: rates every new model the learner publishes, keeps the Elo ladder, and
// (with evaluator.gating) decides which model the actors play with.
//
//   zeroplay evaluator --run-dir DIR     (spawned by the supervisor)
//
// Loop: wait for a newer model in the store; with gating and no best model yet, publish the
// first model as best at once (gated actors wait for it). Then, for the NEWEST version (older
// ones are skipped when it falls behind; at least evaluator.every_versions newer than the last
// one rated):
//   1. arena matches of evaluator.games games (paired openings, alternating colours, fixed
//      seeds; see shared/arena/arena.h) against the previously rated version, the random
//      player and pure MCTS with evaluator.rollout_simulations ("mcts:N"); with gating also
//      against the best model when that is not the previous version;
//   2. the results go to <run_dir>/elo_games.jsonl and the Elo ladder is refitted (random =
//      0; shared/arena/elo.h) over the recorded games among the baselines and the newest
//      evaluator.ladder_versions rated versions (and the gated best): older versions' games
//      stay on disk but leave the fit, which would otherwise grow in time (cube) and memory
//      (square) with every version;
//   3. for Connect Four: oracle accuracy of the raw policy (all positions of
//      evaluator.positions, default data/connect4/selfplay_positions.txt) and of search with
//      evaluator.simulations (the first evaluator.oracle_search_positions of them); and,
//      when ../shared/data is present, the error rate on each of Pons' six benchmark sets
//      (shared/arena/pons.h) of the raw policy (every position) and of search with
//      evaluator.simulations (the first evaluator.pons_search_positions of each set);
//   4. with gating: the model becomes best (publish_best) if its win rate against the best
//      is at least evaluator.gating_threshold;
//   5. one JSON line {"kind":"eval", ...} is appended to <run_dir>/metrics.jsonl (one
//      write() on O_APPEND), a readable line is logged, and the stats slot is updated
//      (kEvalVersion, kEvalEloMilli, kEvalOracleMilli, kEvalPonsPolicy, kEvalPonsSearch,
//      kBestVersion).
// The heartbeat beats during matches and oracle work (every search round) and the stop flag is
// checked between moves and between batches of labelled positions: SIGTERM abandons an
// evaluation half-way without recording it.
// A restarted evaluator reads elo_games.jsonl back (keeping the same newest versions), so the
// ladder survives, and resumes after
// the highest version in it (its checkpoint file, when still on disk, is the next opponent).
//
// Returns the process exit code (0 after a requested stop).
#pragma once

#include <string>

namespace zp::evaluator {

int run_evaluator(const std::string& run_dir);

}  // namespace zp::evaluator
