// Loading: the YAML file, then --set overrides, then cross-key checks, each problem reported as
// one line naming where it is. Driven by the schema table in schema.cpp; to_yaml and
// print_help_keys live in output.cpp.
#include "shared/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "shared/config/schema.h"
#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "shared/game/registry.h"

namespace zp::config {
namespace {

using detail::KeySpec;

const KeySpec* find_key(const std::string& section, const std::string& name) {
  for (const KeySpec& k : detail::keys()) {
    if (k.section == section && k.name == name) return &k;
  }
  return nullptr;
}

bool is_section(const std::string& name) {
  for (const auto& s : detail::sections()) {
    if (s.name == name) return true;
  }
  return false;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters ("simualtions") each cost 1.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Whether `distance` is small enough, for a name of `length`, to be a plausible typo.
bool close_enough(size_t distance, size_t length) {
  return distance <= std::max<size_t>(2, length / 3);
}

// The valid key nearest to `query` ("serach.simulatons", "search.batch_size", "simulations"),
// or "" when none is plausibly meant. A key's own name counts as well as its full name, with
// one extra edit for a different section, so a key put in the wrong section is found.
std::string suggest_key(const std::string& query) {
  const std::string q = lower(query);
  const size_t dot = q.find('.');
  const std::string q_section = dot == std::string::npos ? "" : q.substr(0, dot);
  const std::string q_name = dot == std::string::npos ? q : q.substr(dot + 1);
  std::string best;
  size_t best_d = std::string::npos;
  for (const KeySpec& k : detail::keys()) {
    size_t d = edit_distance(q, k.full());
    d = std::min(d, edit_distance(q_name, k.name) + (q_section == k.section ? 0 : 1));
    if (d < best_d) best_d = d, best = k.full();
  }
  return close_enough(best_d, q_name.size()) ? best : "";
}

std::string suggest_section(const std::string& query) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& s : detail::sections()) {
    const size_t d = edit_distance(lower(query), s.name);
    if (d < best_d) best_d = d, best = s.name;
  }
  return close_enough(best_d, query.size()) ? best : "";
}

std::string did_you_mean(const std::string& suggestion) {
  return suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)";
}

// "unknown key (did you mean 'search.simulations'?)", or the section's keys when no valid key
// is close.
std::string unknown_key_problem(const std::string& section, const std::string& full) {
  const std::string suggestion = suggest_key(full);
  if (!suggestion.empty() || !is_section(section)) return "unknown key" + did_you_mean(suggestion);
  std::string names;
  for (const KeySpec& k : detail::keys()) {
    if (k.section == section) names += (names.empty() ? "" : ", ") + k.name;
  }
  return "unknown key; '" + section + "' has: " + names;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

// "name: default" for the first key of `section`, to show what a section looks like.
std::string example_key(const std::string& section) {
  for (const KeySpec& k : detail::keys()) {
    if (k.section == section) return k.name + ": " + detail::format(k, Config{});
  }
  return "";
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

size_t distinct_count(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return static_cast<size_t>(std::unique(items.begin(), items.end()) - items.begin());
}

// Builds one Config: YAML text first, then overrides, then the cross-key checks. Every problem
// throws ConfigError("WHERE: KEY: problem") where WHERE is "file:line" or "--set k=v".
class Loader {
 public:
  explicit Loader(const std::string& name) : name_(name) { config_.source = name; }

  void load_yaml(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail(at(e.mark), "", "syntax error: " + e.msg);
    }
    if (root.IsNull()) return;  // an empty file: all defaults
    if (!root.IsMap()) {
      fail(at(root.Mark()), "",
           "expected a mapping of sections (like 'search:'), got " + describe(root));
    }
    std::map<std::string, int> section_lines;
    for (const auto& entry : root) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      if (!key.IsScalar()) {
        fail(at(key.Mark()), "", "expected a section name, got " + describe(key));
      }
      const std::string section = key.Scalar(), where = at(key.Mark());
      if (!is_section(section)) {
        // A bare key at the top level ("simulations: 200") is a key missing its section.
        const std::string as_key = value.IsMap() ? "" : suggest_key(section);
        if (!as_key.empty()) {
          fail(where, section, "keys belong under a section" + did_you_mean(as_key));
        }
        fail(where, section, "unknown section" + did_you_mean(suggest_section(section)));
      }
      const auto [first, inserted] = section_lines.emplace(section, key.Mark().line + 1);
      if (!inserted) {
        fail(where, section,
             "section given twice (first at line " + std::to_string(first->second) + ")");
      }
      if (value.IsNull()) continue;  // "search:" with nothing under it
      if (!value.IsMap()) {
        fail(where, section,
             "expected keys under '" + section + ":' (indented, like '  " + example_key(section) +
                 "'), got " + describe(value));
      }
      load_section(section, value);
    }
  }

  // `item` is "section.key=value" as given to --set.
  void apply_override(const std::string& item) {
    const std::string where = "--set " + item;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) fail(where, "", "expected section.key=value");
    const std::string full = trim(item.substr(0, eq)), text = trim(item.substr(eq + 1));
    const size_t dot = full.find('.');
    const std::string section = dot == std::string::npos ? "" : full.substr(0, dot);
    const KeySpec* spec =
        dot == std::string::npos ? nullptr : find_key(section, full.substr(dot + 1));
    if (!spec) fail(where, full, unknown_key_problem(section, full));
    set(*spec, &text, where);
  }

  // Constraints between keys, checked once everything is applied.
  void cross_check() {
    const Config& c = config_;
    try {
      game::validate_game_params(c.game.name, {c.game.board_size});
    } catch (const ConfigError& e) {
      fail_key("game.board_size", e.what());
    }
    require_order("search.leaves_per_round", c.search.leaves_per_round, "search.simulations",
                  c.search.simulations);
    if (c.search.fast_simulations > 0) {
      require_order("search.fast_simulations", c.search.fast_simulations, "search.simulations",
                    c.search.simulations, /*strict=*/true);
    } else if (c.search.full_search_prob < 1.0) {
      fail_key("search.full_search_prob",
               "playout caps need search.fast_simulations > 0 (the simulations of the other "
               "moves)");
    }
    require_order("learner.min_positions", c.learner.min_positions, "learner.window_positions",
                  c.learner.window_positions);
    require_order("learner.batch_size", c.learner.batch_size, "learner.window_positions",
                  c.learner.window_positions);
    if (c.learner.batch_size % c.learner.world_size != 0) require_divides();
    if (c.actors.pipeline > c.actors.games_per_actor) {
      fail_key("actors.pipeline", "is " + std::to_string(c.actors.pipeline) +
                                      ", more groups than actors.games_per_actor (" +
                                      std::to_string(c.actors.games_per_actor) + ")");
    }
    if (c.model.precision != "fp32" && c.model.precision != "auto" && c.model.device == "cpu") {
      fail_key("model.precision",
               c.model.precision + " inference needs a CUDA device, but model.device is cpu");
    }
    if (c.learner.lr_schedule == "cosine" && c.train.max_steps == 0 &&
        c.train.max_seconds == 0) {
      fail_key("learner.lr_schedule",
               "cosine decays over train.max_steps or train.max_seconds, which are both 0 (no "
               "limit); set one of them or use constant");
    }
    if (c.actors.inference == "server") {
      // One request is one pipeline group's batch (SelfPlayLoop::batch_capacity); the server
      // does not split requests.
      const long long games = (c.actors.games_per_actor + c.actors.pipeline - 1) /
                              c.actors.pipeline;
      const long long request = games * c.search.leaves_per_round;
      if (request > c.server.max_batch)
        fail_key("server.max_batch",
                 "is " + std::to_string(c.server.max_batch) + ", smaller than one actor's " +
                 "request of actors.games_per_actor / actors.pipeline x " +
                 "search.leaves_per_round = " + std::to_string(request) +
                 " positions (actors.inference: server)");
    }
    if (c.actors.inference == "server" && distinct_count(split_device_list(c.actors.devices)) > 1) {
      // One inference server per run today (run::server_device); a server per device is not
      // built yet, so spreading server-mode actors over devices would leave all but one idle.
      fail_key("actors.devices",
               "'" + c.actors.devices + "' names several devices, but actors.inference: "
               "server runs one inference server, on model.device; use actors.inference: lock");
    }
    if (c.evaluator.gating && !c.evaluator.enabled) {
      fail_key("evaluator.gating", "gating needs evaluator.enabled: true");
    }
    require_order("monitor.interval_s", c.monitor.interval_s, "monitor.heartbeat_timeout_s",
                  c.monitor.heartbeat_timeout_s, /*strict=*/true);
  }

  Config take() { return std::move(config_); }

 private:
  std::string at(const YAML::Mark& mark) const {
    return mark.is_null() ? name_ : name_ + ":" + std::to_string(mark.line + 1);
  }

  [[noreturn]] void fail(const std::string& where, const std::string& key,
                         const std::string& problem) const {
    throw ConfigError(where + ": " + (key.empty() ? "" : key + ": ") + problem);
  }

  // Where `full` was last set ("file:line", "--set ..."), or the source name for a default.
  std::string where_set(const std::string& full) const {
    const auto it = origin_.find(full);
    return it == origin_.end() ? name_ : it->second.first;
  }
  [[noreturn]] void fail_key(const std::string& full, const std::string& problem) const {
    fail(where_set(full), full, problem);
  }

  // learner.world_size divides learner.batch_size (each rank trains on an equal share),
  // else an error blaming whichever of the two was set last.
  [[noreturn]] void require_divides() const {
    const auto seq = [&](const std::string& k) {
      const auto it = origin_.find(k);
      return it == origin_.end() ? 0 : it->second.second;
    };
    const std::string what = "learner.batch_size " + value_of("learner.batch_size") +
                             " is not divisible by learner.world_size " +
                             value_of("learner.world_size") +
                             " (each rank trains on batch_size / world_size positions)";
    fail_key(seq("learner.world_size") > seq("learner.batch_size") ? "learner.world_size"
                                                                  : "learner.batch_size",
             what);
  }

  // small <= big (small < big when `strict`), blaming whichever key was set last.
  void require_order(const std::string& small_key, long double small, const std::string& big_key,
                     long double big, bool strict = false) const {
    if (strict ? small < big : small <= big) return;
    const auto seq = [&](const std::string& k) {
      const auto it = origin_.find(k);
      return it == origin_.end() ? 0 : it->second.second;
    };
    const std::string op = strict ? " " : "= ";
    if (seq(big_key) > seq(small_key)) {
      fail_key(big_key, "must be >" + op + small_key + " (" + value_of(small_key) + "), got " +
                            value_of(big_key));
    }
    fail_key(small_key, "must be <" + op + big_key + " (" + value_of(big_key) + "), got " +
                            value_of(small_key));
  }
  // The current value of `full` as written in YAML, for messages.
  std::string value_of(const std::string& full) const {
    const size_t dot = full.find('.');
    return detail::format(*find_key(full.substr(0, dot), full.substr(dot + 1)), config_);
  }

  void load_section(const std::string& section, const YAML::Node& map) {
    std::map<std::string, int> key_lines;
    for (const auto& entry : map) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      if (!key.IsScalar()) {
        fail(at(key.Mark()), section, "expected a key name, got " + describe(key));
      }
      const std::string full = section + "." + key.Scalar(), where = at(key.Mark());
      const KeySpec* spec = find_key(section, key.Scalar());
      if (!spec) fail(where, full, unknown_key_problem(section, full));
      const auto [first, inserted] = key_lines.emplace(full, key.Mark().line + 1);
      if (!inserted) {
        fail(where, full, "key given twice (first at line " + std::to_string(first->second) + ")");
      }
      if (value.IsNull()) {
        set(*spec, nullptr, where);
      } else if (value.IsScalar()) {
        set(*spec, &value.Scalar(), where);
      } else if (value.IsSequence() && full == "actors.devices") {
        const std::string joined = join_scalars(value, where, full);
        set(*spec, &joined, where);
      } else {
        fail(where, full, "expected a single value, got " + describe(value));
      }
    }
  }

  // A YAML list of scalars ([cuda:0, cuda:1]) as the comma-separated text its key parses.
  std::string join_scalars(const YAML::Node& list, const std::string& where,
                           const std::string& full) {
    std::string joined;
    for (const auto& item : list) {
      if (!item.IsScalar()) fail(where, full, "expected a list of devices, got " + describe(item));
      joined += (joined.empty() ? "" : ",") + item.Scalar();
    }
    return joined;
  }

  void set(const KeySpec& spec, const std::string* text, const std::string& where) {
    const std::string problem = detail::assign(spec, config_, text);
    if (!problem.empty()) fail(where, spec.full(), problem);
    origin_[spec.full()] = {where, ++sequence_};
  }

  std::string name_;
  Config config_;
  // Full key -> (where it was last set, order of setting), for cross-key messages.
  std::map<std::string, std::pair<std::string, int>> origin_;
  int sequence_ = 0;
};

}  // namespace

std::vector<std::string> split_device_list(const std::string& text) {
  std::vector<std::string> devices;
  if (text.empty()) return devices;
  size_t begin = 0;
  for (size_t comma; (comma = text.find(',', begin)) != std::string::npos; begin = comma + 1)
    devices.push_back(trim(text.substr(begin, comma - begin)));
  devices.push_back(trim(text.substr(begin)));  // the last entry, empty after a final comma
  return devices;
}

std::string actor_device(const Config& config, int index) {
  const std::vector<std::string> devices = split_device_list(config.actors.devices);
  if (devices.empty()) return config.model.device;
  return devices[static_cast<size_t>(index) % devices.size()];
}

Config load_config_string(const std::string& yaml, const std::string& name,
                          const std::vector<std::string>& overrides) {
  Loader loader(name);
  loader.load_yaml(yaml);
  for (const std::string& item : overrides) loader.apply_override(item);
  loader.cross_check();
  return loader.take();
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  const std::string text = read_file(path, "config file");
  return load_config_string(text, path, overrides);
}

}  // namespace zp::config
