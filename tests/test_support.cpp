#include "tests/test_support.h"

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

namespace zp::test {
bool cuda_device_available() {
  // A device is usable when the driver lists at least one GPU.
  return std::system("nvidia-smi -L > /dev/null 2>&1") == 0;
}
}  // namespace zp::test
