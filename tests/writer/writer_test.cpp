// The writer as a real process (`zeroplay writer --run-dir DIR`, fork+exec): valid records end
// up in shards, bad ones are counted and dropped, a kill -9 mid-stream loses and duplicates
// nothing, SIGTERM flushes the open shard, and shards left by a crash are adopted.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "shared/run/files.h"
#include "shared/core/fs.h"
#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/core/fault.h"
#include "shared/core/rng.h"
#include "shared/data/record_bounds.h"
#include "shared/data/shard.h"
#include "shared/game/registry.h"
#include "shared/ipc/channel.h"
#include "shared/run/names.h"
#include "shared/run/context.h"
#include "shared/ipc/stats.h"
#include "tests/run_stats.h"
#include "tests/test_support.h"
#include "writer/manifest.h"
#include "writer/recovery.h"

namespace {

namespace fs = std::filesystem;
using namespace zp::ipc;
using namespace zp::run;
using Key = std::pair<uint32_t, uint64_t>;

// A random legal Connect Four game played to the end, as an actor would record it.
zp::data::GameRecord random_game(zp::Rng& rng, uint32_t actor, uint64_t seq) {
  static const auto game = zp::game::make_game("connect4");
  zp::data::GameRecord r;
  r.actor_id = actor;
  r.sequence = seq;
  r.model_version = static_cast<int64_t>(seq % 5);
  r.game_name = game->name();
  r.num_actions = static_cast<uint16_t>(game->num_actions());
  auto state = game->new_initial_state();
  std::vector<float> pi(game->num_actions());
  while (!state->is_terminal()) {
    const auto legal = state->legal_actions();
    std::fill(pi.begin(), pi.end(), 0.0f);
    for (auto a : legal) pi[a] = 1.0f / legal.size();
    const auto move = legal[rng.uniform_int(static_cast<uint32_t>(legal.size()))];
    r.add_position(move, pi.data());
    state->apply(move);
  }
  r.result = static_cast<int8_t>(state->returns(0));
  return r;
}

std::string encoded(const zp::data::GameRecord& r) {
  std::string b;
  zp::data::encode_record(r, &b);
  return b;
}

// A run directory prepared as the supervisor would: config.yaml, run_id, the stats block.
struct Run {
  zp::test::TempDir dir;
  RunContext ctx;
  std::unique_ptr<Stats> stats;
  pid_t writer = -1;

  Run(int shard_positions, double shard_seconds) {
    zp::config::Config cfg;
    const std::string tiny = zp::test::source_dir() + "/config/tiny.yaml";
    if (fs::exists(tiny)) cfg = zp::config::load_config(tiny);
    cfg.game.name = "connect4";
    cfg.writer.endpoint = "";
    cfg.writer.shard_positions = shard_positions;
    cfg.writer.shard_seconds = shard_seconds;
    std::ofstream(dir.path() + "/config.yaml") << zp::config::to_yaml(cfg);
    std::ofstream(dir.path() + "/run_id") << new_run_id() << "\n";
    ctx = load_run_context(dir.path());
    stats = zp::test::create_run_stats(ctx.names.stats, 2);
  }
  ~Run() {
    if (writer > 0) {
      ::kill(writer, SIGKILL);
      ::waitpid(writer, nullptr, 0);
    }
    Stats::remove(ctx.names.stats);
  }

  // fork+exec of `zeroplay writer`; waits until it has recorded its pid in the stats block.
  void start_writer() {
    const std::string out = dir.path() + "/writer.out";
    writer = ::fork();
    if (writer == 0) {
      const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const std::string bin = zp::test::zeroplay_binary();
      ::execl(bin.c_str(), "zeroplay", "writer", "--run-dir", dir.path().c_str(), nullptr);
      ::_exit(127);
    }
    REQUIRE(writer > 0);
    const double end = zp::now_s() + 20;
    while (stats->get(kWriterSlot, kPid) != writer && zp::now_s() < end && alive())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    INFO(zp::read_file(out));
    REQUIRE(stats->get(kWriterSlot, kPid) == writer);
  }

  bool alive() { return writer > 0 && ::waitpid(writer, nullptr, WNOHANG) == 0; }

  // Sends `sig` and returns the exit code (128 + signal if killed by one).
  int stop_writer(int sig, double timeout_s = 20) {
    ::kill(writer, sig);
    int status = 0;
    const double end = zp::now_s() + timeout_s;
    pid_t r = 0;
    while ((r = ::waitpid(writer, &status, WNOHANG)) == 0 && zp::now_s() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (r == 0) {
      ::kill(writer, SIGKILL);
      ::waitpid(writer, &status, 0);
    }
    writer = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Every (actor, sequence) in the shard files, with its number of copies.
  std::map<Key, int> shard_contents(uint64_t* positions = nullptr) const {
    std::map<Key, int> seen;
    if (positions) *positions = 0;
    for (const auto& e : fs::directory_iterator(ctx.shards_dir())) {
      uint64_t index;
      if (!zp::run::parse_shard_file_name(e.path().filename().string(), &index)) continue;
      zp::data::ShardInfo info;
      for (const auto& r : zp::data::read_shard(e.path().string(), &info))
        ++seen[{r.actor_id, r.sequence}];
      if (positions) *positions += info.num_positions;
    }
    return seen;
  }
};

// Polls every sender until all are drained (or the timeout); true when drained.
bool drain(std::vector<RecordSender*> senders, double timeout_s) {
  const double end = zp::now_s() + timeout_s;
  for (;;) {
    size_t pending = 0;
    for (auto* s : senders) {
      s->poll();
      pending += s->pending();
    }
    if (pending == 0) return true;
    if (zp::now_s() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

TEST_CASE("writer: valid records become shards, bad ones are rejected, kill -9 loses nothing",
          "[integration][writer]") {
  Run run(200, 0.5);
  run.start_writer();
  zp::Rng rng(42);
  RecordSender a(run.ctx.names.records, run.ctx.names.acks, 1, 2.0), b(run.ctx.names.records, run.ctx.names.acks, 2, 2.0);
  std::set<Key> sent;
  uint64_t sent_a = 0, sent_b = 0;
  auto send_both = [&](uint64_t seq) {
    a.send(seq, encoded(random_game(rng, 1, seq)));
    b.send(seq + 1000, encoded(random_game(rng, 2, seq + 1000)));
    sent.insert({1, seq});
    sent.insert({2, seq + 1000});
    ++sent_a;
    ++sent_b;
  };

  for (uint64_t s = 0; s < 20; ++s) send_both(s);
  // Bad records from a separate sender (they are never acknowledged).
  RecordSender bad(run.ctx.names.records, run.ctx.names.acks, 99, 1000.0);
  const std::string good = encoded(random_game(rng, 99, 0));
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x10;
  auto wrong_result = random_game(rng, 99, 3);
  wrong_result.result = static_cast<int8_t>(wrong_result.result == 1 ? -1 : 1);
  std::string garbage(300, '\0');
  for (auto& c : garbage) c = static_cast<char>(rng.next());
  bad.send(1, good.substr(0, good.size() - 9));  // truncated
  bad.send(2, flipped);                          // checksum no longer matches
  bad.send(3, encoded(wrong_result));            // well-formed, but disagrees with the game
  bad.send(4, garbage);
  bad.poll();

  REQUIRE(drain({&a, &b}, 30));
  const double end = zp::now_s() + 10;
  while (run.stats->get(kWriterSlot, kRecordsRejected) < 4 && zp::now_s() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(run.stats->get(kWriterSlot, kRecordsRejected) == 4);
  CHECK(run.alive());
  auto contents = run.shard_contents();
  CHECK(contents.size() == sent.size());
  for (const auto& [key, copies] : contents) {
    CHECK(sent.count(key) == 1);
    CHECK(copies == 1);
  }
  CHECK(a.acked_total() == sent_a);
  CHECK(run.stats->get(kWriterSlot, kGames) == static_cast<int64_t>(sent.size()));
  CHECK(run.stats->get(kWriterSlot, kShards) >= 1);

  // Phase 2: kill -9 while records are in flight, keep producing, restart.
  uint64_t seq = 20;
  for (int i = 0; i < 60; ++i, ++seq) {
    send_both(seq);
    a.poll();
    b.poll();
    if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(a.pending() + b.pending() > 0);  // really in flight
  CHECK(run.stop_writer(SIGKILL) == 128 + SIGKILL);
  for (int i = 0; i < 40; ++i, ++seq) {  // produced while no writer runs
    send_both(seq);
    a.poll();
    b.poll();
  }
  run.start_writer();
  for (int i = 0; i < 40; ++i, ++seq) {  // and after its restart
    send_both(seq);
    a.poll();
    b.poll();
  }
  REQUIRE(drain({&a, &b}, 60));
  CHECK(a.acked_total() == sent_a);
  CHECK(b.acked_total() == sent_b);
  uint64_t positions = 0;
  contents = run.shard_contents(&positions);
  CHECK(contents.size() == sent.size());
  int wrong = 0;
  for (const auto& [key, copies] : contents)
    if (copies != 1 || !sent.count(key)) ++wrong;
  CHECK(wrong == 0);
  const auto manifest = zp::writer::load_manifest(run.ctx.shards_dir());
  CHECK(manifest.total_records() == sent.size());
  CHECK(manifest.total_positions() == positions);
  CHECK(manifest.actors.at(1).ranges().size() == 1);  // consecutive sequences: one range
  CHECK(manifest.actors.at(2).ranges().begin()->first == 1000);

  // `zeroplay inspect` agrees that the run is sound.
  auto r = zp::test::run_command(zp::test::zeroplay_binary() + " inspect " + run.dir.path());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find(", 0 invalid") != std::string::npos);

  // Phase 3: SIGTERM is a clean exit.
  CHECK(run.alive());
  CHECK(run.stop_writer(SIGTERM) == 0);
}

TEST_CASE("writer: SIGTERM flushes the open shard and exits 0", "[integration][writer]") {
  Run run(1000000, 3600.0);  // shards close only on stop
  run.start_writer();
  zp::Rng rng(7);
  RecordSender s(run.ctx.names.records, run.ctx.names.acks, 4, 1000.0);
  for (uint64_t q = 0; q < 5; ++q) s.send(500 + q, encoded(random_game(rng, 4, 500 + q)));
  const double until = zp::now_s() + 1.5;  // let them arrive
  while (zp::now_s() < until) {
    s.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(run.shard_contents().empty());
  CHECK(run.stop_writer(SIGTERM) == 0);
  const auto contents = run.shard_contents();
  CHECK(contents.size() == 5);
  CHECK(contents.count({4, 500}) == 1);
  CHECK(contents.count({4, 504}) == 1);
  CHECK(zp::writer::load_manifest(run.ctx.shards_dir()).shards.size() == 1);
}

TEST_CASE("writer: shards left by a crash are adopted, corrupt ones quarantined",
          "[integration][writer]") {
  Run run(200, 0.5);
  zp::Rng rng(3);
  fs::create_directories(run.ctx.shards_dir());
  // A crash between a shard's rename and the manifest write leaves a shard no manifest lists.
  zp::data::ShardBuilder builder("connect4");
  for (uint64_t q = 0; q < 3; ++q) builder.add(random_game(rng, 5, q));
  builder.write(run.ctx.shards_dir() + "/shard-000000.zps");
  std::ofstream(run.ctx.shards_dir() + "/shard-000001.zps") << "not a shard at all";
  std::ofstream(run.ctx.shards_dir() + "/shard-000002.zps.tmp") << "half written";
  std::ofstream(run.ctx.shards_dir() + "/shard-000003.zps.tmp.4242.0") << "half written too";
  std::ofstream(run.ctx.shards_dir() + "/manifest.json.tmp.4242.1") << "{\"half";

  // `zeroplay inspect` flags the corrupt shard and fails.
  auto r = zp::test::run_command(zp::test::zeroplay_binary() + " inspect " + run.dir.path());
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("shard-000001.zps") != std::string::npos);
  r = zp::test::run_command(zp::test::zeroplay_binary() + " inspect " + run.ctx.shards_dir() +
                            "/shard-000000.zps");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("checksum   OK") != std::string::npos);

  run.start_writer();
  // The adopted records count as durable: a resend of one is acknowledged, not stored again.
  RecordSender s(run.ctx.names.records, run.ctx.names.acks, 5, 0.5);
  s.send(1, encoded(random_game(rng, 5, 1)));  // same key as the adopted record
  s.send(3, encoded(random_game(rng, 5, 3)));  // new
  REQUIRE(drain({&s}, 30));
  CHECK(run.stop_writer(SIGTERM) == 0);
  CHECK(fs::exists(run.ctx.shards_dir() + "/shard-000001.zps.corrupt"));
  CHECK_FALSE(fs::exists(run.ctx.shards_dir() + "/shard-000001.zps"));
  CHECK_FALSE(fs::exists(run.ctx.shards_dir() + "/shard-000002.zps.tmp"));
  CHECK_FALSE(fs::exists(run.ctx.shards_dir() + "/shard-000003.zps.tmp.4242.0"));
  CHECK_FALSE(fs::exists(run.ctx.shards_dir() + "/manifest.json.tmp.4242.1"));
  const auto contents = run.shard_contents();
  CHECK(contents.size() == 4);
  for (const auto& [key, copies] : contents) CHECK(copies == 1);
  const auto manifest = zp::writer::load_manifest(run.ctx.shards_dir());
  CHECK(manifest.shards.size() == 2);
  CHECK(manifest.shards.front().file == "shard-000000.zps");
  CHECK(manifest.next_shard >= 3);  // never reuses a name seen on disk
  CHECK(run.stats->get(kWriterSlot, kRecordsDuplicate) >= 1);
  r = zp::test::run_command(zp::test::zeroplay_binary() + " inspect " + run.dir.path());
  INFO(r.output);
  CHECK(r.exit_code == 0);
}

TEST_CASE("writer: a 60 MiB garbage message is refused at the socket and the writer keeps going",
          "[integration][writer]") {
  // The socket's message limit is the game's largest record (data::max_record_bytes, under
  // 2.1 KiB for Connect Four): ZeroMQ cuts such a peer off before the writer buffers or decodes
  // anything, so the message never counts as a rejected record, and nothing else is harmed.
  Run run(200, 0.5);
  run.start_writer();
  zp::Rng rng(11);
  RecordSender hostile(run.ctx.names.records, run.ctx.names.acks, 66, 1000.0);
  std::string garbage(60u << 20, '\0');
  for (size_t i = 0; i < garbage.size(); i += 4096) garbage[i] = static_cast<char>(rng.next());
  hostile.send(1, std::move(garbage));
  hostile.poll();
  RecordSender good(run.ctx.names.records, run.ctx.names.acks, 6, 1.0);
  for (uint64_t q = 0; q < 5; ++q) good.send(q, encoded(random_game(rng, 6, q)));
  REQUIRE(drain({&good}, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // time to process the big one
  CHECK(run.alive());
  CHECK(run.stats->get(kWriterSlot, kRecordsRejected) == 0);  // never reached the decoder
  CHECK(good.acked_total() == 5);
  CHECK(run.shard_contents().size() == 5);
  CHECK(run.stop_writer(SIGTERM) == 0);
  const std::string log = zp::read_file(run.dir.path() + "/logs/writer.log");
  const size_t limit = zp::data::max_record_bytes(*zp::game::make_game("connect4"));
  CHECK_THAT(log, Catch::Contains("messages over " + std::to_string(limit) + " bytes"));
}

TEST_CASE("writer: a failed directory fsync acknowledges nothing, and the restart loses nothing",
          "[integration][writer]") {
  // The first shard's rename cannot be made durable (fault point fs.dir_fsync): the writer
  // must stop before it acknowledges any of its records. Its successor adopts the shard and
  // acknowledges the resent records as already durable.
  Run run(200, 0.5);
  ::setenv("ZP_FAULT", "fs.dir_fsync", 1);
  run.start_writer();
  ::unsetenv("ZP_FAULT");
  zp::Rng rng(5);
  RecordSender s(run.ctx.names.records, run.ctx.names.acks, 8, 1.0);
  for (uint64_t q = 0; q < 5; ++q) s.send(q, encoded(random_game(rng, 8, q)));
  const double end = zp::now_s() + 20;
  while (run.alive() && zp::now_s() < end) {
    s.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE_FALSE(run.alive());  // died on the error (reaped by alive())
  run.writer = -1;
  for (int i = 0; i < 20; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(10)))
    s.poll();
  CHECK(s.acked_total() == 0);
  CHECK_THAT(zp::read_file(run.dir.path() + "/logs/writer.log"),
             Catch::Contains("cannot fsync directory"));

  run.start_writer();
  REQUIRE(drain({&s}, 30));
  CHECK(s.acked_total() == 5);
  const auto contents = run.shard_contents();
  CHECK(contents.size() == 5);
  for (const auto& [key, copies] : contents) CHECK(copies == 1);
  CHECK(run.stop_writer(SIGTERM) == 0);
}

TEST_CASE("writer recovery: a kill mid-recovery keeps the shards adopted so far, and beats",
          "[integration][writer]") {
  // 40 shards and no manifest (a lost manifest in a long run). The first recovery is killed at
  // its 25th adoption (fault point writer.recovery_adopted); the manifest it saved as it went
  // must already list the 24 before, so the second recovery validates only the other 16, and
  // beats its progress callback once per shard it checks.
  zp::test::TempDir dir;
  const std::string shards = dir.path() + "/shards";
  fs::create_directories(shards);
  const auto game = zp::game::make_game("connect4");
  zp::Rng rng(17);
  for (uint64_t i = 0; i < 40; ++i) {
    zp::data::ShardBuilder b("connect4");
    b.add(random_game(rng, 3, 2 * i));
    b.add(random_game(rng, 3, 2 * i + 1));
    b.write(shards + "/" + shard_file_name(i));
  }
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::setenv("ZP_FAULT", "writer.recovery_adopted:25", 1);
    zp::writer::RecoveryReport rep;
    zp::writer::RecoveryOptions opt;
    opt.save_every_s = 0;
    zp::writer::recover_manifest(shards, *game, &rep, opt);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == zp::kFaultExit);
  CHECK(zp::writer::load_manifest(shards).shards.size() == 24);

  zp::writer::RecoveryReport rep;
  zp::writer::RecoveryOptions opt;
  int beats = 0;
  opt.progress = [&beats] { ++beats; };
  const auto m = zp::writer::recover_manifest(shards, *game, &rep, opt);
  CHECK(rep.adopted == 16);
  CHECK(beats == 16);
  CHECK(m.shards.size() == 40);
  CHECK(m.total_records() == 80);
  CHECK(m.actors.at(3).ranges().size() == 1);
  CHECK(m.actors.at(3).max() == 79);
  CHECK(zp::writer::load_manifest(shards).shards.size() == 40);
}

TEST_CASE("writer: killed after a shard rename or before its ack, the restart loses and duplicates "
          "nothing", "[integration][writer]") {
  // Fault points writer.shard_renamed (the shard is in place, the manifest does not list it)
  // and writer.before_ack (durable and listed, nothing acknowledged): the successor adopts or
  // already knows the records, acknowledges the resent ones as duplicates, and stores none twice.
  for (const char* point : {"writer.shard_renamed", "writer.before_ack"}) {
    INFO(point);
    Run run(5000, 0.5);
    ::setenv("ZP_FAULT", point, 1);
    run.start_writer();
    ::unsetenv("ZP_FAULT");
    zp::Rng rng(9);
    RecordSender s(run.ctx.names.records, run.ctx.names.acks, 4, 1.0);
    for (uint64_t q = 0; q < 6; ++q) s.send(q, encoded(random_game(rng, 4, q)));
    const double end = zp::now_s() + 20;
    while (run.alive() && zp::now_s() < end) {
      s.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE_FALSE(run.alive());
    run.writer = -1;
    CHECK(s.acked_total() == 0);
    REQUIRE(run.shard_contents().size() >= 1);  // the killed writer's shard is in place

    run.start_writer();
    REQUIRE(drain({&s}, 30));
    CHECK(s.acked_total() == 6);
    const auto contents = run.shard_contents();
    CHECK(contents.size() == 6);
    for (const auto& [key, copies] : contents) CHECK(copies == 1);
    CHECK(zp::writer::load_manifest(run.ctx.shards_dir()).total_records() == 6);
    CHECK(run.stop_writer(SIGTERM) == 0);
  }
}
