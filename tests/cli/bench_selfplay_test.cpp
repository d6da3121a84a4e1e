// `zeroplay bench selfplay`: bad arguments are one-line errors before anything starts; a real
// run (tiny model, real actor processes) prints its rows, the ceiling ratio and the
// recommendation; and neither a finished nor an interrupted run leaves an actor process, a
// shared-memory object or a temporary directory behind.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/ipc/stats.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace {

std::string tiny_config() { return zp::test::source_dir() + "/config/tiny.yaml"; }

zp::test::CommandResult bench(const std::string& args, const std::string& tmpdir = "/tmp") {
  return zp::test::run_command("TMPDIR=" + tmpdir + " " + zp::test::zeroplay_binary() +
                               " bench selfplay " + tiny_config() + " " + args + " 2>&1");
}

void check_one_line_error(const zp::test::CommandResult& r, const std::string& message) {
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.rfind("zeroplay: error: " + message, 0) == 0);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
}

// Processes whose command line names `dir` (the actors of a bench under TMPDIR=dir).
int processes_naming(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string cmdline = zp::test::read_text(e.path().string() + "/cmdline");
    if (cmdline.find(dir) != std::string::npos) ++n;
  }
  return n;
}

// Stats blocks in /dev/shm whose creator (the supervisor slot's pid) is `pid`.
int stats_blocks_of(int pid) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/dev/shm")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("zp-", 0) != 0 || name.size() < 6 || name.substr(name.size() - 6) != "-stats")
      continue;
    try {
      if (zp::ipc::Stats::open(name)->get(zp::ipc::kSupervisorSlot, zp::ipc::kPid) == pid) ++n;
    } catch (const zp::Error&) {
    }
  }
  return n;
}

// The run ids of the rows a bench started, from its "starting (run ID in DIR)" lines.
std::vector<std::string> row_run_ids(const std::string& output) {
  std::vector<std::string> ids;
  const std::string mark = "starting (run ";
  for (size_t at = output.find(mark); at != std::string::npos; at = output.find(mark, at + 1))
    ids.push_back(output.substr(at + mark.size(), output.find(' ', at + mark.size()) -
                                                      (at + mark.size())));
  return ids;
}

// Shared-memory objects (stats, model store, server slots) of run `id` still in /dev/shm.
int shm_objects_of(const std::string& id) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/dev/shm"))
    n += e.path().filename().string().rfind("zp-" + id + "-", 0) == 0;
  return n;
}

// Processes, shared-memory objects and row directories the bench could have left.
void check_nothing_left(const std::string& tmpdir, int bench_pid, const std::string& output) {
  CHECK(processes_naming(tmpdir) == 0);
  CHECK(stats_blocks_of(bench_pid) == 0);
  const std::vector<std::string> ids = row_run_ids(output);
  CHECK_FALSE(ids.empty());
  for (const std::string& id : ids) {
    INFO("run " << id);
    CHECK(id.size() == 8);
    CHECK(shm_objects_of(id) == 0);
  }
  int left = 0;
  for (const auto& e : fs::directory_iterator(tmpdir)) {
    INFO(e.path().string());
    ++left;
  }
  CHECK(left == 0);
}

}  // namespace

TEST_CASE("bench selfplay refuses bad arguments in one line", "[unit]") {
  check_one_line_error(bench("--mode gpu"),
                       "bench selfplay --mode: unknown mode 'gpu' (lock or server)");
  check_one_line_error(bench("--actors 0"),
                       "bench selfplay --actors: 0 actors is out of range 1..124");
  check_one_line_error(bench("--actors 1,125"),
                       "bench selfplay --actors: 125 actors is out of range 1..124");
  check_one_line_error(bench("--seconds 0"), "bench selfplay --seconds: ");
  check_one_line_error(bench("--seconds -3"), "bench selfplay --seconds: ");
  check_one_line_error(bench("--seconds nan"), "bench selfplay --seconds: ");
  check_one_line_error(bench("--warmup -1"), "bench selfplay --warmup: ");
  check_one_line_error(bench("--games 0"),
                       "bench selfplay --games: 0 games per actor is out of range (at least 1)");
}

TEST_CASE("bench selfplay measures real actors against the ceiling and cleans up",
          "[integration]") {
  zp::test::TempDir tmp;
  const std::string out_path = tmp.path() + ".out";
  setenv("TMPDIR", tmp.path().c_str(), 1);
  zp::test::ChildProcess child(
      {zp::test::zeroplay_binary(), "bench", "selfplay", tiny_config(), "--actors", "1",
       "--games", "2,4", "--seconds", "1.5", "--warmup", "0.5", "--ceiling-seconds", "0.5",
       "--json"},
      out_path);
  unsetenv("TMPDIR");
  const int code = child.wait(180);
  const std::string output = zp::test::read_text(out_path);
  fs::remove(out_path);
  INFO(output);
  REQUIRE(code == 0);
  CHECK(output.find("[bench] lock 1 actors x 2 games: starting (run ") != std::string::npos);
  CHECK(output.find("[bench] ceiling: bench inference at batch") != std::string::npos);
  const std::string last = output.substr(output.rfind("{\"bench\""));
  const auto j = nlohmann::json::parse(last);
  REQUIRE(j["rows"].size() == 2);
  double best = 0;
  for (const auto& row : j["rows"]) {
    CHECK(row["mode"] == "lock");
    CHECK(row["actors"] == 1);
    CHECK(row["positions"].get<int64_t>() > 0);
    CHECK(row["evals_per_s"].get<double>() > 0);
    CHECK(row["mean_batch"].get<double>() >= 1.0);
    CHECK(row["mean_batch"].get<double>() <= row["games_per_actor"].get<double>() * 2);
    CHECK(row["ceiling_evals_per_s"].get<double>() > 0);
    CHECK(row["ceiling_ratio"].get<double>() > 0);
    CHECK(row["lock_wait_share"].is_null());  // no GPU lock on the CPU
    best = std::max(best, row["positions_per_s"].get<double>());
  }
  CHECK(j["rows"][0]["games_per_actor"] == 2);
  CHECK(j["rows"][1]["games_per_actor"] == 4);
  CHECK(j["recommendation"]["positions_per_s"].get<double>() == best);
  check_nothing_left(tmp.path(), child.pid(), output);
}

TEST_CASE("bench selfplay runs server mode rows: an inference server and its actors",
          "[integration]") {
  zp::test::TempDir tmp;
  const std::string out_path = tmp.path() + ".out";
  setenv("TMPDIR", tmp.path().c_str(), 1);
  zp::test::ChildProcess child(
      {zp::test::zeroplay_binary(), "bench", "selfplay", tiny_config(), "--mode", "server,lock",
       "--actors", "2", "--seconds", "1.5", "--warmup", "0.5", "--ceiling-seconds", "0.5",
       "--json"},
      out_path);
  unsetenv("TMPDIR");
  const int code = child.wait(180);
  const std::string output = zp::test::read_text(out_path);
  fs::remove(out_path);
  INFO(output);
  REQUIRE(code == 0);
  const auto j = nlohmann::json::parse(output.substr(output.rfind("{\"bench\"")));
  REQUIRE(j["rows"].size() == 2);
  const auto& server = j["rows"][0];
  CHECK(server["mode"] == "server");
  CHECK(server["positions"].get<int64_t>() > 0);
  CHECK(server["server_cpu_cores"].get<double>() > 0);  // the server ran the forward passes
  CHECK(server["mean_batch"].get<double>() >= 1.0);
  // One server batch holds at most both actors' requests (2 x 8 games x 2 leaves).
  CHECK(server["mean_batch"].get<double>() <= 32.0);
  CHECK(server["ceiling_ratio"].get<double>() > 0);
  CHECK(j["rows"][1]["mode"] == "lock");
  CHECK(j["rows"][1]["server_cpu_cores"].get<double>() == 0);
  check_nothing_left(tmp.path(), child.pid(), output);
}

TEST_CASE("bench selfplay stopped by Ctrl-C in server mode leaves no process, shm object or "
          "directory",
          "[integration]") {
  zp::test::TempDir tmp;
  const std::string out_path = tmp.path() + ".out";
  setenv("TMPDIR", tmp.path().c_str(), 1);
  zp::test::ChildProcess child({zp::test::zeroplay_binary(), "bench", "selfplay", tiny_config(),
                                "--mode", "server", "--actors", "2", "--seconds", "60"},
                               out_path);
  unsetenv("TMPDIR");
  const bool measuring = zp::test::wait_until(
      [&] { return zp::test::read_text(out_path).find("measuring") != std::string::npos; }, 120);
  INFO(zp::test::read_text(out_path));
  REQUIRE(measuring);
  CHECK(processes_naming(tmp.path()) == 3);  // the server and two actors of the row directory
  child.signal(SIGINT);
  const int code = child.wait(60);
  const std::string output = zp::test::read_text(out_path);
  fs::remove(out_path);
  INFO(output);
  CHECK(code == 1);
  CHECK(output.find("zeroplay: error: bench selfplay: interrupted") != std::string::npos);
  check_nothing_left(tmp.path(), child.pid(), output);
}
