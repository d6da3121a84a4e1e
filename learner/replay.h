// The learner's replay window: the most recent positions of the self-play games, stored as
// ready-to-train examples so that building a minibatch is a few memcpy-sized loops.
//
// Layout: three ring buffers of `capacity` rows each, indexed by the same row:
//   obs_    [capacity, planes * height * width]  Game::write_observation of the position
//   policy_ [capacity, num_actions]              dense search policy, sums to 1; all zeros for a
//                                                fast playout-cap search (no policy target)
//   value_  [capacity]                           value target for the player to move there: the
//                                                game result, mixed with the search value
//                                                (learner.value_target_q)
//   version_[capacity]                           model_version of the game's record (staleness)
// Rows are written at `next_ % capacity`, so once full the oldest position is overwritten
// first. A game longer than the window keeps only its last `capacity` positions.
//
// Not thread-safe: owned by the learner's main thread. The buffers are allocated once in the
// constructor; sample never allocates, add_record only builds one State per game.
#pragma once

#include <cstdint>
#include <algorithm>
#include <vector>

#include "shared/core/rng.h"
#include "shared/data/record.h"
#include "shared/game/game.h"

namespace zp::learner {

class ReplayWindow {
 public:
  // `capacity` > 0 positions. `game` must outlive the window. `search_value_weight` in [0, 1]
  // is the share of the search value in the value target (learner.value_target_q).
  ReplayWindow(const game::Game& game, int capacity, float search_value_weight = 0.0f);

  // Replays `record`'s moves from the initial position and appends one example per position
  // (before each move). Precondition: the record was checked with data::validate_record for
  // this game (legal moves, policy on legal moves, matching result); the window does not
  // re-check legality.
  // Policy target: the record's sparse distribution made dense and normalised to sum 1 (a
  // position with no visit mass gets a one-hot on the move played); a position without a full
  // search (record.policy_target(i) false) gets zeros, which the trainer's loss skips. Value
  // targets come from every position. Value target: z, the result for player 0 when player 0
  // is to move, negated when player 1 is; with a search value weight w and a record that
  // stores search values (version 3), (1 - w) z + w v, v the position's search value for the
  // player to move (KataGo's and the Oracle Connect Four write-up's z/q mix). A record without
  // them (versions 1 and 2) gives z alone.
  void add_record(const data::GameRecord& record);

  // Positions currently held (<= capacity) and positions ever added (including those of a
  // long game that were overwritten by the same game's later positions).
  int size() const { return static_cast<int>(std::min<int64_t>(next_, capacity_)); }
  int capacity() const { return capacity_; }
  int64_t total_added() const { return next_; }

  // Fills `batch` examples, each drawn uniformly from the window (with replacement) and
  // mapped by a uniformly random symmetry of the game, the same one for its observation and
  // its policy. Outputs, row-major: obs [batch, obs_size], policy [batch, num_actions],
  // value [batch]; and, when `versions` is not null, versions [batch]: the model version that
  // generated each example (staleness.h). Precondition: size() > 0.
  //
  // Data parallel, the share `share` of `shares` ranks: only positions i (insertion order, 0 =
  // oldest held) with i % shares == share are drawn, so on windows of equal contents the
  // ranks' minibatches of one step are disjoint sets of positions. `positions` (optional,
  // [batch]) receives each example's i. Precondition: size() >= shares, 0 <= share < shares.
  void sample(int batch, Rng& rng, float* obs, float* policy, float* value,
              int64_t* versions = nullptr, int share = 0, int shares = 1,
              int* positions = nullptr) const;

  // The lowest model version among the positions held (0 when empty). O(size()).
  int64_t oldest_version() const;

  // Row `i` in insertion order among the positions held (0 = oldest), untransformed; for tests
  // and tools. Precondition: 0 <= i < size().
  const float* observation(int i) const { return &obs_[row(i) * obs_size_]; }
  const float* policy(int i) const { return &policy_[row(i) * num_actions_]; }
  float value(int i) const { return value_[row(i)]; }
  int64_t version(int i) const { return version_[row(i)]; }

  int obs_size() const { return obs_size_; }
  int num_actions() const { return num_actions_; }

 private:
  size_t row(int i) const;

  const game::Game& game_;
  const int capacity_;
  const int obs_size_;
  const int num_actions_;
  const int num_symmetries_;
  const float search_value_weight_;
  int64_t next_ = 0;  // positions ever added; the next row written is next_ % capacity_
  std::vector<float> obs_, policy_, value_;
  std::vector<int64_t> version_;
};

}  // namespace zp::learner
