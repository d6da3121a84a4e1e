// What the `zeroplay train` supervisor tells its user, through the real binary on
// config/tiny.yaml: why it gave up on a role, the run's elapsed time in `zeroplay status`,
// rates that start from resumed counters, and what it waits for while it stops. Short runs
// (a few seconds of training, the evaluator off).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "shared/ipc/stats.h"
#include "shared/run/context.h"
#include "tests/integration/train_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using zp::test::ChildProcess;
using zp::test::attach;
using zp::test::wait_until;

namespace {

// `zeroplay train config/tiny.yaml --run-dir RUN` without the evaluator, plus `extra`.
std::unique_ptr<ChildProcess> start_train(const std::string& run_dir,
                                          std::vector<std::string> extra) {
  extra.insert(extra.begin(), {"--set", "evaluator.enabled=false"});
  return zp::test::start_train(run_dir, extra);
}

// The status lines of metrics.jsonl, in order.
std::vector<nlohmann::json> status_lines(const std::string& run_dir) {
  std::vector<nlohmann::json> out;
  std::ifstream in(run_dir + "/metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("steps_per_s")) out.push_back(std::move(j));
  }
  return out;
}

// A forked tracer (ptrace) that stops `pid` and holds back its exit from its parent until the
// tracer is killed: to the supervisor the process outlives SIGKILL, as one stuck in the kernel
// (D state) does. Returns the tracer's pid, or -1 if it could not attach.
pid_t hold_with_tracer(pid_t pid) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  const pid_t tracer = ::fork();
  if (tracer == 0) {
    const char ok = ::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) == 0 ? 'y' : 'n';
    ::kill(pid, SIGSTOP);
    (void)!::write(ready[1], &ok, 1);
    for (;;) ::pause();
  }
  char ok = 'n';
  if (tracer < 0 || ::read(ready[0], &ok, 1) != 1 || ok != 'y') return -1;
  return tracer;
}

// Kills the tracer, which hands the held process's exit to its parent.
void release_tracer(pid_t tracer) {
  ::kill(tracer, SIGKILL);
  ::waitpid(tracer, nullptr, 0);
}

bool output_matches(const std::string& path, const std::regex& re) {
  const std::string text = zp::test::read_text(path);
  return std::regex_search(text, re);
}

}  // namespace

TEST_CASE("giving up on a role prints the last error lines of its log and .out",
          "[integration][supervisor]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  // The writer cannot bind this endpoint (its directory does not exist): it fails at start-up
  // every time. An ipc endpoint, so that no hub starts (it would fail the same way on a tcp
  // one, and whichever of the two crashed 5 times first would be the one given up on).
  auto train = start_train(run, {"--set", "writer.endpoint=ipc:///nonexistent-zp-dir/records",
                                 "--set",
                                 "actors.count=1", "--set", "writer.shard_seconds=0.5",
                                 "--set", "train.max_seconds=0"});
  const int rc = train->wait(120);
  const std::string out = zp::test::read_text(run + ".out");
  INFO(out);
  CHECK(rc == 1);
  CHECK(out.find("zeroplay: error: giving up: writer crashed 5 times") != std::string::npos);
  CHECK(std::regex_search(out, std::regex("\n  last error in writer\\.log: [^\n]*\\[writer\\] "
                                          "critical fatal: cannot bind "
                                          "ipc:///nonexistent-zp-dir/records")));
  CHECK(std::regex_search(out, std::regex("\n  last error in writer\\.out: zeroplay: error: "
                                          "cannot bind ipc:///nonexistent-zp-dir/records")));
}

TEST_CASE("zeroplay status shows the run's elapsed time", "[integration][supervisor]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "actors.count=1", "--set", "train.max_seconds=8"});
  REQUIRE(attach(run));
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " status " + run +
                                       " --seconds 0.5");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex("^\\[ *(\\d+)s\\] pos/s")));
  const int elapsed = std::stoi(m[1]);
  CHECK(elapsed >= 4);
  CHECK(elapsed < 60);
  // One line per process with the resident memory it published (its heartbeat does).
  const std::string rss = "rss \\d+ MiB \\(anon \\d+\\)";
  CHECK(std::regex_search(r.output, std::regex("\n  supervisor pid \\d+ " + rss + "\n")));
  for (const char* role : {"writer", "learner"})  // start_train turns the evaluator off
    CHECK(std::regex_search(r.output, std::regex(std::string("\n  ") + role +
                                                 " pid \\d+ starts 1 " + rss + " heartbeat")));
  CHECK(std::regex_search(r.output, std::regex("\n  actor-0 pid \\d+ starts 1 model v\\d+ "
                                               "positions \\d+ pending \\d+ " + rss)));
  CHECK(train->wait(90) == 0);
  // metrics.jsonl: every role's memory, and the learner's staleness once it trained (never
  // negative in a fresh run: every version was published at or before the current step).
  const std::vector<nlohmann::json> lines = status_lines(run);
  REQUIRE_FALSE(lines.empty());
  const nlohmann::json& last = lines.back();
  INFO(last.dump());
  for (const char* key : {"rss_mb_actors", "rss_mb_learner", "rss_mb_writer",
                          "rss_mb_supervisor", "anon_mb_learner", "anon_mb_writer"})
    CHECK(last.at(key).get<double>() > 1.0);
  CHECK(last.at("rss_mb_evaluator").is_null());  // no evaluator in this run
  REQUIRE(last.at("rss_mb_actor").size() == 1);
  if (last.at("learner_step").get<int64_t>() > 0) {  // it trained (a loaded machine may not)
    REQUIRE(last.at("staleness_steps").is_number());
    CHECK(last.at("staleness_steps").get<double>() >= 0.0);
  }
}

TEST_CASE("after --resume, rates start from the resumed counters", "[integration][supervisor]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  REQUIRE(start_train(run, {"--set", "train.max_seconds=8"})->wait(90) == 0);
  const size_t first_run = status_lines(run).size();
  REQUIRE(first_run > 0);
  const int64_t resumed_step = status_lines(run).back().at("learner_step").get<int64_t>();
  INFO("resumed from step " << resumed_step);
  REQUIRE(resumed_step >= 20);

  std::vector<std::string> argv{zp::test::zeroplay_binary(), "train", "--resume", "--run-dir",
                                run, "--set", "train.max_seconds=5"};
  REQUIRE(ChildProcess(argv, run + ".out").wait(90) == 0);
  const std::vector<nlohmann::json> lines = status_lines(run);
  REQUIRE(lines.size() > first_run);
  // Steps the rates account for over the resumed run: the sum of rate x interval.
  double counted = 0, prev_elapsed = 0;
  for (size_t i = first_run; i < lines.size(); ++i) {
    const double elapsed = lines[i].at("elapsed_s").get<double>();
    counted += lines[i].at("steps_per_s").get<double>() * (elapsed - prev_elapsed);
    prev_elapsed = elapsed;
  }
  const int64_t made = lines.back().at("learner_step").get<int64_t>() - resumed_step;
  INFO(zp::test::read_text(run + ".out"));
  INFO("steps made after the resume " << made << ", counted by the rates " << counted);
  CHECK(made >= 0);
  // Counting the resumed steps as progress would add resumed_step to `counted`.
  CHECK(counted < made + resumed_step / 2.0);
}

TEST_CASE("while stopping, the supervisor says what it waits for",
          "[integration][supervisor]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "train.max_seconds=6"});
  auto stats = attach(run);
  REQUIRE(stats);
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(wait_until(
      [&] { return stats->get(zp::ipc::kWriterSlot, zp::ipc::kPositions) > 0; }, 60));
  // A stalled writer: the actors cannot get their records acknowledged while they stop.
  const pid_t writer = static_cast<pid_t>(stats->get(zp::ipc::kWriterSlot, zp::ipc::kPid));
  REQUIRE(writer > 0);
  struct Resume {
    pid_t pid;
    ~Resume() { kill(pid, SIGCONT); }
  } resume{writer};
  kill(writer, SIGSTOP);
  const std::regex waiting(
      "\\[supervisor\\] stopping for \\d+ s: waiting for [^\n]*actor-\\d draining \\d+ "
      "unacknowledged records");
  const bool said = wait_until([&] { return output_matches(run + ".out", waiting); }, 30);
  kill(writer, SIGCONT);
  CHECK(said);
  CHECK(train->wait(90) == 0);
}

TEST_CASE("train --resume with a changed optimizer or model shape is one error naming the key",
          "[integration][supervisor]") {
  // A run directory as a finished run leaves it (its config is what matters here): resuming it
  // with another optimizer or shape must stop before anything starts, and leave it unchanged.
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  fs::create_directories(run);
  const std::string tiny = zp::test::source_dir() + "/config/tiny.yaml";
  auto r = zp::test::run_command(zp::test::zeroplay_binary() + " config " + tiny + " > " + run +
                                 "/config.yaml");
  REQUIRE(r.exit_code == 0);
  const std::string saved = zp::test::read_text(run + "/config.yaml");
  const std::string resume = "timeout 60 " + zp::test::zeroplay_binary() +
                             " train --resume --run-dir " + run +
                             " --set evaluator.enabled=false --set train.max_seconds=1 ";
  r = zp::test::run_command(resume + "--set learner.optimizer=adam 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("zeroplay: error: --resume: learner.optimizer is 'sgd' in " +
                                       run + "/config.yaml, 'adam' now"));
  r = zp::test::run_command(resume + "--set model.channels=32 --set model.blocks=2 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("model.blocks is '1' in"));
  CHECK_THAT(r.output, Catch::Contains("model.channels is '16' in"));
  CHECK(zp::test::read_text(run + "/config.yaml") == saved);
  CHECK_FALSE(fs::exists(run + "/logs/supervisor.log"));  // nothing started
}

TEST_CASE("a role restarts after the zeroplay binary on disk was replaced",
          "[integration][supervisor]") {
  // A rebuild replaces the binary the supervisor was started from. Restarts must go through
  // /proc/self/exe (the supervisor's own, still running image), not through the path: here the
  // path ends up naming a script that fails, as a half-finished or incompatible build would.
  zp::test::TempDir tmp;
  const std::string bin = tmp.path() + "/zeroplay", run = tmp.path() + "/run";
  fs::copy_file(zp::test::zeroplay_binary(), bin);
  ChildProcess train({bin, "train", zp::test::source_dir() + "/config/tiny.yaml", "--run-dir", run,
                      "--set", "evaluator.enabled=false", "--set", "actors.count=1"},
                     run + ".out");
  auto stats = attach(run);
  REQUIRE(stats);
  const int slot = zp::ipc::kFirstActorSlot;
  auto live_pid = [&] {
    const auto pid = static_cast<pid_t>(stats->get(slot, zp::ipc::kPid));
    return pid > 0 && ::kill(pid, 0) == 0 ? pid : 0;
  };
  REQUIRE(wait_until([&] { return live_pid() != 0; }, 60));
  const pid_t old = live_pid();
  fs::remove(bin);
  std::ofstream(bin) << "#!/bin/sh\nexit 3\n";
  fs::permissions(bin, fs::perms::owner_all);
  ::kill(old, SIGKILL);
  const bool restarted = wait_until([&] {
    const pid_t now = live_pid();
    return now != 0 && now != old;
  }, 60);
  INFO(zp::test::read_text(run + ".out"));
  CHECK(restarted);
  CHECK(stats->get(slot, zp::ipc::kStarts) == 2);  // one restart, not a crash loop
  train.signal(SIGINT);
  CHECK(train.wait(120) == 0);
}

TEST_CASE("a role that does not exit after SIGKILL is reported once, not every tick",
          "[integration][supervisor]") {
  // A tracer (ptrace) stops the actor, so its heartbeat stops, and holds back its exit from
  // the supervisor until the tracer dies: to the supervisor it is a process that outlives
  // SIGKILL, as one stuck in the kernel (D state) does. It must kill it once and say once
  // that it is still there; it used to kill it and log so every 100 ms.
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "actors.count=1", "--set",
                                 "monitor.heartbeat_timeout_s=20"});
  auto stats = attach(run);
  REQUIRE(stats);
  const int slot = zp::ipc::kFirstActorSlot;
  auto live_pid = [&] {
    const auto pid = static_cast<pid_t>(stats->get(slot, zp::ipc::kPid));
    return pid > 0 && ::kill(pid, 0) == 0 ? pid : 0;
  };
  const bool started = wait_until([&] { return live_pid() != 0; }, 60);
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(started);
  const pid_t actor = live_pid();
  const pid_t tracer = hold_with_tracer(actor);
  REQUIRE(tracer > 0);
  const std::string log = run + "/logs/supervisor.log";
  const bool reported = wait_until([&] {
    return zp::test::read_text(log).find("has not exited") != std::string::npos;
  }, 30);
  release_tracer(tracer);
  const std::string text = zp::test::read_text(log);
  INFO(text);
  CHECK(reported);
  size_t kills = 0;
  for (size_t at = 0; (at = text.find("sent no heartbeat", at)) != std::string::npos; ++at) ++kills;
  CHECK(kills == 1);
  CHECK(wait_until([&] { return live_pid() != 0 && live_pid() != actor; }, 60));
  train->signal(SIGINT);
  CHECK(train->wait(120) == 0);
}

TEST_CASE("stopping does not wait forever for a role that outlives SIGKILL",
          "[integration][supervisor]") {
  // The actor is held (hold_with_tracer) when the run is stopped: SIGTERM does nothing, the
  // SIGKILL after the actors' stop timeout does not make it exit either. The supervisor must
  // say so and finish the stop (writer, learner) instead of blocking in waitpid for good.
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "actors.count=1"});
  auto stats = attach(run);
  REQUIRE(stats);
  const int slot = zp::ipc::kFirstActorSlot;
  const bool started = wait_until([&] {
    const auto pid = static_cast<pid_t>(stats->get(slot, zp::ipc::kPid));
    return pid > 0 && ::kill(pid, 0) == 0;
  }, 60);
  REQUIRE(started);
  const auto actor = static_cast<pid_t>(stats->get(slot, zp::ipc::kPid));
  const pid_t tracer = hold_with_tracer(actor);
  REQUIRE(tracer > 0);
  train->signal(SIGINT);
  const int code = train->wait(90);  // actors' stop timeout (shard_seconds + 20 s) and more
  release_tracer(tracer);
  const std::string out = zp::test::read_text(run + ".out");
  INFO(out);
  CHECK(code == 0);
  CHECK_THAT(out, Catch::Contains("actor-0 (pid " + std::to_string(actor) +
                                  ") has not exited 5 s after SIGKILL"));
}
