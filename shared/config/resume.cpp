#include "shared/config/resume.h"

#include <map>

#include "shared/core/error.h"

namespace zp::config {

std::vector<std::pair<std::string, std::string>> resume_fixed_values(const Config& c) {
  const auto num = [](int v) { return std::to_string(v); };
  return {{"game.name", c.game.name},
          {"game.board_size", num(c.game.board_size)},
          {"model.blocks", num(c.model.blocks)},
          {"model.channels", num(c.model.channels)},
          {"model.policy_channels", num(c.model.policy_channels)},
          {"model.value_channels", num(c.model.value_channels)},
          {"model.value_hidden", num(c.model.value_hidden)},
          {"learner.optimizer", c.learner.optimizer},
          {"learner.world_size", num(c.learner.world_size)}};
}

void check_resume_values(const std::vector<std::pair<std::string, std::string>>& saved,
                         const Config& now, const std::string& where) {
  const std::map<std::string, std::string> was(saved.begin(), saved.end());
  std::string diffs;
  for (const auto& [key, value] : resume_fixed_values(now)) {
    const auto it = was.find(key);
    if (it == was.end() || it->second == value) continue;
    diffs += (diffs.empty() ? "" : "; ") + key + " is '" + it->second + "' in " + where +
             ", '" + value + "' now";
  }
  if (diffs.empty()) return;
  throw ConfigError("--resume: " + diffs +
                    "; a run keeps its game, model shape and optimizer (start a new --run-dir "
                    "to change them)");
}

}  // namespace zp::config
