#include "tests/integration/train_support.h"

#include <exception>
#include <filesystem>

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

}  // namespace zp::test
