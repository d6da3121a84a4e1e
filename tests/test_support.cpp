#include "tests/test_support.h"

#include "shared/core/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace zp::test {

std::string source_dir() { return ZP_SOURCE_DIR; }
std::string zeroplay_binary() { return ZP_BINARY; }

std::string shared_data_dir() {
  const char* env = std::getenv("ZP_SHARED_DATA");
  std::string dir = env ? env : source_dir() + "/../shared/data";
  struct stat st;
  return stat(dir.c_str(), &st) == 0 ? dir : "";
}

std::string require_shared_data() {
  const std::string dir = shared_data_dir();
  if (!dir.empty()) return dir;
  const std::string why = "../shared/data not found beside the checkout (set ZP_SHARED_DATA)";
  if (std::getenv("ZP_CTEST") != nullptr) {
    // ctest runs one test case per process and reads this code as Skipped.
    std::printf("SKIPPED: %s\n", why.c_str());
    std::fflush(stdout);
    std::_Exit(kSkipExitCode);
  }
  std::fprintf(stderr, "warning: %s; this test does nothing\n", why.c_str());
  return "";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

CommandResult run_command(const std::string& command, const std::string& input) {
  TempDir tmp;
  const std::string in_path = tmp.path() + "/stdin", out_path = tmp.path() + "/out";
  {
    std::ofstream in(in_path);
    in << input;
  }
  const std::string full = "(" + command + ") < " + in_path + " > " + out_path + " 2>&1";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream out(out_path);
  r.output.assign(std::istreambuf_iterator<char>(out), std::istreambuf_iterator<char>());
  return r;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/zeroplay-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace zp::test


#include <csignal>
#include <chrono>
#include <fcntl.h>
#include <thread>

namespace zp::test {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& output_path) {
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(10);
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool ChildProcess::running() {
  if (exit_code_ >= 0) return false;
  int status;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

int ChildProcess::wait(double timeout_s) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_code_;
}

bool wait_until(const std::function<bool()>& cond, double timeout_s) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return cond();
}

int free_tcp_port() { return free_local_tcp_port(); }  // one helper: shared/core/net.h

}  // namespace zp::test
