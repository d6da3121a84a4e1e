#include "tests/integration/train_support.h"

#include <catch2/catch.hpp>
#include <exception>
#include <filesystem>
#include <fstream>

#include "shared/arena/json_line.h"
#include "shared/data/shard.h"
#include "shared/run/context.h"

namespace zp::test {

std::unique_ptr<ChildProcess> start_train(const std::string& run_dir,
                                          const std::vector<std::string>& extra) {
  std::vector<std::string> argv{zeroplay_binary(), "train", source_dir() + "/config/tiny.yaml",
                                "--run-dir", run_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(argv, run_dir + ".out");
}

std::unique_ptr<ipc::Stats> attach(const std::string& run_dir) {
  std::unique_ptr<ipc::Stats> stats;
  wait_until(
      [&] {
        try {
          if (!std::filesystem::exists(run_dir + "/run_id")) return false;
          stats = ipc::Stats::open(run::load_run_context(run_dir).names.stats);
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      60);
  return stats;
}

std::set<RecordKey> read_ack_logs(const std::string& dir) {
  std::set<RecordKey> acked;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path());
    uint32_t actor = 0;
    uint64_t seq = 0;
    while (in >> actor >> seq) acked.insert({actor, seq});
  }
  return acked;
}

std::map<RecordKey, int> shard_records(const std::string& run_dir) {
  std::map<RecordKey, int> copies;
  for (const auto& e : std::filesystem::directory_iterator(run_dir + "/shards")) {
    if (e.path().extension() != ".zps") continue;
    for (const auto& r : data::read_shard(e.path().string())) ++copies[{r.actor_id, r.sequence}];
  }
  return copies;
}

double arena_win_rate(const std::string& config, const std::string& a, const std::string& b,
                      int games, int sims, int seed, int opening_plies) {
  const std::string cmd = zeroplay_binary() + " eval arena --config " + config + " --a " + a +
                          " --b " + b + " --games " + std::to_string(games) + " --sims " +
                          std::to_string(sims) + " --seed " + std::to_string(seed) +
                          " --opening-plies " + std::to_string(opening_plies) + " 2>&1";
  const auto r = run_command(cmd);
  INFO(cmd << "\n" << r.output);
  REQUIRE(r.exit_code == 0);
  const size_t brace = r.output.rfind('{');
  REQUIRE(brace != std::string::npos);
  const std::string last = r.output.substr(brace);
  const auto fields = arena::parse_json_object(last.substr(0, last.find('\n')));
  REQUIRE(fields.has_value());
  return fields->at("win_rate").get<double>();
}

}  // namespace zp::test
