#include "learner/replay.h"

#include <algorithm>
#include <cstring>

#include "shared/core/error.h"

namespace zp::learner {

namespace {

// Position i's search policy, made dense and normalised to sum 1 (a one-hot on the move played
// when it has no mass). `pi` is zeroed.
void fill_policy_row(const data::GameRecord& record, size_t i, float* pi) {
  const int num_actions = record.num_actions;
  double sum = 0.0;
  for (uint32_t k = record.policy_offsets[i]; k < record.policy_offsets[i + 1]; ++k) {
    const data::PolicyEntry& e = record.policy[k];
    ZP_CHECK_LT(static_cast<int>(e.action), num_actions);
    if (e.prob > 0.0f) {
      pi[e.action] += e.prob;
      sum += e.prob;
    }
  }
  if (sum > 0.0) {
    const float inv = static_cast<float>(1.0 / sum);
    for (int a = 0; a < num_actions; ++a) pi[a] *= inv;
  } else {
    pi[record.moves[i]] = 1.0f;  // no search data: learn the move that was played
  }
}

}  // namespace

ReplayWindow::ReplayWindow(const game::Game& game, int capacity, float search_value_weight)
    : game_(game),
      capacity_(capacity),
      obs_size_(game.observation_shape().size()),
      num_actions_(game.num_actions()),
      num_symmetries_(game.num_symmetries()),
      search_value_weight_(search_value_weight) {
  ZP_CHECK_GT(capacity, 0);
  ZP_CHECK(search_value_weight >= 0.0f && search_value_weight <= 1.0f);
  obs_.assign(static_cast<size_t>(capacity) * obs_size_, 0.0f);
  policy_.assign(static_cast<size_t>(capacity) * num_actions_, 0.0f);
  value_.assign(static_cast<size_t>(capacity), 0.0f);
  version_.assign(static_cast<size_t>(capacity), 0);
}

size_t ReplayWindow::row(int i) const {
  // The oldest held position is next_ - size(); rows wrap around the ring.
  const int64_t first = next_ - size();
  return static_cast<size_t>((first + i) % capacity_);
}

void ReplayWindow::add_record(const data::GameRecord& record) {
  ZP_CHECK_EQ(static_cast<int>(record.num_actions), num_actions_);
  ZP_CHECK_EQ(record.policy_offsets.size(), record.moves.size() + 1);
  const size_t n = record.moves.size();
  const bool mix = search_value_weight_ > 0.0f && record.has_search_values();
  ZP_CHECK(!record.has_search_values() || record.search_values.size() == n);
  // Positions that would be overwritten by later positions of the same game are skipped, but
  // the state still has to be replayed through them.
  const size_t keep_from = n > static_cast<size_t>(capacity_) ? n - capacity_ : 0;
  next_ += static_cast<int64_t>(keep_from);  // counted as added and overwritten at once
  auto state = game_.new_initial_state();  // one allocation per game, none per position
  for (size_t i = 0; i < n; ++i) {
    if (i >= keep_from) {
      const size_t r = static_cast<size_t>(next_ % capacity_);
      state->write_observation(&obs_[r * obs_size_]);
      float* pi = &policy_[r * num_actions_];
      std::fill(pi, pi + num_actions_, 0.0f);
      if (record.policy_target(i)) fill_policy_row(record, i, pi);
      const float z = static_cast<float>(record.result);
      const float own = state->current_player() == 0 ? z : -z;
      value_[r] = mix ? (1.0f - search_value_weight_) * own +
                            search_value_weight_ * record.search_values[i]
                      : own;
      version_[r] = record.model_version;
      ++next_;
    }
    state->apply(record.moves[i]);
  }
}

void ReplayWindow::sample(int batch, Rng& rng, float* obs, float* policy, float* value,
                          int64_t* versions, int share, int shares, int* positions) const {
  const int held = size();
  ZP_CHECK_GT(held, 0);
  ZP_CHECK(share >= 0 && share < shares);
  ZP_CHECK_GE(held, shares);
  // Positions share, share + shares, share + 2 shares, ... below held: this many.
  const uint32_t in_share = static_cast<uint32_t>((held - share + shares - 1) / shares);
  for (int b = 0; b < batch; ++b) {
    const int i = share + shares * static_cast<int>(rng.uniform_int(in_share));
    if (positions) positions[b] = i;
    const size_t r = row(i);
    const int sym = static_cast<int>(rng.uniform_int(static_cast<uint32_t>(num_symmetries_)));
    float* o = obs + static_cast<size_t>(b) * obs_size_;
    float* p = policy + static_cast<size_t>(b) * num_actions_;
    if (sym == 0) {
      std::memcpy(o, &obs_[r * obs_size_], sizeof(float) * obs_size_);
      std::memcpy(p, &policy_[r * num_actions_], sizeof(float) * num_actions_);
    } else {
      game_.transform_observation(sym, &obs_[r * obs_size_], o);
      game_.transform_policy(sym, &policy_[r * num_actions_], p);
    }
    value[b] = value_[r];
    if (versions) versions[b] = version_[r];
  }
}

int64_t ReplayWindow::oldest_version() const {
  const int held = size();
  if (held == 0) return 0;
  // Rows [0, held) are exactly the held ones (the ring fills from row 0 before it wraps).
  return *std::min_element(version_.begin(), version_.begin() + held);
}

}  // namespace zp::learner
