// The arithmetic of Gumbel AlphaZero (Danihelka, Guez, Schrittwieser, Silver: "Policy
// improvement by planning with Gumbel", ICLR 2022), as plain functions over one node's
// children so that tests can check them against hand-computed values and against DeepMind's
// mctx on the same inputs. The tree (tree.h) calls them; nothing here allocates.
//
// Conventions: k children of one node; `visits[i]` completed visits of child i; `q[i]` its
// mean value for the player to move at the node (read only where visits[i] > 0); `prior[i]`
// the network's probability of the move; `raw_value` the network's value of the node itself
// for the player to move there.
#pragma once

#include <vector>

namespace zp::search::gumbel {

// The monotone transform sigma(q) = (c_visit + max_b N(b)) * c_scale * q of the paper, applied
// to completed Q-values rescaled to [0, 1] over the node's children (mctx's
// qtransform_completed_by_mix_value with its defaults: c_visit 50, c_scale 0.1).
struct QTransform {
  float c_visit = 50.0f;
  float c_scale = 0.1f;
};

// The paper's mixed value approximation (its Appendix D): the value given to unvisited
// children, (raw_value + sum_b N(b) * sum_{visited b} pi(b) q(b) / sum_{visited b} pi(b)) /
// (1 + sum_b N(b)). Equals raw_value when no child has been visited.
float mixed_value(int k, const int* visits, const float* q, const float* prior, float raw_value);

// sigma(completed Q) for every child: visited children keep q, unvisited ones get the mixed
// value; all are rescaled to [0, 1] by the min and max over the k children (divided by at
// least 1e-8), then scaled by (c_visit + max N) * c_scale. Writes k floats to `out`.
void transformed_completed_q(int k, const int* visits, const float* q, const float* prior,
                             float raw_value, const QTransform& t, float* out);

// The value of the policy `pi` under the completed Q-values: sum_i pi[i] * completed_q[i],
// where visited children keep q and unvisited ones get mixed_value(). With pi the improved
// policy, it is the search's value of the node (the self-play value target mixed into the game
// result, learner.value_target_q) without the weight sequential halving's forced visits give
// to bad actions in the plain visit average.
float completed_value(int k, const int* visits, const float* q, const float* prior,
                      float raw_value, const float* pi);

// log(prior), the prior clamped below at 1e-12 so that a zero prior stays finite.
float logit(float prior);

// The improved policy softmax(logits + sigma) over the k children, logits from logit().
// Writes k probabilities summing to 1 to `out`.
void improved_policy(int k, const float* prior, const float* sigma, float* out);

// Sequential halving's schedule at the root (mctx's get_sequence_of_considered_visits): entry
// s is the visit count an action must have for simulation s to be allowed to visit it.
// With m considered actions and n simulations there are ceil(log2 m) phases; each gives every
// remaining action max(1, floor(n / (ceil(log2 m) * remaining))) visits, then halves the
// remaining set (to no fewer than 2). m <= 1 gives 0, 1, 2, ...
// `shrinks`, when given, gets one flag per entry: true where the set of actions left is smaller
// than before (the first simulation of a phase that halved it). The tree ends a batched round
// there, so that the halving sees every evaluation of the phase before it.
std::vector<int> considered_visit_sequence(int max_considered, int simulations,
                                           std::vector<bool>* shrinks = nullptr);

// One standard Gumbel(0, 1) sample from a uniform u in (0, 1): -log(-log(u)).
float gumbel_from_uniform(double u);

}  // namespace zp::search::gumbel
