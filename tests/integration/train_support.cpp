#include "tests/integration/train_support.h"

#include <exception>
#include <filesystem>
#include <fstream>

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

}  // namespace zp::test
