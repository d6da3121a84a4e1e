// Monte Carlo tree search over one game (PUCT, or Gumbel AlphaZero: see below), driven from
// outside in rounds so that one network batch can serve many trees (the batch-of-games loop).
//
// A round:  n = tree.gather(max_leaves, buffers, slot)   // writes n leaves into buffers
//           ... backend.compute(total) over all trees' leaves ...
//           tree.scatter(buffers, slot)                   // expands and backs up those n
// The search never calls the network itself. Several leaves per round are taken with virtual
// loss (pending visits count as losses for the mover); a descent that runs into a leaf
// already awaiting evaluation is a collision and is undone. Terminal leaves are backed up at
// once and need no evaluation. Solved positions propagate up (an MCTS-solver): a node whose
// mover can win at once is lost for the mover into it, and a node all of whose moves lose is
// won; solved nodes then behave as terminals.
//
// Nodes come from a per-tree pool that is reused across moves and games: after the pool has
// grown to its working size, searching allocates nothing. Tree reuse: advance(action) keeps
// the played move's subtree (compacted into the spare pool).
//
// Gumbel AlphaZero (params.algorithm == kGumbel; Danihelka et al., ICLR 2022; the arithmetic is
// in gumbel.h). At the root, sequential halving spends the budget: each simulation may visit
// only the actions whose visit count (in this search) equals the schedule's entry, and takes
// the best of them by g + logits + sigma(completed Q), g being Gumbel noise drawn once per
// search (scaled by params.gumbel_scale; 0 in evaluation). At most params.gumbel_considered
// actions are ever visited: the schedule starts with the top ones by g + logits. Below the root
// the selection is deterministic: argmax of improved_policy - N / (1 + sum N), pending visits
// counting as visits (virtual visits, no value penalty), so a round's descents spread out.
// The policy target (visit_policy) is the root's improved policy softmax(logits + sigma), and
// the move (choose_move, which then ignores the temperature) is the one sequential halving
// leaves: the most visited in this search, ties broken by g + logits + sigma. The mixed value
// needs each node's own network value, kept in a pool-parallel array (gumbel only). With tree
// reuse the halving schedule counts this search's visits only; Q-values use all of them.
//
// Each search has a budget (params.simulations, or set_search_budget for playout caps): PUCT
// searches until the root has that many visits (reused visits count); Gumbel runs that many
// new simulations after the root is evaluated.
//
// Not thread-safe: one tree per game, owned by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "shared/core/rng.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"
#include "shared/search/gumbel.h"
#include "shared/search/node.h"

namespace zp::search {

// Receives the state of every leaf that gather() hands to the backend, with its slot, right
// after the leaf's observation is written: for backends that need the position itself
// (random rollouts in shared/arena). Called on the tree's thread; the state is only valid
// during the call.
class LeafObserver {
 public:
  virtual ~LeafObserver() = default;
  virtual void on_leaf(const game::State& state, int slot) = 0;
};

// Values copied out of SearchConfig when a tree is built (hot loops read these);
// search/config_params.h fills them from a config.
enum class Algorithm { kPuct, kGumbel };

struct SearchParams {
  Algorithm algorithm = Algorithm::kPuct;
  int simulations = 200;           // per search (see the budget above)
  float c_puct = 1.5f;
  float fpu_reduction = 0.25f;
  float dirichlet_alpha = 1.0f;
  float dirichlet_fraction = 0.25f;  // 0 disables root noise
  float virtual_loss = 1.0f;
  bool reuse_tree = true;
  // Gumbel only.
  int gumbel_considered = 16;      // actions sequential halving starts with (at most legal)
  float gumbel_scale = 1.0f;       // Gumbel noise at the root; 0 = none (evaluation, play)
  gumbel::QTransform q_transform;  // c_visit, c_scale
};

// One child of the root after a search, for move choice, training targets and display.
struct RootChild {
  game::Action action;
  int visits;
  float prior;
  float q;  // mean value for the player to move at the root; 0 if unvisited
};

class Tree {
 public:
  Tree(const game::Game& game, const SearchParams& params, uint64_t seed);

  // Starts a new game (or position): drops the tree.
  void reset(const game::State& root);
  // Plays `action` at the root; keeps its subtree when params.reuse_tree.
  void advance(game::Action action);

  const game::State& root_state() const { return *root_state_; }
  // The budget and root noise of the searches that start from the next reset() or advance()
  // (default: params.simulations, noise on). With root_noise false no Dirichlet noise is mixed
  // into the root priors (the Gumbel noise of move selection stays). For playout caps. With
  // move_noise false a Gumbel search draws no Gumbel noise (as with params.gumbel_scale 0):
  // its move is sequential halving's best by logits + sigma(completed Q) (self-play after
  // search.gumbel_noise_moves plies). The improved-policy target does not depend on it.
  void set_search_budget(int simulations, bool root_noise, bool move_noise = true);
  int search_budget() const { return next_budget_; }

  // True once the search has spent its budget (or the root is terminal).
  bool done() const;
  int root_visits() const { return pool_[0].visits; }

  // Descends up to `max_leaves` times. Each leaf that needs the network gets a slot
  // [first_slot + i] in `buffers` (observation and legal mask written). Returns the number of
  // slots used. Terminal leaves are backed up at once and use no slot. May return 0 (all
  // descents ended in terminals or collisions): call again.
  int gather(int max_leaves, nn::BatchBuffers& buffers, int first_slot);
  // Expands and backs up the leaves of the last gather() from their evaluations.
  void scatter(const nn::BatchBuffers& buffers, int first_slot);

  // Root statistics after search (children in action order).
  void root_children(std::vector<RootChild>* out) const;
  // Root value for the player to move, from its visits (0 before any visit).
  float root_value() const;
  // The search's value of the root for the player to move, the self-play value target mixed
  // into the game result (learner.value_target_q): PUCT's root_value(); for Gumbel, the
  // improved policy's value under the completed Q-values (gumbel::completed_value), since the
  // plain visit average weighs the actions sequential halving was forced to try. A proven root
  // gives its proof; 0 before the root is evaluated.
  float search_value() const;
  // The policy training target over all num_actions() actions, summing to 1: PUCT's visit
  // distribution, or Gumbel's improved policy.
  void visit_policy(float* out) const;
  // Chooses a move. A proven win first; then PUCT samples from visits^(1/temperature), or takes
  // the most visited when temperature <= 0 (ties: higher prior, then lower action); Gumbel
  // takes sequential halving's choice whatever the temperature.
  game::Action choose_move(float temperature);

  // Not owned; nullptr (the default) = none. Costs one predictable branch per leaf when unset.
  void set_leaf_observer(LeafObserver* observer) { leaf_observer_ = observer; }

  // Completed simulations (backed-up descents) over the tree's lifetime.
  uint64_t simulations() const { return simulations_; }
  // Pool size in nodes (for tests and memory reports).
  size_t pool_size() const { return pool_.size(); }

 private:
  struct Pending {
    int32_t leaf;          // pool index of the leaf awaiting evaluation
    int32_t path_begin;    // range in path_storage_
    int32_t path_end;
  };

  // Sequential halving's schedule for one (considered, simulations) pair (gumbel.h).
  struct Schedule {
    int considered, simulations;
    std::vector<int> visits;
    std::vector<bool> shrinks;
  };
  int select_child(int32_t node_index) const;
  bool gumbel() const { return params_.algorithm == Algorithm::kGumbel; }
  // Gumbel (tree_gumbel.cpp).
  int gumbel_root_child() const;
  // Of the first k root children with `wanted` visits in this search, the best by
  // g + logit + sigma (k_sigma_ loaded); -1 if none has that count.
  int best_considered(int k, int wanted) const;
  int gumbel_interior_child(int32_t node_index) const;
  // Loads the children of `node` into the k_* scratch arrays; sigma into k_sigma_.
  int load_children(int32_t node_index) const;
  void begin_gumbel_search();
  const Schedule& halving_schedule(int considered, int simulations);
  void note_root_descent(int32_t child, int delta);
  game::Action gumbel_move() const;
  void gumbel_policy(float* out) const;
  float gumbel_value() const;
  // A search starts (after reset/advance, or once the root is evaluated): noise and counters.
  void begin_search();
  // Creates the children of `node` from the legal actions of `state` (priors set later).
  void expand(int32_t node_index, const game::State& state);
  void backup(const int32_t* path, int len, float leaf_value, bool undo_pending);
  // Called when the last node of path_ became terminal: marks solved ancestors terminal.
  void propagate_proof();
  void apply_root_noise();
  bool root_ready() const { return pool_[0].expanded() && !pool_[0].awaiting_eval(); }

  const game::Game& game_;
  const SearchParams params_;
  const int num_actions_;
  const int obs_size_;
  Rng rng_;

  std::vector<Node> pool_;        // pool_[0] is the root
  std::vector<Node> spare_;       // compaction target for advance()
  std::unique_ptr<game::State> root_state_;
  std::unique_ptr<game::State> scratch_;
  std::vector<game::Action> legal_;
  std::vector<int32_t> path_;
  std::vector<int32_t> path_storage_;
  std::vector<Pending> pending_;
  std::vector<float> noise_;
  std::vector<int32_t> queue_;
  bool noise_applied_ = false;
  int next_budget_;               // budget of the next search
  bool next_noise_ = true;
  bool next_move_noise_ = true;
  int budget_;                    // budget of the current search
  bool root_noise_ = true;
  bool move_noise_ = true;        // Gumbel noise in this search's move choice
  // Gumbel state: raw network value per pool node (for the player to move there), this
  // search's per-root-child Gumbel noise and visits (pending included), and counters.
  std::vector<float> raw_value_, spare_raw_;
  std::vector<float> root_gumbel_;
  std::vector<int> search_visits_;
  int search_started_ = 0;  // root descents started in this search (collisions undone)
  int search_done_ = 0;     // root descents backed up in this search
  const Schedule* schedule_ = nullptr;
  std::vector<Schedule> schedules_;  // cache: a handful of (considered, simulations) pairs
  mutable std::vector<int> k_visits_, k_all_visits_;
  mutable std::vector<float> k_q_, k_prior_, k_sigma_, k_pi_;
  uint64_t simulations_ = 0;
  LeafObserver* leaf_observer_ = nullptr;
};

}  // namespace zp::search
