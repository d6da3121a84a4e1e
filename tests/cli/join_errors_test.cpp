// `zeroplay join` tried as a new user would (issue 12): a wrong endpoint, a host name that
// does not resolve, a missing key file, a bad actor count and bad or missing devices are each
// one error line and exit 1, before anything is made; a head that is not there gives the
// "waiting for head" line, and Ctrl-C then stops the host cleanly, with no crash and no
// shared memory left.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "shared/ipc/curve_keys.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace {

zp::test::CommandResult join(const std::string& args) {
  return zp::test::run_command(zp::test::zeroplay_binary() + " join " + args + " 2>&1");
}

void check_one_line_error(const zp::test::CommandResult& r, const std::string& message) {
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.rfind("zeroplay: error: " + message, 0) == 0);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
}

// A keys folder a host would get: the run's client pair and writer.public.
std::string make_keys(const std::string& dir) {
  const std::string keys = dir + "/keys";
  zp::ipc::ensure_curve_keys(keys);
  fs::remove(keys + "/writer.secret");
  return keys;
}

}  // namespace

TEST_CASE("join: bad arguments are one error line each, and nothing is made",
          "[unit][join][binary]") {
  zp::test::TempDir tmp;
  const std::string keys = make_keys(tmp.path());
  const std::string run = " --run-dir " + tmp.path() + "/host";
  const std::string head = "tcp://127.0.0.1:" + std::to_string(zp::test::free_tcp_port());
  check_one_line_error(join("udp://127.0.0.1:7700 --keys " + keys + run),
                       "join: ENDPOINT must be the head's writer.endpoint as tcp://HOST:PORT");
  check_one_line_error(join("tcp://no-such-host.invalid:7700 --keys " + keys + run),
                       "join: ");
  const zp::test::CommandResult unresolved =
      join("tcp://no-such-host.invalid:7700 --keys " + keys + run);
  CHECK(unresolved.output.find("no-such-host.invalid") != std::string::npos);
  // A missing key file is named.
  fs::create_directories(tmp.path() + "/empty");
  const zp::test::CommandResult no_keys = join(head + " --keys " + tmp.path() + "/empty" + run);
  check_one_line_error(no_keys, "");
  CHECK(no_keys.output.find(tmp.path() + "/empty/") != std::string::npos);
  check_one_line_error(join(head + " --keys " + keys + " --actors 0" + run),
                       "join: --actors must be 1..");
  check_one_line_error(join(head + " --keys " + keys + " --devices gpu1" + run),
                       "join: --devices: 'gpu1' is not a device");
  check_one_line_error(join(head + " --keys " + keys + " --devices cpu,,cpu" + run),
                       "join: --devices must list cpu, cuda or cuda:N, got 'cpu,,cpu'");
  check_one_line_error(join(head + " --keys " + keys + " --devices cuda:99" + run),
                       "join: --devices: 'cuda:99' asked for, but this machine has ");
  CHECK_FALSE(fs::exists(tmp.path() + "/host"));
}

TEST_CASE("join: a head that is not there gives the waiting line, and Ctrl-C stops cleanly",
          "[unit][join][binary]") {
  zp::test::TempDir tmp;
  const std::string keys = make_keys(tmp.path());
  const std::string out = tmp.path() + "/join.out";
  const std::string head = "tcp://127.0.0.1:" + std::to_string(zp::test::free_tcp_port());
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::string cmd = "exec " + zp::test::zeroplay_binary() + " join " + head +
                            " --keys " + keys + " --run-dir " + tmp.path() + "/host > " + out +
                            " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  bool waiting = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    waiting = zp::test::read_text(out).find("waiting for head at " + head) != std::string::npos;
  }
  kill(pid, SIGINT);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 150 && !exited; ++i) {
    exited = waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  INFO(zp::test::read_text(out));
  CHECK(waiting);
  REQUIRE(exited);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) < 2);  // 0, or 1 with its one line: never a crash
  const std::string text = zp::test::read_text(out);
  CHECK(text.find("internal error") == std::string::npos);
  CHECK(text.find("terminate called") == std::string::npos);
}
