#include "shared/search/gumbel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace zp::search::gumbel {
namespace {

constexpr float kMinPrior = 1e-12f;
constexpr float kRescaleEpsilon = 1e-8f;

}  // namespace

float logit(float prior) { return std::log(std::max(prior, kMinPrior)); }

float mixed_value(int k, const int* visits, const float* q, const float* prior, float raw_value) {
  double sum_visits = 0.0, sum_prior = 0.0, weighted = 0.0;
  for (int i = 0; i < k; ++i) {
    if (visits[i] <= 0) continue;
    const double p = std::max(prior[i], std::numeric_limits<float>::min());
    sum_visits += visits[i];
    sum_prior += p;
    weighted += p * q[i];
  }
  if (sum_visits <= 0.0) return raw_value;
  const double weighted_q = weighted / sum_prior;
  return static_cast<float>((raw_value + sum_visits * weighted_q) / (sum_visits + 1.0));
}

float completed_value(int k, const int* visits, const float* q, const float* prior,
                      float raw_value, const float* pi) {
  const float fill = mixed_value(k, visits, q, prior, raw_value);
  double v = 0.0;
  for (int i = 0; i < k; ++i) v += static_cast<double>(pi[i]) * (visits[i] > 0 ? q[i] : fill);
  return static_cast<float>(v);
}

void transformed_completed_q(int k, const int* visits, const float* q, const float* prior,
                             float raw_value, const QTransform& t, float* out) {
  const float fill = mixed_value(k, visits, q, prior, raw_value);
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  int max_visits = 0;
  for (int i = 0; i < k; ++i) {
    out[i] = visits[i] > 0 ? q[i] : fill;
    lo = std::min(lo, out[i]);
    hi = std::max(hi, out[i]);
    max_visits = std::max(max_visits, visits[i]);
  }
  const float inv_range = 1.0f / std::max(hi - lo, kRescaleEpsilon);
  const float scale = (t.c_visit + static_cast<float>(max_visits)) * t.c_scale;
  for (int i = 0; i < k; ++i) out[i] = scale * (out[i] - lo) * inv_range;
}

void improved_policy(int k, const float* prior, const float* sigma, float* out) {
  float top = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < k; ++i) {
    out[i] = logit(prior[i]) + sigma[i];
    top = std::max(top, out[i]);
  }
  double sum = 0.0;
  for (int i = 0; i < k; ++i) {
    out[i] = std::exp(out[i] - top);
    sum += out[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int i = 0; i < k; ++i) out[i] *= inv;
}

std::vector<int> considered_visit_sequence(int max_considered, int simulations,
                                           std::vector<bool>* shrinks) {
  std::vector<int> seq;
  seq.reserve(static_cast<size_t>(std::max(simulations, 0)));
  if (shrinks != nullptr) shrinks->assign(static_cast<size_t>(std::max(simulations, 0)), false);
  if (max_considered <= 1) {
    for (int s = 0; s < simulations; ++s) seq.push_back(s);
    return seq;
  }
  const int phases = static_cast<int>(std::ceil(std::log2(static_cast<double>(max_considered))));
  std::vector<int> visits(static_cast<size_t>(max_considered), 0);
  int considered = max_considered, previous = max_considered;
  while (static_cast<int>(seq.size()) < simulations) {
    const int extra = std::max(1, simulations / (phases * considered));
    if (shrinks != nullptr && considered < max_considered && seq.size() < shrinks->size() &&
        (seq.empty() || considered < previous))
      (*shrinks)[seq.size()] = true;
    previous = considered;
    for (int e = 0; e < extra; ++e) {
      for (int i = 0; i < considered; ++i) seq.push_back(visits[i]++);
    }
    considered = std::max(2, considered / 2);
  }
  seq.resize(static_cast<size_t>(simulations));
  return seq;
}

float gumbel_from_uniform(double u) {
  u = std::clamp(u, 1e-300, 1.0 - 1e-16);
  return static_cast<float>(-std::log(-std::log(u)));
}

}  // namespace zp::search::gumbel
