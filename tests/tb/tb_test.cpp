// The TensorBoard event files (shared/tb): the TFRecord framing and its masked CRC-32C against
// bytes that tensorboard's own Python writer produced, our reader on truncated and corrupt
// files, and the Event encoding against tensorboard's own serialization; the scalars of a
// metrics line (tags, steps) and the event log that a write failure turns off with one warning.
#include <catch2/catch.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "shared/core/error.h"
#include "shared/core/log.h"
#include "shared/tb/event_log.h"
#include "shared/tb/event_writer.h"
#include "shared/tb/json_scalars.h"
#include "shared/tb/record_io.h"
#include "tests/test_support.h"

namespace {

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Printed by tensorboard 2.21's own code (venv python):
//   RecordWriter(io.BytesIO()).write(b"hello")
const char* kHelloFrame = "0500000000000000eab2043e68656c6c6fbb1f1c19";
//   Event(wall_time=1.5, step=7, summary=Summary(value=[Value(tag="a/b", simple_value=0.25)]))
const char* kScalarEvent = "09000000000000f83f10072a0c0a0a0a03612f62150000803e";
//   Event(wall_time=1.5, file_version="brain.Event:2")
const char* kVersionEvent = "09000000000000f83f1a0d627261696e2e4576656e743a32";

}  // namespace

TEST_CASE("tb: CRC-32C and its mask match the standard check value and tensorboard", "[unit][tb]") {
  const std::string check = "123456789";
  CHECK(zp::tb::crc32c(check.data(), check.size()) == 0xE3069283u);  // CRC-32C check value
  CHECK(zp::tb::masked_crc32c(check.data(), check.size()) == 0xc78ab0e5u);  // tensorboard's
  CHECK(zp::tb::frame_record("hello") == from_hex(kHelloFrame));
}

TEST_CASE("tb: events encode byte for byte as tensorboard's and decode back", "[unit][tb]") {
  CHECK(zp::tb::encode_scalars_event(7, 1.5, {{"a/b", 0.25}}) == from_hex(kScalarEvent));
  CHECK(zp::tb::encode_file_version_event(1.5) == from_hex(kVersionEvent));
  const zp::tb::DecodedEvent d = zp::tb::decode_event(from_hex(kScalarEvent));
  CHECK(d.step == 7);
  CHECK(d.wall_time == 1.5);
  REQUIRE(d.scalars.size() == 1);
  CHECK(d.scalars[0].tag == "a/b");
  CHECK(d.scalars[0].value == 0.25);
  CHECK(zp::tb::decode_event(from_hex(kVersionEvent)).file_version == "brain.Event:2");
  CHECK_THROWS_AS(zp::tb::decode_event("\xff\xff\xff"), zp::FormatError);
}

TEST_CASE("tb: the reader stops cleanly at a truncated or corrupt frame", "[unit][tb]") {
  const std::string a = zp::tb::frame_record("first"), b = zp::tb::frame_record("second");
  const std::string whole = a + b;
  zp::tb::ReadResult r = zp::tb::parse_records(whole);
  CHECK(r.error.empty());
  CHECK(r.records == std::vector<std::string>{"first", "second"});
  CHECK(zp::tb::parse_records("").records.empty());

  // Every cut inside the second frame keeps the first record and reports a truncation.
  for (size_t cut = a.size() + 1; cut < whole.size(); ++cut) {
    INFO("cut at " << cut);
    r = zp::tb::parse_records(std::string_view(whole).substr(0, cut));
    CHECK(r.records == std::vector<std::string>{"first"});
    CHECK(r.truncated);
    CHECK(r.error.find("record 1 at byte " + std::to_string(a.size())) == 0);
  }
  // A flipped bit in any byte of the second frame is a CRC mismatch (or, in the length, a
  // length that no longer fits), never a crash or a wrong record.
  for (size_t i = a.size(); i < whole.size(); ++i) {
    std::string bad = whole;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    r = zp::tb::parse_records(bad);
    INFO("flipped byte " << i << ": " << r.error);
    CHECK(r.records == std::vector<std::string>{"first"});
    CHECK_FALSE(r.error.empty());
  }
  std::string bad_data = whole;
  bad_data[a.size() + 12] ^= 1;
  CHECK(zp::tb::parse_records(bad_data).error == "record 1 at byte " + std::to_string(a.size()) +
                                                     ": data CRC mismatch");
  CHECK_THROWS_AS(zp::tb::read_record_file("/nonexistent/events"), zp::IoError);
}

TEST_CASE("tb: an event writer's file reads back as a version event then the scalars", "[unit][tb]") {
  zp::test::TempDir dir;
  std::string path;
  {
    zp::tb::EventWriter w(dir.path() + "/tb/status", "test");
    path = w.path();
    CHECK(std::filesystem::path(path).filename().string().rfind("events.out.tfevents.", 0) == 0);
    CHECK(w.write_scalars(3, 10.0, {{"x/one", 1.0}, {"x/third", 1.0 / 3}}));
    CHECK(w.write_scalars(5, {{"x/one", 2.0}}));
  }
  const zp::tb::ReadResult r = zp::tb::read_record_file(path);
  CHECK(r.error.empty());
  REQUIRE(r.records.size() == 3);
  CHECK(zp::tb::decode_event(r.records[0]).file_version == zp::tb::kFileVersion);
  const zp::tb::DecodedEvent e = zp::tb::decode_event(r.records[1]);
  CHECK(e.step == 3);
  CHECK(e.wall_time == 10.0);
  REQUIRE(e.scalars.size() == 2);
  CHECK(e.scalars[1].tag == "x/third");
  CHECK(e.scalars[1].value == static_cast<double>(static_cast<float>(1.0 / 3)));
  CHECK(zp::tb::decode_event(r.records[2]).step == 5);
  CHECK_THROWS_WITH(zp::tb::EventWriter("/proc/no/such/dir", "x"),
                    Catch::Contains("cannot create event directory '/proc/no/such/dir'"));
}

// --- metrics lines as scalars (json_scalars.h) and the best-effort log (event_log.h) --------

namespace {

// tag -> (step, value) of every scalar in `events`.
std::map<std::string, std::pair<int64_t, double>> by_tag(
    const std::vector<zp::tb::StepScalars>& events) {
  std::map<std::string, std::pair<int64_t, double>> out;
  for (const auto& e : events)
    for (const auto& s : e.scalars) out[s.tag] = {e.step, s.value};
  return out;
}

}  // namespace

TEST_CASE("tb: a status line's numbers become grouped tags at their steps", "[unit][tb]") {
  const std::string line =
      R"({"time":1796221331.2,"elapsed_s":15.9,"positions_per_s":356.5,)"
      R"("actor_positions_per_s":[178.25,180.5],"written_games":3,"device_busy_share":null,)"
      R"("cpu_actors":1.25,"server_queue_depth":2,"learner_step":42,"loss_policy":1.75,)"
      R"("model_version":5,"oldest_in_use":4,"rss_mb":{"writer":30.5,"learner":512},)"
      R"("staleness_steps":7,"brand_new_figure":9,"flag":true,"name":"x"})";
  const auto events = zp::tb::json_scalars(line, zp::tb::status_tag_rules());
  // Two events: the learner's tags at the learner step, the others at whole elapsed seconds.
  REQUIRE(events.size() == 2);
  CHECK(events[0].step == 15);
  CHECK(events[1].step == 42);
  const auto tags = by_tag(events);
  const std::map<std::string, std::pair<int64_t, double>> expected{
      {"status/elapsed_s", {15, 15.9}},
      {"selfplay/positions_per_s", {15, 356.5}},
      {"selfplay/actor_positions_per_s/0", {15, 178.25}},
      {"selfplay/actor_positions_per_s/1", {15, 180.5}},
      {"writer/written_games", {15, 3}},
      {"cpu/actors", {15, 1.25}},
      {"server/queue_depth", {15, 2}},
      {"learner/step", {42, 42}},
      {"learner/loss_policy", {42, 1.75}},
      {"learner/model_version", {42, 5}},
      {"selfplay/oldest_in_use", {15, 4}},
      {"memory/rss_mb/writer", {15, 30.5}},
      {"memory/rss_mb/learner", {15, 512}},
      {"learner/staleness_steps", {42, 7}},
      {"status/brand_new_figure", {15, 9}},  // an unknown field still gets a tag
  };
  CHECK(tags == expected);  // no time, no null, no bool, no string
}

TEST_CASE("tb: an eval line's Elo, matches, oracle and Pons sets go at the model's step",
          "[unit][tb]") {
  const std::string line =
      R"({"kind":"eval","time":5.5,"version":7,"step":120,"win_rate_random":0.75,)"
      R"("elo":210.5,"elo_stderr":null,"ladder":[{"player":"v7","elo":210.5}],)"
      R"("oracle_search_accuracy":0.5,"pons_policy_error_rate":{"Test_L3_R1":0.125},)"
      R"("gate_win_rate":0.6,"promoted":false})";
  const auto events = zp::tb::json_scalars(line, zp::tb::eval_tag_rules());
  REQUIRE(events.size() == 1);
  CHECK(events[0].step == 120);
  const auto tags = by_tag(events);
  const std::map<std::string, std::pair<int64_t, double>> expected{
      {"eval/version", {120, 7}},
      {"eval/step", {120, 120}},
      {"match/win_rate_random", {120, 0.75}},
      {"eval/elo", {120, 210.5}},
      {"oracle/search_accuracy", {120, 0.5}},
      {"pons/policy_error_rate/Test_L3_R1", {120, 0.125}},
      {"match/gate_win_rate", {120, 0.6}},
  };
  CHECK(tags == expected);
  CHECK_THROWS_AS(zp::tb::json_scalars("{\"torn\":", zp::tb::eval_tag_rules()), zp::FormatError);
  CHECK_THROWS_AS(zp::tb::json_scalars("[1,2]", zp::tb::eval_tag_rules()), zp::FormatError);
}

TEST_CASE("tb: an event log writes each line's events and reads back", "[unit][tb]") {
  zp::test::TempDir dir;
  zp::tb::EventLog log(dir.path() + "/tb/supervisor", "supervisor", zp::tb::status_tag_rules());
  REQUIRE(log.ok());
  CHECK(log.write_line(R"({"elapsed_s":1.5,"positions_per_s":10,"learner_step":0})"));
  CHECK(log.write_line(R"({"elapsed_s":2.5,"positions_per_s":20,"learner_step":3})"));
  const zp::tb::ReadResult r = zp::tb::read_record_file(log.path());
  CHECK(r.error.empty());
  REQUIRE(r.records.size() == 5);  // the version, then two events per line
  const zp::tb::DecodedEvent last = zp::tb::decode_event(r.records[4]);
  CHECK(last.step == 3);
  REQUIRE(last.scalars.size() == 1);
  CHECK(last.scalars[0].tag == "learner/step");
  CHECK(zp::tb::decode_event(r.records[3]).scalars.at(1).value == 20);
}

// The child of the disk-full test: a file size limit makes writes fail with EFBIG, as a full
// disk fails them with ENOSPC. Exit 0 when the log turned itself off with exactly one warning
// and never threw; otherwise a code saying what went wrong.
static int disk_full_child(const std::string& dir) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("t", sink));
  std::signal(SIGXFSZ, SIG_IGN);
  const rlimit limit{400, 400};
  if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return 10;
  try {
    zp::tb::EventLog log(dir, "full", zp::tb::status_tag_rules());
    if (!log.ok()) return 11;
    int written = 0;
    while (log.write_line(R"({"elapsed_s":1,"positions_per_s":123.5,"games":4})")) ++written;
    if (written < 1 || written > 100) return 12;
    if (log.write_line(R"({"elapsed_s":2})") || log.ok()) return 13;  // stays off
  } catch (...) {
    return 14;
  }
  const auto lines = sink->last_formatted();
  if (lines.size() != 1) return 20 + static_cast<int>(std::min<size_t>(lines.size(), 9));
  return lines[0].find("File too large") != std::string::npos ? 0 : 15;
}

TEST_CASE("tb: a write failure (file too large, disk full) is one warning, then the log is off",
          "[unit][tb]") {
  zp::test::TempDir dir;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(disk_full_child(dir.path() + "/tb"));
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 1x: see disk_full_child

  // A directory that cannot be created: one warning, no throw, the log off.
  zp::tb::EventLog off("/proc/no/such/dir", "x", zp::tb::status_tag_rules());
  CHECK_FALSE(off.ok());
  CHECK_FALSE(off.write_line(R"({"elapsed_s":1})"));
}
