#include "shared/search/tree.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "shared/core/error.h"

namespace zp::search {

Tree::Tree(const game::Game& game, const SearchParams& params, uint64_t seed)
    : game_(game),
      params_(params),
      num_actions_(game.num_actions()),
      obs_size_(game.observation_shape().size()),
      rng_(seed),
      root_state_(game.new_initial_state()),
      scratch_(game.new_initial_state()),
      next_budget_(params.simulations),
      budget_(params.simulations) {
  ZP_CHECK_GE(params_.simulations, 1);
  ZP_CHECK_GE(params_.gumbel_considered, 1);
  for (auto* v : {&k_visits_, &k_all_visits_}) v->resize(num_actions_);
  for (auto* v : {&k_q_, &k_prior_, &k_sigma_, &k_pi_, &root_gumbel_}) v->resize(num_actions_);
  search_visits_.resize(num_actions_);
  // Enough for a typical search without regrowth; the pool grows if needed and then stays.
  pool_.reserve(static_cast<size_t>(params_.simulations) * 8 + 64);
  spare_.reserve(pool_.capacity());
  legal_.reserve(num_actions_);
  path_.reserve(game.max_game_length() + 2);
  noise_.resize(num_actions_);
  reset(*root_state_);
}

void Tree::reset(const game::State& root) {
  root_state_->copy_from(root);
  pool_.clear();
  pool_.emplace_back();
  if (gumbel()) raw_value_.assign(1, 0.0f);
  if (root_state_->is_terminal()) pool_[0].set_terminal(root_state_->last_mover_return());
  begin_search();
}

void Tree::set_search_budget(int simulations, bool root_noise, bool move_noise) {
  ZP_CHECK_GE(simulations, 1);
  next_budget_ = simulations;
  next_noise_ = root_noise;
  next_move_noise_ = move_noise;
}

void Tree::begin_search() {
  budget_ = next_budget_;
  root_noise_ = next_noise_;
  move_noise_ = next_move_noise_;
  noise_applied_ = false;
  search_started_ = search_done_ = 0;
  schedule_ = nullptr;
  if (root_ready()) {
    if (gumbel()) {
      begin_gumbel_search();
    } else {
      apply_root_noise();
    }
  }
}

bool Tree::done() const {
  const Node& root = pool_[0];
  if (root.terminal()) return true;
  if (gumbel()) return root_ready() && search_done_ >= budget_;
  return root.visits >= budget_;
}

int Tree::select_child(int32_t node_index) const {
  if (gumbel()) return node_index == 0 ? gumbel_root_child() : gumbel_interior_child(node_index);
  const Node& parent = pool_[node_index];
  // The parent is on the current descent, so its pending count includes this descent: only
  // the other in-flight descents count as (virtual) visits here.
  const float parent_n = static_cast<float>(parent.visits + parent.pending - 1);
  const float sqrt_n = std::sqrt(std::max(parent_n, 1.0f));
  // The parent's value_sum is from the opponent's point of view: negate for the mover here.
  const float parent_q = parent.visits > 0 ? -parent.value_sum / parent.visits : 0.0f;
  const float fpu = parent_q - params_.fpu_reduction;
  const float c_puct = params_.c_puct, vl = params_.virtual_loss;

  const Node* child = &pool_[parent.first_child];
  int best = 0;
  float best_score = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < parent.num_children; ++i) {
    const Node& c = child[i];
    const int n = c.visits + c.pending;
    // Pending visits count as losses for the mover (virtual loss).
    const float q = n > 0 ? (c.value_sum - vl * c.pending) / n : fpu;
    const float score = q + c_puct * c.prior * sqrt_n / (1.0f + n);
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  return parent.first_child + best;
}

void Tree::expand(int32_t node_index, const game::State& state) {
  state.legal_actions(&legal_);
  ZP_CHECK(!legal_.empty());
  const int32_t first = static_cast<int32_t>(pool_.size());
  for (game::Action a : legal_) {
    Node child;
    child.action = static_cast<int16_t>(a);
    pool_.push_back(child);
  }
  Node& node = pool_[node_index];  // after the push_backs: the pool may have moved
  node.first_child = first;
  node.num_children = static_cast<uint16_t>(legal_.size());
  node.flags |= Node::kAwaitingEval;
  if (gumbel()) raw_value_.resize(pool_.size(), 0.0f);
}

void Tree::propagate_proof() {
  // path_ ends at a node that just became terminal (solved). Walk up: a parent whose mover
  // can play a winning child is lost for the mover into the parent; a parent whose every
  // child loses for its mover is won for the mover into the parent. The root is never marked:
  // its move is chosen from its children (choose_move prefers a proven win).
  for (size_t k = path_.size() - 1; k >= 2; --k) {
    const Node& child = pool_[path_[k]];
    Node& parent = pool_[path_[k - 1]];
    if (child.terminal_value() > 0.0f) {
      parent.set_terminal(-1.0f);
      continue;
    }
    if (child.terminal_value() < 0.0f) {
      const Node* sib = &pool_[parent.first_child];
      bool all_lost = true;
      for (int i = 0; i < parent.num_children && all_lost; ++i)
        all_lost = sib[i].terminal() && sib[i].terminal_value() < 0.0f;
      if (all_lost) {
        parent.set_terminal(1.0f);
        continue;
      }
    }
    break;
  }
}

void Tree::backup(const int32_t* path, int len, float leaf_value, bool undo_pending) {
  ++simulations_;
  if (len >= 2) ++search_done_;  // a descent below the root (the root's own evaluation is not)
  float v = leaf_value;  // for the mover into path[len - 1]
  for (int i = len - 1; i >= 0; --i) {
    Node& n = pool_[path[i]];
    n.visits += 1;
    n.value_sum += v;
    if (undo_pending) n.pending -= 1;
    v = -v;
  }
}

int Tree::gather(int max_leaves, nn::BatchBuffers& buffers, int first_slot) {
  pending_.clear();
  path_storage_.clear();
  int slot = first_slot;
  for (int round = 0; round < max_leaves; ++round) {
    const Node& root = pool_[0];
    if (root.terminal()) break;
    if (gumbel() ? (root_ready() && search_started_ >= budget_)
                 : root.visits + root.pending >= budget_)
      break;
    // Gumbel: a phase that halves the considered set waits for the previous phase's values.
    if (gumbel() && !pending_.empty() && schedule_ != nullptr &&
        schedule_->shrinks[search_started_])
      break;
    scratch_->copy_from(*root_state_);
    path_.clear();
    int32_t node = 0;
    path_.push_back(0);
    pool_[0].pending += 1;
    bool collided = false;
    for (;;) {
      Node& n = pool_[node];
      if (n.terminal()) {
        backup(path_.data(), static_cast<int>(path_.size()), n.terminal_value(), true);
        break;
      }
      if (!n.expanded()) {
        ZP_CHECK_LT(slot, buffers.max_batch);
        expand(node, *scratch_);
        scratch_->write_observation(buffers.obs + static_cast<size_t>(slot) * obs_size_);
        uint8_t* legal = buffers.legal + static_cast<size_t>(slot) * num_actions_;
        std::memset(legal, 0, num_actions_);
        for (game::Action a : legal_) legal[a] = 1;
        if (leaf_observer_ != nullptr) leaf_observer_->on_leaf(*scratch_, slot);
        const int32_t begin = static_cast<int32_t>(path_storage_.size());
        path_storage_.insert(path_storage_.end(), path_.begin(), path_.end());
        pending_.push_back({node, begin, static_cast<int32_t>(path_storage_.size())});
        ++slot;
        break;
      }
      if (n.awaiting_eval()) {
        // Collision with a leaf of this round: undo this descent's virtual loss.
        for (int32_t p : path_) pool_[p].pending -= 1;
        if (path_.size() >= 2) note_root_descent(path_[1], -1);
        collided = true;
        break;
      }
      const int32_t c = select_child(node);
      if (node == 0) note_root_descent(c, +1);
      Node& child = pool_[c];
      child.pending += 1;
      scratch_->apply(child.action);
      path_.push_back(c);
      node = c;
      if (!child.expanded() && !child.terminal() && scratch_->is_terminal()) {
        child.set_terminal(scratch_->last_mover_return());
        propagate_proof();
      }
    }
    if (collided) break;  // more descents would most likely collide again
  }
  return slot - first_slot;
}

void Tree::scatter(const nn::BatchBuffers& buffers, int first_slot) {
  for (size_t k = 0; k < pending_.size(); ++k) {
    const Pending& p = pending_[k];
    const size_t slot = static_cast<size_t>(first_slot) + k;
    const float* policy = buffers.policy + slot * num_actions_;
    Node& leaf = pool_[p.leaf];
    Node* child = &pool_[leaf.first_child];
    float sum = 0.0f;
    for (int i = 0; i < leaf.num_children; ++i) sum += policy[child[i].action];
    const float uniform = 1.0f / leaf.num_children;
    for (int i = 0; i < leaf.num_children; ++i)
      child[i].prior = sum > 1e-6f ? policy[child[i].action] / sum : uniform;
    leaf.flags &= static_cast<uint8_t>(~Node::kAwaitingEval);
    if (gumbel()) raw_value_[p.leaf] = buffers.value[slot];
    // The network's value is for the player to move at the leaf; the leaf node stores values
    // for the mover into it.
    backup(path_storage_.data() + p.path_begin, p.path_end - p.path_begin, -buffers.value[slot],
           true);
    if (p.leaf == 0) begin_search();
  }
  pending_.clear();
}

void Tree::apply_root_noise() {
  Node& root = pool_[0];
  if (noise_applied_ || !root_noise_ || params_.dirichlet_fraction <= 0.0f || !root.expanded() ||
      root.awaiting_eval())
    return;
  const int n = root.num_children;
  rng_.dirichlet(params_.dirichlet_alpha, n, noise_.data());
  const float f = params_.dirichlet_fraction;
  Node* child = &pool_[root.first_child];
  for (int i = 0; i < n; ++i) child[i].prior = (1.0f - f) * child[i].prior + f * noise_[i];
  noise_applied_ = true;
}

void Tree::advance(game::Action action) {
  ZP_CHECK(root_state_->is_legal(action));
  root_state_->apply(action);
  const Node& root = pool_[0];
  int32_t keep = -1;
  if (params_.reuse_tree && root.expanded() && !root.awaiting_eval()) {
    for (int i = 0; i < root.num_children; ++i)
      if (pool_[root.first_child + i].action == action) keep = root.first_child + i;
  }
  if (keep >= 0 && !pool_[keep].awaiting_eval()) {
    // Breadth-first copy of the kept subtree into the spare pool; children stay contiguous.
    spare_.clear();
    queue_.clear();
    spare_.push_back(pool_[keep]);
    queue_.push_back(keep);
    for (size_t i = 0; i < spare_.size(); ++i) {
      const Node& old = pool_[queue_[i]];
      spare_[i].pending = 0;
      if (!old.expanded()) continue;
      spare_[i].first_child = static_cast<int32_t>(spare_.size());
      for (int k = 0; k < old.num_children; ++k) {
        spare_.push_back(pool_[old.first_child + k]);
        queue_.push_back(old.first_child + k);
      }
    }
    pool_.swap(spare_);
    if (gumbel()) {
      spare_raw_.resize(pool_.size());
      for (size_t i = 0; i < pool_.size(); ++i) spare_raw_[i] = raw_value_[queue_[i]];
      raw_value_.swap(spare_raw_);
    }
  } else {
    pool_.clear();
    pool_.emplace_back();
    if (gumbel()) raw_value_.assign(1, 0.0f);
    if (root_state_->is_terminal()) pool_[0].set_terminal(root_state_->last_mover_return());
  }
  pool_[0].action = -1;
  if (pool_[0].terminal() && !root_state_->is_terminal()) {
    // Solved from the parent's point of view; the root is searched (its children keep
    // their proofs, so it is re-solved at once).
    pool_[0].flags = 0;
  }
  begin_search();
}

void Tree::root_children(std::vector<RootChild>* out) const {
  out->clear();
  const Node& root = pool_[0];
  if (!root.expanded()) return;
  for (int i = 0; i < root.num_children; ++i) {
    const Node& c = pool_[root.first_child + i];
    out->push_back({c.action, c.visits, c.prior, c.visits > 0 ? c.value_sum / c.visits : 0.0f});
  }
}

float Tree::root_value() const {
  const Node& root = pool_[0];
  if (root.terminal()) return -root.terminal_value();
  return root.visits > 0 ? -root.value_sum / root.visits : 0.0f;
}

float Tree::search_value() const {
  const Node& root = pool_[0];
  if (gumbel() && !root.terminal() && root.expanded() && !root.awaiting_eval())
    return gumbel_value();
  return root_value();
}

void Tree::visit_policy(float* out) const {
  std::fill(out, out + num_actions_, 0.0f);
  const Node& root = pool_[0];
  if (!root.expanded()) return;
  if (gumbel() && !root.awaiting_eval()) return gumbel_policy(out);
  const Node* child = &pool_[root.first_child];
  int total = 0;
  for (int i = 0; i < root.num_children; ++i) total += child[i].visits;
  for (int i = 0; i < root.num_children; ++i)
    out[child[i].action] = total > 0 ? static_cast<float>(child[i].visits) / total : child[i].prior;
}

game::Action Tree::choose_move(float temperature) {
  const Node& root = pool_[0];
  ZP_CHECK(root.expanded());
  const Node* child = &pool_[root.first_child];
  const int n = root.num_children;
  for (int i = 0; i < n; ++i)
    if (child[i].terminal() && child[i].terminal_value() > 0.0f) return child[i].action;
  if (gumbel() && !root.awaiting_eval()) return gumbel_move();
  int total = 0;
  for (int i = 0; i < n; ++i) total += child[i].visits;
  if (temperature > 0.0f && total > 0) {
    double sum = 0.0;
    const double inv_t = 1.0 / temperature;
    for (int i = 0; i < n; ++i) sum += std::pow(static_cast<double>(child[i].visits), inv_t);
    double r = rng_.uniform() * sum;
    for (int i = 0; i < n; ++i) {
      r -= std::pow(static_cast<double>(child[i].visits), inv_t);
      if (r < 0 && child[i].visits > 0) return child[i].action;
    }
  }
  int best = 0;
  for (int i = 1; i < n; ++i) {
    const Node& c = child[i];
    const Node& b = child[best];
    if (c.visits > b.visits || (c.visits == b.visits && c.prior > b.prior)) best = i;
  }
  return child[best].action;
}

}  // namespace zp::search
