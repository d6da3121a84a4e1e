// Staleness: how many training steps old the data of a minibatch is. A position was generated
// by model version v (GameRecord::model_version); version v was published at trainer step
// s(v); a minibatch trained at step t has staleness t - s(v) for that position, and the learner
// publishes the mean over the minibatch's positions (stats counter kStalenessMilli, the status
// line's "stale N steps", metrics.jsonl's "staleness_steps").
//
// s(v) is known for the versions this learner published, for those recorded in learner_state
// ("version_step V S" lines, saved with every checkpoint) and for those whose model-<v>.zpck
// is still on disk (its meta holds the step). A position of any other version (before the
// records of a resumed run, or of version 0) counts as unknown and is left out of the mean;
// when every position is unknown the staleness is unknown, never invented.
//
// Bound: at most kMaxVersionSteps versions are kept; prune_below() drops versions older than
// the oldest one the replay window holds (called at every publication), and beyond the cap the
// oldest entries go first (their positions then count as unknown).
//
// Not thread-safe: owned by the learner's main thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace zp::learner {

// Versions kept: a run publishing every 10 steps spans 40,000 steps of data with it, more than
// any replay window; 32 KiB of entries.
constexpr size_t kMaxVersionSteps = 2048;

class VersionSteps {
 public:
  // Model `version` was published at trainer step `step` (a later record replaces it).
  void record(int64_t version, int64_t step);
  std::optional<int64_t> step_of(int64_t version) const;
  // Forgets every version below `oldest` (no held position comes from them).
  void prune_below(int64_t oldest);
  // Forgets versions published after trainer step `step`: after a resume that went back to an
  // older model file, their steps belong to weights that no longer exist.
  void forget_after_step(int64_t step);
  size_t size() const { return steps_.size(); }
  // (version, step) pairs, oldest version first (saved in learner_state).
  std::vector<std::pair<int64_t, int64_t>> entries() const;

 private:
  std::map<int64_t, int64_t> steps_;  // version -> step
};

// Mean of `step` - s(versions[i]) over the `n` positions whose version's step is known;
// nullopt when none is (or n == 0).
std::optional<double> mean_staleness(const VersionSteps& steps, int64_t step,
                                     const int64_t* versions, int n);

}  // namespace zp::learner
