// Helpers shared by tests: paths to the source tree, the zeroplay binary and the team's
// shared data, running a command and capturing its output, temporary directories.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace zp::test {

// The project's source root and the built zeroplay binary.
std::string source_dir();
std::string zeroplay_binary();
// ../shared/data beside the checkout (or $ZP_SHARED_DATA); empty when absent.
std::string shared_data_dir();
// ctest's skip code (SKIP_RETURN_CODE in tests/CMakeLists.txt).
constexpr int kSkipExitCode = 77;
// For tests that need ../shared/data: its path when present. When absent, under ctest
// (ZP_CTEST set) the process exits with kSkipExitCode, which ctest reports as Skipped;
// run by hand, it warns and returns "" (the test then returns early).
std::string require_shared_data();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// The whole text of a file, or "" if it cannot be read (for logs a test prints or scans).
std::string read_text(const std::string& path);

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

// A child process started with fork + exec, its stdout and stderr going to `output_path`.
// Killed with SIGKILL when the object dies while it still runs.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& output_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  int pid() const { return pid_; }
  void signal(int sig);
  // Waits up to `timeout_s`; returns the exit code (128 + signal if killed), or -1 on timeout.
  int wait(double timeout_s);
  bool running();

 private:
  int pid_ = -1;
  int exit_code_ = -1;
};

// Polls `cond` every 100 ms for up to `timeout_s`; returns whether it became true.
bool wait_until(const std::function<bool()>& cond, double timeout_s);

// A tcp port on 127.0.0.1 that was free a moment ago (and the next one, for acks, usually is).
int free_tcp_port();

// Whether a CUDA device can be used (false on machines without one).
bool cuda_device_available();

}  // namespace zp::test
