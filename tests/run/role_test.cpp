// The one role start-up path (shared/run/role.h), through the real binary: every role logs
// its resolved config once and, when it cannot start, writes the fatal error to its own log
// before it exits, so the supervisor's "see logs/<role>.log" points at the cause.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "tests/test_support.h"

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("roles: a start-up failure lands in the role's own log, after the resolved config",
          "[unit][run][binary]") {
  zp::test::TempDir dir;
  // A run directory the supervisor never started: config and run id, but no shared memory,
  // so opening the stats block fails after the log is open.
  const std::string config = zp::test::read_text(zp::test::source_dir() + "/config/tiny.yaml");
  REQUIRE(!config.empty());
  std::ofstream(dir.path() + "/config.yaml") << config;
  std::ofstream(dir.path() + "/run_id") << "0badf00d\n";
  for (const std::string role : {"writer", "learner", "evaluator", "actor"}) {
    INFO(role);
    const std::string log_name = role == "actor" ? "actor-0" : role;
    const std::string extra = role == "actor" ? " --index 0" : "";
    const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " " + role +
                                         " --run-dir " + dir.path() + extra + " 2>&1");
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("zeroplay: error: ") != std::string::npos);
    const std::string log = zp::test::read_text(dir.path() + "/logs/" + log_name + ".log");
    CHECK(count(log, "resolved config") == 1);
    CHECK(count(log, "fatal: ") == 1);
    CHECK(log.find("zp-0badf00d-stats") != std::string::npos);  // names what it could not open
  }
}

TEST_CASE("roles: an actor index out of range is a one-line user error", "[unit][run][binary]") {
  zp::test::TempDir dir;
  std::ofstream(dir.path() + "/config.yaml")
      << zp::test::read_text(zp::test::source_dir() + "/config/tiny.yaml");
  std::ofstream(dir.path() + "/run_id") << "0badf00d\n";
  for (const char* index : {"-1", "500"}) {
    const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " actor --run-dir " +
                                         dir.path() + " --index " + index + " 2>&1");
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("actor --index " + std::string(index) + " is out of range") !=
          std::string::npos);
  }
}
