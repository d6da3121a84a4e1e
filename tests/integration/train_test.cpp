// End-to-end runs of `zeroplay train` on the tiny Connect Four config: real processes,
// real shared memory, real sockets. Tagged [integration].
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "shared/data/record.h"
#include "shared/data/shard.h"
#include "shared/game/registry.h"
#include "shared/ipc/channel.h"
#include "shared/ipc/curve_keys.h"
#include "shared/run/context.h"
#include "shared/run/names.h"
#include "shared/ipc/stats.h"
#include "tests/integration/train_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using zp::test::ChildProcess;
using zp::test::attach;
using zp::test::start_train;
using zp::test::wait_until;

namespace {

// The last line of the run's metrics.jsonl (the final status line), as JSON.
nlohmann::json last_metrics_line(const std::string& run) {
  std::string last, line;
  std::ifstream metrics(run + "/metrics.jsonl");
  while (std::getline(metrics, line)) last = line;
  INFO("last metrics line: " << last);
  nlohmann::json j = nlohmann::json::parse(last, nullptr, false);
  REQUIRE(j.is_object());
  return j;
}

// A non-negative integer field of a metrics line.
long count_field(const nlohmann::json& j, const char* key) {
  INFO(key << " in " << j.dump());
  REQUIRE(j.contains(key));
  REQUIRE(j.at(key).is_number_unsigned());
  return j.at(key).get<long>();
}

// Every record in the run's shards; fails the test on an invalid shard or a duplicate.
size_t count_records(const std::string& run_dir) {
  std::set<std::pair<uint32_t, uint64_t>> seen;
  for (const auto& e : fs::directory_iterator(run_dir + "/shards")) {
    if (e.path().extension() != ".zps") continue;
    const auto records = zp::data::read_shard(e.path().string());
    for (const auto& r : records) {
      INFO("duplicate record actor " << r.actor_id << " seq " << r.sequence);
      CHECK(seen.insert({r.actor_id, r.sequence}).second);
    }
  }
  return seen.size();
}

bool shm_objects_left(const std::string& run_id) {
  for (const auto& e : fs::directory_iterator("/dev/shm"))
    if (e.path().filename().string().find("zp-" + run_id) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("train runs, publishes, switches models, stops cleanly and resumes",
          "[integration][train]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "actors.count=2", "--set", "train.max_seconds=0"});
  auto stats = attach(run);
  REQUIRE(stats);
  const std::string run_id = zp::run::load_run_context(run).names.run_id;

  // Positions flow, at least 3 versions are published, every actor moves past its first one.
  const bool ok = wait_until(
      [&] {
        if (stats->get(zp::ipc::kLearnerSlot, zp::ipc::kModelVersion) < 3) return false;
        if (stats->get(zp::ipc::kWriterSlot, zp::ipc::kPositions) == 0) return false;
        for (int a = 0; a < 2; ++a) {
          const int slot = zp::ipc::kFirstActorSlot + a;
          if (stats->get(slot, zp::ipc::kModelVersion) <=
              stats->get(slot, zp::ipc::kModelVersionStart))
            return false;
        }
        return true;
      },
      240);
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(ok);
  stats.reset();

  train->signal(SIGINT);
  REQUIRE(train->wait(120) == 0);
  CHECK_FALSE(shm_objects_left(run_id));

  // The final metrics line: what the actors sent equals what the writer made durable, and
  // equals what the shards hold.
  const nlohmann::json last = last_metrics_line(run);
  const long sent = count_field(last, "games"), written = count_field(last, "written_games");
  CHECK(sent > 0);
  CHECK(written == sent);
  CHECK(count_records(run) == static_cast<size_t>(written));
  const std::string out = zp::test::read_text(run + ".out");
  CHECK(out.find("pos/s") != std::string::npos);

  // Resume: the learner continues from its last step.
  const long step = count_field(last, "learner_step");
  CHECK(step > 0);
  auto resumed = start_train(run, {"--resume", "--set", "train.max_seconds=25"});
  CHECK(resumed->wait(180) == 0);
  const std::string log = zp::test::read_text(run + "/logs/learner.log");
  CHECK(log.find("resuming from step") != std::string::npos);
  CHECK(count_field(last_metrics_line(run), "learner_step") > step);
}

TEST_CASE("a non-empty run directory is refused without --resume", "[integration][train]") {
  zp::test::TempDir tmp;
  std::ofstream(tmp.path() + "/something") << "x";
  const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " train " +
                                       zp::test::source_dir() + "/config/tiny.yaml --run-dir " +
                                       tmp.path());
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("not empty") != std::string::npos);
}

TEST_CASE("a second train on a running run directory is refused, naming the holder's pid",
          "[integration][train]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "train.max_seconds=0", "--set",
                                 "evaluator.enabled=false"});
  auto stats = attach(run);
  REQUIRE(stats);
  const std::string config_before = zp::test::read_text(run + "/config.yaml");
  const std::string run_id_before = zp::test::read_text(run + "/run_id");
  // `--resume` while the first supervisor still runs: one line naming the pid, at once, and
  // nothing in the directory touched.
  const auto r = zp::test::run_command(zp::test::zeroplay_binary() + " train --resume --run-dir " +
                                       run + " --set train.max_seconds=5 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output == "zeroplay: error: run directory " + run +
                        " is in use by another zeroplay train (pid " +
                        std::to_string(train->pid()) +
                        "); stop it first, or pick another --run-dir\n");
  CHECK(zp::test::read_text(run + "/config.yaml") == config_before);
  CHECK(zp::test::read_text(run + "/run_id") == run_id_before);
  CHECK(train->running());
  train->signal(SIGINT);
  CHECK(train->wait(120) == 0);
  // Once the first one has stopped, the directory is free again.
  const auto again = zp::test::run_command(zp::test::zeroplay_binary() +
                                           " train --resume --run-dir " + run +
                                           " --set train.max_seconds=2 2>&1");
  INFO(again.output);
  CHECK(again.exit_code == 0);
}

TEST_CASE("kill -9 of an actor holding the GPU lock, the writer and the learner",
          "[integration][fault]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run", acks = tmp.path() + "/acks";
  fs::create_directories(acks);
  ::setenv("ZP_ACK_LOG", acks.c_str(), 1);  // every actor logs what it was acknowledged
  auto train = start_train(run, {"--set", "actors.count=2", "--set", "actors.gpu_lock=on",
                                 "--set", "train.max_seconds=0", "--set",
                                 "monitor.interval_s=1"});
  ::unsetenv("ZP_ACK_LOG");
  auto stats = attach(run);
  REQUIRE(stats);
  const auto ctx = zp::run::load_run_context(run);
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(wait_until([&] { return stats->get(zp::ipc::kWriterSlot, zp::ipc::kPositions) > 0; },
                     180));

  {
    // Find the actor holding the GPU lock right now (fcntl reports the holder's pid).
    const int fd = open(ctx.names.gpu_lock_path(0).c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    pid_t holder = -1;
    wait_until(
        [&] {
          struct flock fl {};
          fl.l_type = F_WRLCK;
          fl.l_whence = SEEK_SET;
          if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
            holder = fl.l_pid;
            kill(holder, SIGKILL);
            return true;
          }
          return false;
        },
        30);
    close(fd);
    REQUIRE(holder > 0);
    int victim = -1;
    for (int a = 0; a < 2; ++a)
      if (stats->get(zp::ipc::kFirstActorSlot + a, zp::ipc::kPid) == holder) victim = a;
    REQUIRE(victim >= 0);
    const int other = zp::ipc::kFirstActorSlot + (1 - victim);
    const int64_t before = stats->get(other, zp::ipc::kPositions);
    // The other actor keeps producing within a few seconds (the kernel released the lock).
    CHECK(wait_until([&] { return stats->get(other, zp::ipc::kPositions) > before + 5; }, 10));
    // The supervisor restarts the killed one, and the status line says so.
    CHECK(wait_until(
        [&] { return stats->get(zp::ipc::kFirstActorSlot + victim, zp::ipc::kStarts) >= 2; },
        30));
    CHECK(wait_until([&] { return zp::test::read_text(run + ".out").find("restarts 1") != std::string::npos; },
                     30));
  }

  {
    // The writer: actors keep their records until the restarted writer acknowledges them.
    const pid_t writer = static_cast<pid_t>(stats->get(zp::ipc::kWriterSlot, zp::ipc::kPid));
    const int64_t written = stats->get(zp::ipc::kWriterSlot, zp::ipc::kGames);
    const size_t acked = zp::test::read_ack_logs(acks).size();
    kill(writer, SIGKILL);
    CHECK(wait_until([&] { return stats->get(zp::ipc::kWriterSlot, zp::ipc::kStarts) >= 2; }, 30));
    // The restarted writer makes new records durable (its counter goes on from the durable
    // total, so it must pass what was written before the kill) and acknowledges them.
    CHECK(wait_until(
        [&] { return stats->get(zp::ipc::kWriterSlot, zp::ipc::kGames) > written; }, 60));
    CHECK(wait_until([&] { return zp::test::read_ack_logs(acks).size() > acked; }, 60));
  }

  {
    // The learner resumes from its last checkpoint.
    REQUIRE(wait_until(
        [&] { return stats->get(zp::ipc::kLearnerSlot, zp::ipc::kModelVersion) >= 2; }, 120));
    const pid_t learner = static_cast<pid_t>(stats->get(zp::ipc::kLearnerSlot, zp::ipc::kPid));
    kill(learner, SIGKILL);
    CHECK(wait_until([&] { return stats->get(zp::ipc::kLearnerSlot, zp::ipc::kStarts) >= 2; },
                     30));
    CHECK(wait_until(
        [&] {
          return zp::test::read_text(run + "/logs/learner.log").find("resuming from step") != std::string::npos;
        },
        60));
  }

  stats.reset();
  train->signal(SIGINT);
  REQUIRE(train->wait(120) == 0);
  // Nothing acknowledged was lost and nothing is duplicated: every record any actor
  // incarnation was acknowledged (its ack log) is in the shards exactly once, and the shards
  // hold what the writer counted.
  const auto acked = zp::test::read_ack_logs(acks);
  const auto shards = zp::test::shard_records(run);
  CHECK(acked.size() > 0);
  size_t lost = 0, duplicated = 0;
  for (const auto& key : acked) lost += shards.count(key) == 0;
  for (const auto& [key, copies] : shards) duplicated += copies > 1;
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(count_records(run) ==
        static_cast<size_t>(count_field(last_metrics_line(run), "written_games")));
}

TEST_CASE("train over tcp:// authenticates actors with CURVE and refuses peers without the key",
          "[integration][train]") {
  // The supervisor makes the run's keys; the actors get in, a stranger without CURVE and one
  // with a key of its own do not (a valid record under actor 0's id, a sequence the real
  // actor never uses), and the writer logs and counts them.
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  const int port = zp::test::free_tcp_port();
  const std::string records = "tcp://127.0.0.1:" + std::to_string(port),
                    acks = "tcp://127.0.0.1:" + std::to_string(port + 1);
  auto train = start_train(run, {"--set", "writer.endpoint=" + records, "--set",
                                 "actors.count=1", "--set", "train.max_seconds=40"});
  auto stats = attach(run);
  REQUIRE(stats);
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(wait_until([&] { return stats->get(zp::ipc::kWriterSlot, zp::ipc::kGames) > 0; }, 120));
  struct stat st;
  REQUIRE(::stat((run + "/keys/writer.secret").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(run.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  const auto game = zp::game::make_game("connect4");
  zp::data::GameRecord forged;
  forged.actor_id = 0;
  forged.sequence = 7;  // actor 0 numbers from its start time in ms << 20: never 7
  forged.game_name = game->name();
  forged.num_actions = static_cast<uint16_t>(game->num_actions());
  std::vector<float> pi(game->num_actions(), 1.0f / game->num_actions());
  for (int a : {3, 3, 4, 4, 5, 5, 6}) forged.add_position(a, pi.data());
  forged.result = 1;
  std::string bytes;
  zp::data::encode_record(forged, &bytes);
  const zp::ipc::CurveKeyPair own = zp::ipc::make_curve_key_pair();
  const std::string writer_public = zp::test::read_text(run + "/keys/writer.public");
  zp::ipc::RecordSender plain(records, acks, 0, 0.5);
  zp::ipc::RecordSender keyed(records, acks, 0, 0.5,
                              {writer_public.substr(0, 40), own.public_key, own.secret_key});
  plain.send(forged.sequence, bytes);
  keyed.send(forged.sequence, bytes);
  CHECK(wait_until(
      [&] {
        plain.poll();
        keyed.poll();
        return stats->get(zp::ipc::kWriterSlot, zp::ipc::kPeersRefused) >= 2;
      },
      30));
  CHECK(plain.acked_total() == 0);
  CHECK(keyed.acked_total() == 0);
  stats.reset();
  REQUIRE(train->wait(120) == 0);
  CHECK(zp::test::shard_records(run).count({0, 7}) == 0);
  CHECK_THAT(zp::test::read_text(run + "/logs/writer.log"),
             Catch::Contains("without an authorized CURVE key"));
  CHECK_THAT(zp::test::read_text(run + "/logs/writer.log"), Catch::Contains("CURVE on"));
}

TEST_CASE("Ctrl-C while the writer waits out its restart backoff: it comes back and the actors "
          "drain into it", "[integration][fault]") {
  // Three kills in a row give the writer a 4 s backoff; records pile up in the actor; then
  // SIGINT. Before the fix the actor drained against no writer and stopped with records
  // unacknowledged.
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "actors.count=1", "--set", "train.max_seconds=0",
                                 "--set", "writer.shard_seconds=1", "--set",
                                 "evaluator.enabled=false"});
  auto stats = attach(run);
  REQUIRE(stats);
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(wait_until([&] { return stats->get(zp::ipc::kWriterSlot, zp::ipc::kGames) > 0; }, 120));
  for (int kills = 1; kills <= 3; ++kills) {
    const int64_t pid = stats->get(zp::ipc::kWriterSlot, zp::ipc::kPid);
    REQUIRE(kill(static_cast<pid_t>(pid), SIGKILL) == 0);
    if (kills == 3) break;
    // The next incarnation has started and recorded its own pid.
    REQUIRE(wait_until(
        [&] {
          return stats->get(zp::ipc::kWriterSlot, zp::ipc::kStarts) >= kills + 1 &&
                 stats->get(zp::ipc::kWriterSlot, zp::ipc::kPid) != pid;
        },
        30));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the supervisor sees it
  CHECK(wait_until(
      [&] { return stats->get(zp::ipc::kFirstActorSlot, zp::ipc::kRecordsPending) > 0; }, 3));
  REQUIRE(stats->get(zp::ipc::kWriterSlot, zp::ipc::kStarts) == 3);  // still in its backoff
  stats.reset();
  train->signal(SIGINT);
  REQUIRE(train->wait(120) == 0);
  CHECK_THAT(zp::test::read_text(run + ".out"), Catch::Contains("restarting the writer now"));
  CHECK_THAT(zp::test::read_text(run + "/logs/actor-0.log"),
             Catch::Contains(", 0 unacknowledged"));
}

TEST_CASE("a stopped writer: the actor pauses at its bound of unacknowledged records, then "
          "catches up", "[integration][fault]") {
  // writer.shard_positions=20: the bound is 2 x 20 = 40 records, and one round adds at most
  // games_per_actor (8). Before the bound, the actor went on playing against a SIGSTOPped
  // writer, and its unacknowledged records grew by some 50 a second.
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "actors.count=1", "--set", "train.max_seconds=0",
                                 "--set", "writer.shard_positions=20", "--set",
                                 "writer.shard_seconds=1", "--set", "evaluator.enabled=false",
                                 "--set", "monitor.heartbeat_timeout_s=300"});
  auto stats = attach(run);
  REQUIRE(stats);
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(wait_until([&] { return stats->get(zp::ipc::kWriterSlot, zp::ipc::kGames) > 0; }, 120));
  const auto writer = static_cast<pid_t>(stats->get(zp::ipc::kWriterSlot, zp::ipc::kPid));
  REQUIRE(kill(writer, SIGSTOP) == 0);
  auto pending = [&] { return stats->get(zp::ipc::kFirstActorSlot, zp::ipc::kRecordsPending); };
  const bool reached = wait_until([&] { return pending() >= 40; }, 60);
  int64_t most = pending();
  for (int i = 0; i < 30; ++i) {  // 3 s at the bound: it must not grow past it
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    most = std::max(most, pending());
  }
  const int64_t games = stats->get(zp::ipc::kFirstActorSlot, zp::ipc::kGames);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int64_t games_later = stats->get(zp::ipc::kFirstActorSlot, zp::ipc::kGames);
  REQUIRE(kill(writer, SIGCONT) == 0);
  CHECK(reached);
  CHECK(most <= 40 + 8);
  CHECK(games_later - games <= 8);  // paused: at most the round in progress finished
  // The writer catches up and the actor plays on.
  CHECK(wait_until([&] { return stats->get(zp::ipc::kFirstActorSlot, zp::ipc::kGames) >
                                games_later + 16; }, 60));
  stats.reset();
  train->signal(SIGINT);
  REQUIRE(train->wait(120) == 0);
  const std::string log = zp::test::read_text(run + "/logs/actor-0.log");
  CHECK_THAT(log, Catch::Contains("records unacknowledged (bound 40: 2 x writer.shard_positions)"));
  CHECK_THAT(log, Catch::Contains("resuming self-play after"));
  CHECK_THAT(log, Catch::Contains(", 0 unacknowledged"));
}

// The pid of the newest start of `role` in the supervisor's log ("started learner-1 (pid N)").
static pid_t started_pid(const std::string& run, const std::string& role) {
  const std::string log = zp::test::read_text(run + "/logs/supervisor.log");
  const std::string mark = "started " + role + " (pid ";
  const size_t at = log.rfind(mark);
  return at == std::string::npos ? -1 : std::atoi(log.c_str() + at + mark.size());
}

TEST_CASE("train with learner.world_size 2: two Gloo learner ranks publish, restart together "
          "and stop cleanly; resuming with another world size is refused",
          "[integration][train]") {
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  auto train = start_train(run, {"--set", "learner.world_size=2", "--set", "train.max_seconds=0",
                                 "--set", "evaluator.enabled=false"});
  auto stats = attach(run);
  REQUIRE(stats);
  const std::string run_id = zp::run::load_run_context(run).names.run_id;
  using zp::ipc::kLearnerSlot;
  auto learner = [&](zp::ipc::Counter c) { return stats->get(kLearnerSlot, c); };
  // Rank 0 is the learner of the status line: its steps and versions count.
  bool ok = wait_until(
      [&] { return learner(zp::ipc::kModelVersion) >= 3 && learner(zp::ipc::kTrainSteps) >= 20; },
      240);
  INFO(zp::test::read_text(run + ".out"));
  REQUIRE(ok);
  CHECK_THAT(zp::test::read_text(run + "/logs/learner-1.log"),
             Catch::Contains("rank 1 of 2: joined (gloo)"));

  // kill -9 of rank 1: rank 0 cannot go on alone, so the supervisor restarts both, on a new
  // port, and training resumes from the last checkpoint.
  const pid_t rank1 = started_pid(run, "learner-1");
  REQUIRE(rank1 > 0);
  REQUIRE(kill(rank1, SIGKILL) == 0);
  const int64_t version = learner(zp::ipc::kModelVersion);
  ok = wait_until(
      [&] {
        return learner(zp::ipc::kStarts) >= 2 && started_pid(run, "learner-1") != rank1 &&
               learner(zp::ipc::kModelVersion) > version + 1;
      },
      180);
  REQUIRE(ok);
  CHECK_THAT(zp::test::read_text(run + "/logs/supervisor.log"),
             Catch::Contains("its learner group lost learner-1"));
  stats.reset();

  train->signal(SIGINT);
  REQUIRE(train->wait(120) == 0);
  CHECK_FALSE(shm_objects_left(run_id));
  CHECK_THAT(zp::test::read_text(run + "/logs/learner-1.log"),
             Catch::Contains("rank 1: stopped by rank 0 at step"));
  CHECK(count_field(last_metrics_line(run), "learner_step") >= 20);

  // The learner state says 2 ranks: one learner may not take the run over.
  const auto r = zp::test::run_command("timeout 60 " + zp::test::zeroplay_binary() +
                                       " train --resume --run-dir " + run +
                                       " --set learner.world_size=1 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("--resume: learner.world_size is '2' in " + run +
                                       "/config.yaml, '1' now"));
}

// learner.launch: external (issue 12): `train` leaves the learner ranks to another launcher.
// Three launchers in turn on one run: torchrun (the torch wheel's, two ranks; Ctrl-C at the
// head stops them), two ranks started by hand with Slurm's variables, as srun starts them
// (kill -9 of the head: rank 0 notices and stops the group), and a rank 0 with no live head
// (it waits monitor.heartbeat_timeout_s, 30 s in tiny.yaml, then one error line).
TEST_CASE("learner.launch external: torchrun's and srun-style ranks train for the head, stop "
          "with it, and a rank 0 without a head gives up with one line",
          "[integration][train]") {
  const std::string python = ZP_PYTHON;
  if (python.empty() ||
      zp::test::run_command(python + " -c 'import torch.distributed.run' 2>&1").exit_code != 0) {
    WARN("no torchrun: '" << python << "' cannot import torch.distributed.run; skipped");
    if (std::getenv("ZP_CTEST") != nullptr) std::_Exit(zp::test::kSkipExitCode);
    return;
  }
  zp::test::TempDir tmp;
  const std::string run = tmp.path() + "/run";
  const std::vector<std::string> external = {"--set", "learner.launch=external", "--set",
                                             "learner.world_size=2", "--set",
                                             "evaluator.enabled=false"};
  auto train = start_train(run, external);
  auto stats = attach(run);
  REQUIRE(stats);
  auto learner = [&](zp::ipc::Counter c) { return stats->get(zp::ipc::kLearnerSlot, c); };
  auto out = [&] { return zp::test::read_text(run + ".out"); };
  REQUIRE(wait_until([&] { return out().find("learner: external, not attached") !=
                                  std::string::npos; }, 60));
  INFO(out());
  CHECK_THAT(out(), Catch::Contains("learner.launch is external: start the 2 learner rank(s) "
                                    "yourself, rank 0 on this host"));
  CHECK(learner(zp::ipc::kModelVersion) == 0);  // nobody spawned a learner

  // torchrun: its agent hosts the TCPStore on the master port; both ranks join it as clients.
  const std::string torchrun_out = tmp.path() + "/torchrun.out";
  auto torchrun = std::make_unique<ChildProcess>(
      std::vector<std::string>{python, "-m", "torch.distributed.run", "--nnodes", "1",
                               "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
                               "--master-port", std::to_string(zp::test::free_tcp_port()),
                               "--no-python", zp::test::zeroplay_binary(), "learner",
                               "--run-dir", run},
      torchrun_out);
  bool ok = wait_until(
      [&] { return learner(zp::ipc::kModelVersion) >= 3 && learner(zp::ipc::kTrainSteps) >= 20; },
      240);
  INFO(zp::test::read_text(torchrun_out));
  REQUIRE(ok);
  CHECK_THAT(out(), Catch::Contains("external learner rank 0 attached (pid"));
  CHECK_THAT(zp::test::read_text(run + "/logs/learner.log"),
             Catch::Contains("learner rank 0 of 2 (torchrun): joining the group"));
  CHECK_THAT(zp::test::read_text(run + "/logs/learner-1.log"),
             Catch::Contains("rank 1 of 2: joined (gloo)"));
  stats.reset();
  train->signal(SIGINT);
  CHECK(train->wait(180) == 0);
  CHECK(torchrun->wait(60) == 0);  // rank 0 saved and stopped rank 1: the job succeeded
  CHECK_THAT(zp::test::read_text(run + "/logs/learner.log"), Catch::Contains("stop requested"));
  CHECK_THAT(zp::test::read_text(run + "/logs/learner-1.log"),
             Catch::Contains("rank 1: stopped by rank 0 at step"));

  // srun-style: SLURM_PROCID / SLURM_NTASKS with an exported MASTER_ADDR / MASTER_PORT; rank 0
  // hosts the store. The head resumes, the ranks go on from the checkpoint; then the head is
  // killed with -9, and rank 0 stops the group on its own.
  std::vector<std::string> resume = external;
  resume.push_back("--resume");
  train = start_train(run, resume);
  stats = attach(run);
  REQUIRE(stats);
  const std::string port = std::to_string(zp::test::free_tcp_port());
  std::vector<std::unique_ptr<ChildProcess>> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/env", "SLURM_PROCID=" + std::to_string(r),
                                 "SLURM_NTASKS=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port,
                                 zp::test::zeroplay_binary(), "learner", "--run-dir", run},
        tmp.path() + "/srun-" + std::to_string(r) + ".out"));
  ok = wait_until([&] { return learner(zp::ipc::kModelVersion) >= 5; }, 240);
  INFO(zp::test::read_text(tmp.path() + "/srun-0.out"));
  REQUIRE(ok);
  CHECK_THAT(zp::test::read_text(run + "/logs/learner.log"),
             Catch::Contains("learner rank 0 of 2 (slurm)"));
  stats.reset();
  train->signal(SIGKILL);
  train->wait(30);
  CHECK(ranks[0]->wait(60) == 0);
  CHECK(ranks[1]->wait(60) == 0);
  CHECK_THAT(zp::test::read_text(run + "/logs/learner.log"),
             Catch::Contains("(zeroplay train, pid " + std::to_string(train->pid()) +
                             ") is gone; stopping"));

  // No head: the dead head's stats block is still there, its pid is not alive.
  const auto r = zp::test::run_command("RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                                       port + " timeout 120 " + zp::test::zeroplay_binary() +
                                       " learner --run-dir " + run + " 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("waiting for the head of run"));
  CHECK_THAT(r.output, Catch::Contains("no `zeroplay train` of run"));
  zp::run::remove_stale_objects(zp::run::load_run_context(run).names.run_id);  // the dead head's
}
