// Helpers shared by tests: paths to the source tree, the zeroplay binary and the team's
// shared data, running a command and capturing its output, temporary directories.
#pragma once

#include <string>

namespace zp::test {

// The project's source root and the built zeroplay binary.
std::string source_dir();
std::string zeroplay_binary();
// ../shared/data beside the checkout; empty when absent (tests then skip with a message).
std::string shared_data_dir();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs `command` through /bin/sh, feeding `input` on stdin.
CommandResult run_command(const std::string& command, const std::string& input = "");

// A fresh directory under /tmp, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Whether a CUDA device can be used (false on machines without one).
bool cuda_device_available();

}  // namespace zp::test
