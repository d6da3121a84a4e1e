#include "shared/tb/json_scalars.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

#include "shared/core/error.h"

namespace zp::tb {

namespace {

using Json = nlohmann::ordered_json;  // keeps the line's field order

// Appends every number in `v` under `tag` (objects by key, arrays by index).
void flatten(const Json& v, const std::string& tag, std::vector<Scalar>& out) {
  if (v.is_number()) {
    out.push_back({tag, v.get<double>()});
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) flatten(it.value(), tag + "/" + it.key(), out);
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) flatten(v[i], tag + "/" + std::to_string(i), out);
  }
  // null, booleans and strings carry no scalar.
}

int64_t step_value(const Json& line, const std::string& field) {
  const auto it = line.find(field);
  if (it == line.end() || !it->is_number()) return 0;
  const double v = it->get<double>();
  return std::isfinite(v) && v > 0 ? static_cast<int64_t>(std::floor(v)) : 0;
}

const std::string& step_field_of(const TagRules& rules, const std::string& tag) {
  for (const StepRule& r : rules.steps)
    if (tag.compare(0, r.tag_prefix.size(), r.tag_prefix) == 0) return r.field;
  return rules.default_step_field;
}

}  // namespace

// The supervisor's status line: self-play throughput and the GPU lock, what the writer stored,
// the learner, each role's CPU, the inference server; resident memory and staleness under the
// names other fields may take. The learner's tags go at the learner step.
const TagRules& status_tag_rules() {
  static const TagRules rules = [] {
    TagRules r;
    for (const char* f : {"positions_per_s", "actor_positions_per_s", "games", "positions",
                          "evals_per_s", "mean_batch", "lock_wait_share", "device_busy_share",
                          "oldest_in_use"})
      r.fields.emplace_back(f, "selfplay");
    for (const char* f : {"written_games", "written_positions", "shards", "rejected",
                          "duplicates", "pending_records"})
      r.fields.emplace_back(f, "writer");
    for (const char* f : {"steps_per_s", "loss_policy", "loss_value", "window", "samples",
                          "ingested", "model_version", "lr", "learning_rate"})
      r.fields.emplace_back(f, "learner");
    r.prefixes = {{"cpu_", "cpu/"},
                  {"server_", "server/"},
                  {"learner_", "learner/"},
                  {"staleness", "learner/staleness"},
                  {"sample_reuse", "learner/sample_reuse"},
                  {"rss", "memory/rss"},
                  {"resident", "memory/resident"},
                  {"memory_", "memory/"},
                  {"hosts", "hosts"}};  // joined hosts: hosts/host-<id>/<field>
    r.fallback = "status";
    r.skip = {"time"};
    r.steps = {{"learner/", "learner_step"}};
    r.default_step_field = "elapsed_s";
    return r;
  }();
  return rules;
}

// The evaluator's line: Elo and its standard error (eval/), match scores, oracle accuracy and
// the Pons error rates per set; everything at the evaluated model's training step. The ladder
// (every player's rating, an array whose order changes as players join) is left out.
const TagRules& eval_tag_rules() {
  static const TagRules rules = [] {
    TagRules r;
    r.prefixes = {{"win_rate_", "match/win_rate_"},
                  {"gate_", "match/gate_"},
                  {"oracle_", "oracle/"},
                  {"pons_", "pons/"}};
    r.fallback = "eval";
    r.skip = {"time", "ladder"};
    r.default_step_field = "step";
    return r;
  }();
  return rules;
}

std::string tag_of(const TagRules& rules, const std::string& field) {
  for (const auto& [name, group] : rules.fields)
    if (name == field) return group + "/" + field;
  for (const auto& [prefix, replacement] : rules.prefixes)
    if (field.compare(0, prefix.size(), prefix) == 0)
      return replacement + field.substr(prefix.size());
  return rules.fallback + "/" + field;
}

std::vector<StepScalars> json_scalars(std::string_view json_text, const TagRules& rules) {
  const Json line = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!line.is_object())
    throw FormatError("tb: a metrics line that is not one JSON object (" +
                      std::to_string(json_text.size()) + " bytes)");
  std::vector<StepScalars> events;
  std::map<int64_t, size_t> by_step;  // step -> index in events
  for (auto it = line.begin(); it != line.end(); ++it) {
    if (std::find(rules.skip.begin(), rules.skip.end(), it.key()) != rules.skip.end()) continue;
    std::vector<Scalar> scalars;
    const std::string tag = tag_of(rules, it.key());
    flatten(it.value(), tag, scalars);
    if (scalars.empty()) continue;
    const int64_t step = step_value(line, step_field_of(rules, tag));
    const auto [slot, fresh] = by_step.emplace(step, events.size());
    if (fresh) events.push_back({step, {}});
    auto& dst = events[slot->second].scalars;
    dst.insert(dst.end(), scalars.begin(), scalars.end());
  }
  return events;
}

}  // namespace zp::tb
