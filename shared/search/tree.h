// PUCT Monte Carlo tree search over one game, driven from outside in rounds so that one
// network batch can serve many trees (the batch-of-games loop).
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
// Not thread-safe: one tree per game, owned by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "shared/core/rng.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"
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
struct SearchParams {
  int simulations = 200;           // search until the root has this many visits
  float c_puct = 1.5f;
  float fpu_reduction = 0.25f;
  float dirichlet_alpha = 1.0f;
  float dirichlet_fraction = 0.25f;  // 0 disables root noise
  float virtual_loss = 1.0f;
  bool reuse_tree = true;
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
  // True once the root has `params.simulations` visits (or the root is terminal).
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
  // Visit distribution over all num_actions() actions, summing to 1 (training target).
  void visit_policy(float* out) const;
  // Chooses a move: sampled from visits^(1/temperature), or the most visited when
  // temperature <= 0 (ties: higher prior, then lower action).
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

  int select_child(int32_t node_index) const;
  // Creates the children of `node` from the legal actions of `state` (priors set later).
  void expand(int32_t node_index, const game::State& state);
  void backup(const int32_t* path, int len, float leaf_value, bool undo_pending);
  // Called when the last node of path_ became terminal: marks solved ancestors terminal.
  void propagate_proof();
  void apply_root_noise();

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
  uint64_t simulations_ = 0;
  LeafObserver* leaf_observer_ = nullptr;
};

}  // namespace zp::search
