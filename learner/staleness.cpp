#include "learner/staleness.h"

namespace zp::learner {

void VersionSteps::record(int64_t version, int64_t step) {
  steps_[version] = step;
  while (steps_.size() > kMaxVersionSteps) steps_.erase(steps_.begin());
}

std::optional<int64_t> VersionSteps::step_of(int64_t version) const {
  const auto it = steps_.find(version);
  if (it == steps_.end()) return std::nullopt;
  return it->second;
}

void VersionSteps::prune_below(int64_t oldest) {
  steps_.erase(steps_.begin(), steps_.lower_bound(oldest));
}

void VersionSteps::forget_after_step(int64_t step) {
  for (auto it = steps_.begin(); it != steps_.end();)
    it = it->second > step ? steps_.erase(it) : std::next(it);
}

std::vector<std::pair<int64_t, int64_t>> VersionSteps::entries() const {
  return {steps_.begin(), steps_.end()};
}

std::optional<double> mean_staleness(const VersionSteps& steps, int64_t step,
                                     const int64_t* versions, int n) {
  // Minibatches come mostly from a few recent versions: remember the last lookup.
  int64_t last_version = -1;
  std::optional<int64_t> last_step;
  double sum = 0;
  int known = 0;
  for (int i = 0; i < n; ++i) {
    if (versions[i] != last_version) {
      last_version = versions[i];
      last_step = steps.step_of(last_version);
    }
    if (!last_step) continue;
    sum += static_cast<double>(step - *last_step);
    ++known;
  }
  if (known == 0) return std::nullopt;
  return sum / known;
}

}  // namespace zp::learner
