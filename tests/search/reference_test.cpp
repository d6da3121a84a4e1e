// Batching must not change the answers: the batched tree search (many trees, one network
// call per round) reaches the same root statistics as a plain recursive reference MCTS that
// evaluates one position at a time with the same network and the same PUCT rules. The
// "network" is a scripted backend that hashes each observation into priors and a value: as
// position-dependent as a real net, deterministic, and torch-free (the real net's own
// batching invariance is checked in tests/model/evaluator_test.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "shared/game/registry.h"
#include "shared/nn/scripted.h"
#include "shared/search/tree.h"

using zp::game::Action;

namespace {

// The plainest possible PUCT: nodes own their children in vectors, states are cloned, the
// network is called with one position at a time.
struct RefNode {
  Action action = -1;
  float prior = 0.0f;
  int visits = 0;
  float value_sum = 0.0f;  // for the mover into this node
  bool terminal = false;
  float terminal_value = 0.0f;
  bool expanded = false;
  std::vector<RefNode> children;
};

class ReferenceSearch {
 public:
  ReferenceSearch(zp::nn::Backend& ev, const zp::search::SearchParams& p) : ev_(ev), p_(p) {}

  RefNode run(const zp::game::State& root_state) {
    RefNode root;
    while (root.visits < p_.simulations) {
      auto s = root_state.clone();
      simulate(root, *s, 0);
    }
    return root;
  }

 private:
  // Returns the value for the mover into `node` and adds it to the node.
  float simulate(RefNode& node, zp::game::State& s, int depth) {
    float v;
    if (node.terminal) {
      v = node.terminal_value;
    } else if (!node.expanded) {
      v = -evaluate(node, s);
    } else {
      RefNode& child = node.children[select(node)];
      s.apply(child.action);
      if (!child.expanded && !child.terminal && s.is_terminal()) {
        child.terminal = true;
        child.terminal_value = s.last_mover_return();
      }
      v = -simulate(child, s, depth + 1);
      // Solver rules (never at the root): a winning move solves the node as lost for the
      // mover into it; all moves losing solves it as won.
      if (depth > 0 && child.terminal && !node.terminal) {
        bool all_lost = true;
        for (const RefNode& c : node.children) all_lost &= c.terminal && c.terminal_value < 0;
        if (child.terminal_value > 0) {
          node.terminal = true;
          node.terminal_value = -1.0f;
        } else if (all_lost) {
          node.terminal = true;
          node.terminal_value = 1.0f;
        }
      }
    }
    node.visits += 1;
    node.value_sum += v;
    return v;
  }

  size_t select(const RefNode& node) const {
    const float sqrt_n = std::sqrt(std::max(static_cast<float>(node.visits), 1.0f));
    const float parent_q = node.visits > 0 ? -node.value_sum / node.visits : 0.0f;
    const float fpu = parent_q - p_.fpu_reduction;
    size_t best = 0;
    float best_score = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < node.children.size(); ++i) {
      const RefNode& c = node.children[i];
      const float q = c.visits > 0 ? c.value_sum / c.visits : fpu;
      const float score = q + p_.c_puct * c.prior * sqrt_n / (1.0f + c.visits);
      if (score > best_score) best_score = score, best = i;
    }
    return best;
  }

  // Network value for the player to move at `s`; expands `node` with the priors.
  float evaluate(RefNode& node, const zp::game::State& s) {
    auto& b = ev_.buffers();
    s.write_observation(b.obs);
    std::memset(b.legal, 0, b.num_actions);
    const auto legal = s.legal_actions();
    for (Action a : legal) b.legal[a] = 1;
    ev_.compute(1);
    float sum = 0.0f;
    for (Action a : legal) sum += b.policy[a];
    for (Action a : legal) {
      RefNode c;
      c.action = a;
      c.prior = sum > 1e-6f ? b.policy[a] / sum : 1.0f / legal.size();
      node.children.push_back(c);
    }
    node.expanded = true;
    return b.value[0];
  }

  zp::nn::Backend& ev_;
  zp::search::SearchParams p_;
};

// Priors in [0.1, 1.1) per move and a value in [-1, 1], from an FNV-1a hash of the planes.
zp::nn::ScriptFn hashed_network(int obs_size, int num_actions) {
  return [obs_size, num_actions](const float* obs, const uint8_t*, float* policy, float* value) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < obs_size; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &obs[i], sizeof bits);
      h = (h ^ bits) * 1099511628211ULL;
    }
    auto mix = [](uint64_t x) {
      x ^= x >> 33;
      x *= 0xff51afd7ed558ccdULL;
      return x ^ (x >> 33);
    };
    for (int a = 0; a < num_actions; ++a) policy[a] = 0.1f + (mix(h + a + 1) % 1000) / 1000.0f;
    *value = (mix(h) % 2001) / 1000.0f - 1.0f;
  };
}

}  // namespace

TEST_CASE("batched search matches a one-position-at-a-time reference", "[unit][search]") {
  auto g = zp::game::make_game("connect4");
  const char* openings[] = {"", "4", "44", "4453", "3344", "1234567", "444333"};
  const int n = sizeof(openings) / sizeof(openings[0]);
  const auto net = hashed_network(g->observation_shape().size(), g->num_actions());
  auto batched = std::make_unique<zp::nn::ScriptedBackend>(*g, n, net);
  auto single = std::make_unique<zp::nn::ScriptedBackend>(*g, 1, net);
  zp::search::SearchParams p;
  p.simulations = 300;
  p.dirichlet_fraction = 0.0f;

  // All trees advance together, one leaf each per network call.
  std::vector<std::unique_ptr<zp::search::Tree>> trees;
  for (int i = 0; i < n; ++i) {
    trees.push_back(std::make_unique<zp::search::Tree>(*g, p, 1));
    trees.back()->reset(*g->state_from_moves(openings[i]));
  }
  int rounds = 0, max_batch = 0;
  for (bool busy = true; busy; ++rounds) {
    busy = false;
    std::vector<int> first(n), count(n);
    int slot = 0;
    for (int i = 0; i < n; ++i) {
      first[i] = slot;
      count[i] = trees[i]->done() ? 0 : trees[i]->gather(1, batched->buffers(), slot);
      slot += count[i];
      busy |= !trees[i]->done();
    }
    if (slot > 0) batched->compute(slot);
    max_batch = std::max(max_batch, slot);
    for (int i = 0; i < n; ++i)
      if (count[i] > 0) trees[i]->scatter(batched->buffers(), first[i]);
  }
  CHECK(max_batch == n);  // the batch really held several trees' leaves

  ReferenceSearch ref(*single, p);
  for (int i = 0; i < n; ++i) {
    INFO("opening '" << openings[i] << "'");
    const RefNode root = ref.run(*g->state_from_moves(openings[i]));
    std::vector<zp::search::RootChild> children;
    trees[i]->root_children(&children);
    REQUIRE(children.size() == root.children.size());
    CHECK(trees[i]->root_visits() == root.visits);
    CHECK(trees[i]->root_value() == Approx(-root.value_sum / root.visits).margin(1e-4));
    for (size_t k = 0; k < children.size(); ++k) {
      const RefNode& rc = root.children[k];
      CHECK(children[k].action == rc.action);
      CHECK(children[k].prior == Approx(rc.prior).margin(1e-5));
      CHECK(children[k].visits == rc.visits);
      CHECK(children[k].q == Approx(rc.visits ? rc.value_sum / rc.visits : 0.0f).margin(1e-4));
    }
  }
}
