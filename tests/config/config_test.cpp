// Config schema, loading, errors, overrides, to_yaml round trip, the shipped config files and
// the `zeroplay config` subcommand.
#include "shared/config/config.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "tests/test_support.h"

namespace {

using zp::config::Config;
using zp::config::load_config;
using zp::config::load_config_string;

// Every member of Config except `source`. Listed here independently of the schema, so a key
// missing from the schema shows up as a field that does not survive the round trip.
// clang-format off
#define ZP_CONFIG_FIELDS(X)                                                                   \
  X(game.name) X(game.board_size)                                                             \
  X(search.simulations) X(search.c_puct) X(search.fpu_reduction) X(search.dirichlet_alpha)    \
  X(search.dirichlet_fraction) X(search.leaves_per_round) X(search.virtual_loss)              \
  X(search.temperature) X(search.temperature_moves) X(search.reuse_tree)                      \
  X(search.algorithm) X(search.gumbel_considered) X(search.gumbel_c_visit)                    \
  X(search.gumbel_c_scale) X(search.full_search_prob) X(search.fast_simulations)              \
  X(search.gumbel_noise_moves)                                                                \
  X(model.blocks) X(model.channels) X(model.policy_channels) X(model.value_channels)          \
  X(model.value_hidden) X(model.device) X(model.precision) X(model.threads)                   \
  X(model.cuda_graphs) X(actors.pipeline) X(actors.devices)                                   \
  X(actors.count) X(actors.games_per_actor) X(actors.seed) X(actors.gpu_lock)                 \
  X(actors.inference) X(server.max_batch) X(server.max_wait_us)                               \
  X(writer.endpoint) X(writer.shard_positions) X(writer.shard_seconds) X(writer.insecure)     \
  X(learner.batch_size) X(learner.optimizer) X(learner.lr) X(learner.momentum)                \
  X(learner.weight_decay) X(learner.lr_schedule) X(learner.value_loss_weight)                 \
  X(learner.value_target_q)                                                                   \
  X(learner.window_positions) X(learner.min_positions) X(learner.sample_reuse)                \
  X(learner.publish_every_steps) X(learner.device) X(learner.threads) X(learner.world_size)   \
  X(learner.launch)                                                                           \
  X(monitor.interval_s) X(monitor.heartbeat_timeout_s)                                        \
  X(train.max_steps) X(train.max_seconds)                                                     \
  X(evaluator.enabled) X(evaluator.every_versions) X(evaluator.games)                         \
  X(evaluator.simulations) X(evaluator.rollout_simulations) X(evaluator.positions)            \
  X(evaluator.oracle_search_positions) X(evaluator.pons_search_positions)                    \
  X(evaluator.gating) X(evaluator.gating_threshold) X(evaluator.ladder_versions)
// clang-format on

const std::vector<std::string> kNone;  // no differing fields

std::vector<std::string> all_fields() {
  std::vector<std::string> out;
#define ZP_NAME(f) out.push_back(#f);
  ZP_CONFIG_FIELDS(ZP_NAME)
#undef ZP_NAME
  return out;
}

// Names of the fields whose values differ (exact comparison, floats included).
std::vector<std::string> differing_fields(const Config& a, const Config& b) {
  std::vector<std::string> out;
#define ZP_DIFF(f) \
  if (!(a.f == b.f)) out.push_back(#f);
  ZP_CONFIG_FIELDS(ZP_DIFF)
#undef ZP_DIFF
  return out;
}

// A valid config where every field but evaluator.enabled differs from its default (gating
// needs the evaluator enabled), with values that are awkward to print exactly.
Config all_changed() {
  Config c;
  c.game.name = "gomoku";
  c.game.board_size = 9;
  c.search.simulations = 333;
  c.search.c_puct = 2.25f;
  c.search.fpu_reduction = 0.1f;
  c.search.dirichlet_alpha = 0.03f;
  c.search.dirichlet_fraction = 0.123456789f;
  c.search.leaves_per_round = 3;
  c.search.virtual_loss = 2.5f;
  c.search.temperature = 0.7f;
  c.search.temperature_moves = 7;
  c.search.reuse_tree = false;
  c.search.algorithm = "gumbel";
  c.search.gumbel_considered = 8;
  c.search.gumbel_c_visit = 40.0f;
  c.search.gumbel_c_scale = 0.2f;
  c.search.gumbel_noise_moves = 12;
  c.search.full_search_prob = 0.25;
  c.search.fast_simulations = 50;
  c.model.blocks = 7;
  c.model.channels = 48;
  c.model.policy_channels = 4;
  c.model.value_channels = 2;
  c.model.value_hidden = 96;
  c.model.device = "cuda:1";
  c.model.precision = "bf16";
  c.model.threads = 3;
  c.model.cuda_graphs = "off";
  c.actors.pipeline = 3;
  c.actors.devices = "cuda:1";
  c.actors.count = 5;
  c.actors.games_per_actor = 17;
  c.actors.seed = std::numeric_limits<uint64_t>::max();
  c.actors.gpu_lock = "off";
  c.writer.endpoint = "tcp://10.0.0.1:5555";
  c.writer.shard_positions = 1234;
  c.writer.shard_seconds = 0.1;
  c.writer.insecure = true;
  c.actors.inference = "server";
  c.server.max_batch = 4096;
  c.server.max_wait_us = 123;
  c.learner.batch_size = 100;
  c.learner.optimizer = "adam";
  c.learner.lr = 1e-3 / 3;
  c.learner.momentum = 0.95;
  c.learner.weight_decay = 3e-5;
  c.learner.lr_schedule = "cosine";
  c.learner.value_loss_weight = 0.5;
  c.learner.value_target_q = 0.375;
  c.learner.window_positions = 12345;
  c.learner.min_positions = 678;
  c.learner.sample_reuse = 2.5;
  c.learner.publish_every_steps = 7;
  c.learner.device = "cpu";
  c.learner.threads = 1;
  c.learner.world_size = 4;  // divides batch_size 100
  c.learner.launch = "external";
  c.monitor.interval_s = 2.5;
  c.monitor.heartbeat_timeout_s = 61;
  c.train.max_steps = 9000000000LL;  // beyond int32
  c.train.max_seconds = 3600.5;
  c.evaluator.every_versions = 3;
  c.evaluator.games = 10;
  c.evaluator.simulations = 50;
  c.evaluator.rollout_simulations = 500;
  c.evaluator.positions = "data/c4 \"v2\": #1.txt";  // needs quoting in YAML
  c.evaluator.oracle_search_positions = 17;
  c.evaluator.pons_search_positions = 23;
  c.evaluator.gating = true;
  c.evaluator.gating_threshold = 0.6;
  c.evaluator.ladder_versions = 7;
  return c;
}

// The ConfigError message from loading `yaml` as "bad.yaml"; fails the test if none is thrown.
std::string load_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    load_config_string(yaml, "bad.yaml", overrides);
  } catch (const zp::ConfigError& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);  // always one line
    return msg;
  }
  FAIL("no ConfigError for:\n" << yaml);
  return "";
}

std::string write_file(const zp::test::TempDir& dir, const std::string& name,
                       const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("an empty config gives the struct defaults", "[unit][config]") {
  const Config c = load_config_string("", "empty.yaml");
  CHECK(differing_fields(c, Config{}) == kNone);
  CHECK(c.source == "empty.yaml");
  CHECK(c.search.simulations == 200);  // a spot check against config.h
  // A section with nothing under it is also fine.
  CHECK(differing_fields(load_config_string("search:\n", "x"), Config{}) == kNone);
}

TEST_CASE("to_yaml round-trips every key", "[unit][config]") {
  const Config changed = all_changed();
  // The fixture really changes every field (but evaluator.enabled, covered below)...
  std::vector<std::string> expected = all_fields();
  expected.erase(std::find(expected.begin(), expected.end(), "evaluator.enabled"));
  REQUIRE(differing_fields(changed, Config{}) == expected);
  // ...and each one comes back exactly.
  const std::string yaml = zp::config::to_yaml(changed);
  CHECK(differing_fields(load_config_string(yaml, "resolved.yaml"), changed) == kNone);

  Config disabled;
  disabled.evaluator.enabled = false;
  CHECK(differing_fields(load_config_string(zp::config::to_yaml(disabled), "x"), disabled) ==
        kNone);
  // Defaults are valid values: the default config's YAML loads back.
  CHECK(differing_fields(load_config_string(zp::config::to_yaml(Config{}), "x"), Config{}) ==
        kNone);
  // The schema has exactly the keys listed above (a new key must be added to the list too).
  std::istringstream lines(yaml);
  size_t key_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    key_lines += line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != '#';
  }
  CHECK(key_lines == all_fields().size());
  // The output is a manual: sections, help comments.
  CHECK(yaml.find("\nsearch:\n") != std::string::npos);
  CHECK(yaml.find("  simulations: 333\n") != std::string::npos);
  CHECK(yaml.find("# Search simulations") != std::string::npos);
}

TEST_CASE("unknown keys and sections name the closest valid key", "[unit][config]") {
  CHECK(load_error("search:\n  simulations: 10\n  simulatons: 5\n") ==
        "bad.yaml:3: search.simulatons: unknown key (did you mean 'search.simulations'?)");
  CHECK(load_error("game:\n  name: connect4\nserach:\n  simulations: 5\n") ==
        "bad.yaml:3: serach: unknown section (did you mean 'search'?)");
  // A key in the wrong section, a transposition, a key outside any section.
  CHECK(load_error("search:\n  batch_size: 5\n") ==
        "bad.yaml:2: search.batch_size: unknown key (did you mean 'learner.batch_size'?)");
  CHECK(load_error("model:\n  chanenls: 5\n").find("(did you mean 'model.channels'?)") !=
        std::string::npos);
  CHECK(load_error("simulations: 5\n") ==
        "bad.yaml:1: simulations: keys belong under a section (did you mean "
        "'search.simulations'?)");
  // Nothing close: list the section's keys instead of guessing.
  const std::string far = load_error("search:\n  zzzzzzzz: 5\n");
  CHECK(far.find("bad.yaml:2: search.zzzzzzzz: unknown key;") == 0);
  CHECK(far.find("simulations, algorithm, c_puct") != std::string::npos);
}

TEST_CASE("wrong types name the file, line, key and value", "[unit][config]") {
  CHECK(load_error("model:\n  blocks: 2\n  channels: abc\n") ==
        "bad.yaml:3: model.channels: expected an integer, got 'abc'");
  CHECK(load_error("search:\n  simulations: 1.5\n") ==
        "bad.yaml:2: search.simulations: expected an integer, got '1.5'");
  CHECK(load_error("search:\n  c_puct: high\n") ==
        "bad.yaml:2: search.c_puct: expected a number, got 'high'");
  CHECK(load_error("search:\n  reuse_tree: yes\n") ==
        "bad.yaml:2: search.reuse_tree: expected true or false, got 'yes'");
  CHECK(load_error("game:\n  name: chess\n") ==
        "bad.yaml:2: game.name: must be one of tictactoe, connect4, gomoku, othello; got 'chess'");
  CHECK(load_error("model:\n  precision: fp8\n").find("fp32, fp16, bf16") != std::string::npos);
  CHECK(load_error("actors:\n  seed: -1\n") ==
        "bad.yaml:2: actors.seed: expected a non-negative integer, got '-1'");
  CHECK(load_error("search:\n  simulations:\n") ==
        "bad.yaml:2: search.simulations: missing value (expected an integer)");
  CHECK(load_error("search:\n  simulations: [1, 2]\n") ==
        "bad.yaml:2: search.simulations: expected a single value, got a list");
  CHECK(load_error("model:\n  device: gpu\n") ==
        "bad.yaml:2: model.device: must be auto, cpu, cuda or cuda:N, got 'gpu'");
  CHECK(load_error("writer:\n  endpoint: localhost\n").find("bad.yaml:2: writer.endpoint: ") == 0);
  CHECK(load_error("search:\n  c_puct: .nan\n").find("bad.yaml:2: search.c_puct:") == 0);
  // Valid spellings of the same kinds are accepted.
  const Config ok = load_config_string(
      "search:\n  reuse_tree: False\n  c_puct: 2\nmodel:\n  device: cuda:3\nwriter:\n  "
      "endpoint: ipc:///tmp/w.sock\nevaluator:\n  positions:\n",
      "ok.yaml");
  CHECK(ok.search.reuse_tree == false);
  CHECK(ok.search.c_puct == 2.0f);
  CHECK(ok.model.device == "cuda:3");
  CHECK(ok.writer.endpoint == "ipc:///tmp/w.sock");
  CHECK(ok.evaluator.positions.empty());
}

TEST_CASE("out-of-range values report the bound", "[unit][config]") {
  CHECK(load_error("game:\n  name: connect4\nactors:\n  count: -5\n") ==
        "bad.yaml:4: actors.count: must be >= 1, got -5");
  CHECK(load_error("search:\n  simulations: 2000000\n") ==
        "bad.yaml:2: search.simulations: must be <= 1000000, got 2000000");
  CHECK(load_error("learner:\n  lr: 0\n") == "bad.yaml:2: learner.lr: must be > 0, got 0");
  CHECK(load_error("evaluator:\n  gating_threshold: 0.4\n") ==
        "bad.yaml:2: evaluator.gating_threshold: must be >= 0.5, got 0.4");
  CHECK(load_error("evaluator:\n  ladder_versions: 1\n") ==
        "bad.yaml:2: evaluator.ladder_versions: must be >= 2, got 1");
  CHECK(load_error("train:\n  max_steps: 99999999999999999999\n")
            .find("bad.yaml:2: train.max_steps: must be <= 9223372036854775807") == 0);
}

TEST_CASE("malformed YAML and structure errors", "[unit][config]") {
  // yaml-cpp's 0-based mark becomes a 1-based line.
  CHECK(load_error("search:\n  simulations: 5\n   c_puct: 1\n") ==
        "bad.yaml:3: syntax error: illegal map value");
  CHECK(load_error("search:\n\tsimulations: 5\n").find("bad.yaml:2: syntax error: ") == 0);
  CHECK(load_error("search:\n  simulations: 5\n  simulations: 6\n") ==
        "bad.yaml:3: search.simulations: key given twice (first at line 2)");
  CHECK(load_error("search:\n  simulations: 5\nmodel:\n  blocks: 2\nsearch:\n  c_puct: 1\n") ==
        "bad.yaml:5: search: section given twice (first at line 1)");
  CHECK(load_error("game:\n  name: connect4\nsearch: 5\n") ==
        "bad.yaml:3: search: expected keys under 'search:' (indented, like '  simulations: "
        "200'), got '5'");
  CHECK(load_error("search: [1, 2]\n").find("bad.yaml:1: search: expected keys under") == 0);
  CHECK(load_error("just a scalar\n") ==
        "bad.yaml:1: expected a mapping of sections (like 'search:'), got 'just a scalar'");
  CHECK(load_error("- search\n").find("bad.yaml:1: expected a mapping of sections") == 0);
}

TEST_CASE("cross-key checks", "[unit][config]") {
  CHECK(load_error("game:\n  board_size: 9\n") ==
        "bad.yaml:2: game.board_size: only gomoku has a board size option; must be 0 for "
        "connect4, got 9");
  CHECK(load_error("game:\n  name: gomoku\n  board_size: 4\n") ==
        "bad.yaml:3: game.board_size: must be 0 (the game's default) or between 5 and 19, got 4");
  CHECK(load_config_string("game:\n  name: gomoku\n  board_size: 19\n", "x").game.board_size == 19);
  // Data-parallel ranks each take batch_size / world_size positions; the later key is blamed.
  CHECK(load_error("learner:\n  batch_size: 64\n  world_size: 3\n") ==
        "bad.yaml:3: learner.world_size: learner.batch_size 64 is not divisible by "
        "learner.world_size 3 (each rank trains on batch_size / world_size positions)");
  CHECK(load_error("learner:\n  world_size: 4\n", {"learner.batch_size=30"}) ==
        "--set learner.batch_size=30: learner.batch_size: learner.batch_size 30 is not "
        "divisible by learner.world_size 4 (each rank trains on batch_size / world_size "
        "positions)");
  CHECK(load_config_string("learner:\n  batch_size: 64\n  world_size: 4\n", "x")
            .learner.world_size == 4);
  CHECK(load_error("learner:\n  world_size: 0\n") ==
        "bad.yaml:2: learner.world_size: must be >= 1, got 0");
  CHECK(load_error("learner:\n  window_positions: 1000\n  min_positions: 2000\n") ==
        "bad.yaml:3: learner.min_positions: must be <= learner.window_positions (1000), got 2000");
  // The key set last is blamed, wherever it was set.
  CHECK(load_error("search:\n  leaves_per_round: 8\n", {"search.simulations=4"}) ==
        "--set search.simulations=4: search.simulations: must be >= search.leaves_per_round (8), "
        "got 4");
  CHECK(load_error("learner:\n  lr_schedule: cosine\n") ==
        "bad.yaml:2: learner.lr_schedule: cosine decays over train.max_steps or "
        "train.max_seconds, which are both 0 (no limit); set one of them or use constant");
  CHECK(load_config_string("learner:\n  lr_schedule: cosine\ntrain:\n  max_seconds: 60\n", "x")
            .learner.lr_schedule == "cosine");
  CHECK(load_error("evaluator:\n  enabled: false\n  gating: true\n") ==
        "bad.yaml:3: evaluator.gating: gating needs evaluator.enabled: true");
  CHECK(load_error("monitor:\n  heartbeat_timeout_s: 3\n") ==
        "bad.yaml:2: monitor.heartbeat_timeout_s: must be > monitor.interval_s (5.0), got 3.0");
  CHECK(load_error("model:\n  device: cpu\n  precision: fp16\n")
            .find("bad.yaml:3: "
                  "model.precision: ") == 0);
}

TEST_CASE("actors.devices: a list or a comma-separated string, placed round robin",
          "[unit][config]") {
  const Config list =
      load_config_string("actors:\n  count: 5\n  devices: [cuda:0, cuda:1, cpu]\n", "x");
  CHECK(list.actors.devices == "cuda:0,cuda:1,cpu");
  const std::vector<std::string> placed = {"cuda:0", "cuda:1", "cpu", "cuda:0", "cuda:1"};
  for (int i = 0; i < 5; ++i) CHECK(zp::config::actor_device(list, i) == placed[i]);
  const Config text = load_config_string("actors:\n  devices: 'cuda:2, cuda:3'\n", "x");
  CHECK(zp::config::split_device_list(text.actors.devices) ==
        std::vector<std::string>{"cuda:2", "cuda:3"});
  CHECK(zp::config::actor_device(text, 7) == "cuda:3");
  // Empty: every actor on model.device.
  const Config none = load_config_string("model:\n  device: cuda:4\n", "x");
  CHECK(zp::config::actor_device(none, 0) == "cuda:4");
  CHECK(zp::config::actor_device(none, 9) == "cuda:4");
  CHECK(zp::config::split_device_list("").empty());

  CHECK(load_error("actors:\n  devices: [cuda:0, gpu1]\n") ==
        "bad.yaml:2: actors.devices: entries must be cpu, cuda or cuda:N, got 'gpu1' in "
        "'cuda:0,gpu1'");
  CHECK(load_error("actors:\n  devices: [auto]\n") ==
        "bad.yaml:2: actors.devices: entries must be cpu, cuda or cuda:N, got 'auto' in 'auto'");
  CHECK(load_error("actors:\n  devices: 'cuda:0,'\n") ==
        "bad.yaml:2: actors.devices: has an empty entry in 'cuda:0,'");
  CHECK(load_error("actors:\n  devices: [[cuda:0]]\n").find(
            "bad.yaml:2: actors.devices: expected a list of devices, got ") == 0);
  // One inference server per run: server mode cannot spread actors over devices...
  CHECK(load_error("actors:\n  inference: server\n  devices: [cuda:0, cuda:1]\n") ==
        "bad.yaml:3: actors.devices: 'cuda:0,cuda:1' names several devices, but "
        "actors.inference: server runs one inference server, on model.device; use "
        "actors.inference: lock");
  // ...but the same device twice is one device.
  CHECK(load_config_string("actors:\n  inference: server\n  devices: [cuda:1, cuda:1]\n", "x")
            .actors.inference == "server");
}

TEST_CASE("overrides from --set apply after the file and are validated", "[unit][config]") {
  const Config c = load_config_string("search:\n  simulations: 50\n", "x.yaml",
                                      {"search.simulations=80", "model.device=cpu",
                                       "evaluator.positions=a b.txt", "search.simulations=90"});
  CHECK(c.search.simulations == 90);  // later overrides win
  CHECK(c.model.device == "cpu");
  CHECK(c.evaluator.positions == "a b.txt");
  CHECK(load_error("", {"search.simulations=abc"}) ==
        "--set search.simulations=abc: search.simulations: expected an integer, got 'abc'");
  CHECK(load_error("", {"actors.count=0"}) ==
        "--set actors.count=0: actors.count: must be >= 1, got 0");
  CHECK(load_error("", {"search.simulations"}) ==
        "--set search.simulations: expected section.key=value");
  CHECK(load_error("", {"search.simulatons=3"}) ==
        "--set search.simulatons=3: search.simulatons: unknown key (did you mean "
        "'search.simulations'?)");
  CHECK(load_error("", {"simulations=3"}).find("(did you mean 'search.simulations'?)") !=
        std::string::npos);
}

TEST_CASE("load_config reads files and reports their path", "[unit][config]") {
  zp::test::TempDir dir;
  const std::string bad = write_file(dir, "bad.yaml", "search:\n  simulations: -3\n");
  try {
    load_config(bad);
    FAIL("no error");
  } catch (const zp::ConfigError& e) {
    CHECK(std::string(e.what()) == bad + ":2: search.simulations: must be >= 1, got -3");
  }
  const std::string good = write_file(dir, "good.yaml", "search:\n  simulations: 7\n");
  const Config c = load_config(good, {"search.c_puct=3"});
  CHECK(c.search.simulations == 7);
  CHECK(c.search.c_puct == 3.0f);
  CHECK(c.source == good);

  const std::string missing = dir.path() + "/x.yaml";
  try {
    load_config(missing);
    FAIL("no error");
  } catch (const zp::IoError& e) {
    CHECK(std::string(e.what()) ==
          "cannot read config file '" + missing + "': No such file or directory");
  }
  CHECK_THROWS_AS(load_config(dir.path()), zp::IoError);  // a directory
}

TEST_CASE("the shipped config files load", "[unit][config]") {
  const std::string root = zp::test::source_dir() + "/config/";
  const Config c4 = load_config(root + "connect4.yaml");
  CHECK(c4.game.name == "connect4");
  CHECK(c4.model.blocks == 4);
  CHECK(c4.model.channels == 48);
  CHECK(c4.learner.value_target_q == 0.5);  // docs/results.md: the z/q mix, 60 minutes
  // docs/results.md: one actor leaves the learner a core on 2 CPU cores, 60 minutes
  CHECK(c4.actors.count == 1);
  CHECK(c4.actors.games_per_actor == 128);
  CHECK(c4.learner.sample_reuse == 8.0);
  CHECK(c4.evaluator.every_versions == 6);
  const Config gomoku = load_config(root + "gomoku.yaml");
  CHECK(gomoku.game.name == "gomoku");
  CHECK(gomoku.game.board_size == 15);
  CHECK(gomoku.model.channels > c4.model.channels);
  CHECK(load_config(root + "tictactoe.yaml").game.name == "tictactoe");
  CHECK(load_config(root + "othello.yaml").game.name == "othello");
  const Config tiny = load_config(root + "tiny.yaml");
  CHECK(tiny.game.name == "connect4");
  CHECK(tiny.model.blocks == 1);
  CHECK(tiny.model.channels == 16);
  CHECK(tiny.search.simulations <= 32);
  CHECK(tiny.train.max_seconds > 0);
}

TEST_CASE("print_help_keys lists every key with type, default and range", "[unit][config]") {
  std::ostringstream os;
  zp::config::print_help_keys(os);
  const std::string help = os.str();
  for (const std::string& key : all_fields()) {
    INFO(key);
    CHECK(help.find("  " + key + "  (") != std::string::npos);
  }
  CHECK(help.find("search.simulations  (int, [1, 1000000]; default 200)") != std::string::npos);
  CHECK(help.find("game.name  (enum, one of: tictactoe | connect4 | gomoku | othello; default "
                  "connect4)") !=
        std::string::npos);
  CHECK(help.find("learner.lr  (double, (0, 10]; default 0.02)") != std::string::npos);
}

TEST_CASE("zeroplay config prints one-line errors and the resolved YAML", "[unit][config][binary]") {
  zp::test::TempDir dir;
  const std::string bin = zp::test::zeroplay_binary();
  struct Case {
    std::string yaml;
    std::string expected;  // after "zeroplay: error: <dir>/bad.yaml"
  };
  const std::vector<Case> cases = {
      {"search:\n  simulatons: 5\n",
       ":2: search.simulatons: unknown key (did you mean 'search.simulations'?)"},
      {"model:\n  blocks: five\n", ":2: model.blocks: expected an integer, got 'five'"},
      {"game:\n  name: connect4\nactors:\n  count: -2\n", ":4: actors.count: must be >= 1, got -2"},
      {"search:\n  simulations: 5\n   c_puct: 1\n", ":3: syntax error: illegal map value"},
  };
  for (const Case& c : cases) {
    const std::string path = write_file(dir, "bad.yaml", c.yaml);
    const auto r = zp::test::run_command(bin + " config " + path);
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output == "zeroplay: error: " + path + c.expected + "\n");  // exactly one line
  }
  const std::string missing = dir.path() + "/missing.yaml";
  auto r = zp::test::run_command(bin + " config " + missing);
  CHECK(r.exit_code == 1);
  CHECK(r.output ==
        "zeroplay: error: cannot read config file '" + missing + "': No such file or directory\n");

  const std::string tiny = zp::test::source_dir() + "/config/tiny.yaml";
  r = zp::test::run_command(bin + " config " + tiny + " --set search.simulations=abc");
  CHECK(r.exit_code == 1);
  CHECK(r.output ==
        "zeroplay: error: --set search.simulations=abc: search.simulations: "
        "expected an integer, got 'abc'\n");

  r = zp::test::run_command(bin + " config --set search.simulations=8 " + tiny);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("  simulations: 8\n") != std::string::npos);
  CHECK(load_config_string(r.output, "out.yaml").search.simulations == 8);

  r = zp::test::run_command(bin + " config --help-keys");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("search.simulations  (int") != std::string::npos);
}
