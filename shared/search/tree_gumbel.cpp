// The Gumbel AlphaZero half of Tree (see tree.h): root selection by sequential halving,
// deterministic interior selection, the improved-policy target and the final move.
#include <algorithm>
#include <cmath>
#include <limits>

#include "shared/core/error.h"
#include "shared/search/tree.h"

namespace zp::search {

int Tree::load_children(int32_t node_index) const {
  const Node& node = pool_[node_index];
  const Node* child = &pool_[node.first_child];
  const int k = node.num_children;
  for (int i = 0; i < k; ++i) {
    const Node& c = child[i];
    // A solved child is worth its proof; it has been visited (that is how it was solved).
    const int n = c.terminal() ? std::max(c.visits, 1) : c.visits;
    k_all_visits_[i] = n;
    k_visits_[i] = n + c.pending;
    k_q_[i] = c.terminal() ? c.terminal_value() : (n > 0 ? c.value_sum / n : 0.0f);
    k_prior_[i] = c.prior;
  }
  gumbel::transformed_completed_q(k, k_all_visits_.data(), k_q_.data(), k_prior_.data(),
                                  raw_value_[node_index], params_.q_transform, k_sigma_.data());
  return k;
}

int Tree::gumbel_interior_child(int32_t node_index) const {
  const int k = load_children(node_index);
  gumbel::improved_policy(k, k_prior_.data(), k_sigma_.data(), k_pi_.data());
  int total = 0;
  for (int i = 0; i < k; ++i) total += k_visits_[i];
  const float inv = 1.0f / (1.0f + static_cast<float>(total));
  int best = 0;
  float best_score = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < k; ++i) {
    const float score = k_pi_[i] - static_cast<float>(k_visits_[i]) * inv;
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  return pool_[node_index].first_child + best;
}

int Tree::best_considered(int k, int wanted) const {
  int best = -1;
  float best_score = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < k; ++i) {
    if (search_visits_[i] != wanted) continue;
    const float score = root_gumbel_[i] + gumbel::logit(k_prior_[i]) + k_sigma_[i];
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  return best;
}

int Tree::gumbel_root_child() const {
  const int k = load_children(0);
  const std::vector<int>& schedule = schedule_->visits;
  const int wanted = schedule[std::min<size_t>(search_started_, schedule.size() - 1)];
  const int best = best_considered(k, wanted);
  // The schedule always leaves an action with the wanted count; the fallback keeps the search
  // going should collisions ever break that.
  const int fewest = static_cast<int>(
      std::min_element(search_visits_.begin(), search_visits_.begin() + k) - search_visits_.begin());
  return pool_[0].first_child + (best >= 0 ? best : fewest);
}

void Tree::note_root_descent(int32_t child, int delta) {
  if (!gumbel()) return;
  search_visits_[child - pool_[0].first_child] += delta;
  search_started_ += delta;
}

const Tree::Schedule& Tree::halving_schedule(int considered, int simulations) {
  for (const Schedule& s : schedules_)
    if (s.considered == considered && s.simulations == simulations) return s;
  // At most a few pairs (full and fast budgets, a few legal-move counts): erasing the oldest
  // keeps the cache small; schedule_ is re-pointed at every search start.
  if (schedules_.size() >= 16) schedules_.erase(schedules_.begin());
  Schedule s{considered, simulations, {}, {}};
  s.visits = gumbel::considered_visit_sequence(considered, simulations, &s.shrinks);
  schedules_.push_back(std::move(s));
  return schedules_.back();
}

void Tree::begin_gumbel_search() {
  const int k = pool_[0].num_children;
  for (int i = 0; i < k; ++i) {
    search_visits_[i] = 0;
    root_gumbel_[i] = params_.gumbel_scale > 0.0f && move_noise_
                          ? params_.gumbel_scale * gumbel::gumbel_from_uniform(rng_.uniform())
                          : 0.0f;
  }
  schedule_ = &halving_schedule(std::min(params_.gumbel_considered, k), budget_);
}

game::Action Tree::gumbel_move() const {
  const int k = load_children(0);
  const int most = *std::max_element(search_visits_.begin(), search_visits_.begin() + k);
  return pool_[pool_[0].first_child + best_considered(k, most)].action;
}

void Tree::gumbel_policy(float* out) const {
  const int k = load_children(0);
  gumbel::improved_policy(k, k_prior_.data(), k_sigma_.data(), k_pi_.data());
  const Node* child = &pool_[pool_[0].first_child];
  for (int i = 0; i < k; ++i) out[child[i].action] = k_pi_[i];
}

float Tree::gumbel_value() const {
  const int k = load_children(0);
  gumbel::improved_policy(k, k_prior_.data(), k_sigma_.data(), k_pi_.data());
  return gumbel::completed_value(k, k_all_visits_.data(), k_q_.data(), k_prior_.data(),
                                 raw_value_[0], k_pi_.data());
}

}  // namespace zp::search
