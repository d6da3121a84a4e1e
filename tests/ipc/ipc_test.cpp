// IPC building blocks across real processes: the stats block and the model store are written
// by a fork()ed child and read by the parent; the GPU lock survives its holder's SIGKILL; the
// record channel runs over ipc:// sockets, including a writer restart.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/interprocess/sync/file_lock.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/fault.h"
#include "shared/ipc/channel.h"
#include "shared/ipc/curve_keys.h"
#include "shared/ipc/gpu_lock.h"
#include "shared/ipc/model_store.h"
#include "shared/run/names.h"
#include "shared/run/context.h"
#include "shared/ipc/stats.h"
#include "tests/run_stats.h"
#include "tests/test_support.h"

namespace {

using namespace zp::ipc;
using namespace zp::run;

// Message limit of the test receivers (the writer uses data::max_record_bytes).
constexpr size_t kTestMaxMessage = 4096;

// A name no other test run uses at the same time.
std::string unique_name(const std::string& what) {
  return "zp-test" + new_run_id() + std::to_string(::getpid()) + "-" + what;
}

// Waits for `pid` and returns its exit status (or 128 + signal).
int wait_child(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `body` in a fork()ed child that exits 0 on success, 1 on any exception.
template <typename F>
pid_t fork_child(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 0;
    try {
      body();
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  REQUIRE(pid > 0);
  return pid;
}

// Removes a shm object when the test ends, whatever happens.
struct ShmGuard {
  std::string name;
  ~ShmGuard() { Stats::remove(name); }
};

// Polls `sender` until `done()` or the timeout; returns done().
template <typename F>
bool poll_until(RecordSender& sender, F done, double timeout_s) {
  const double end = zp::now_s() + timeout_s;
  while (!done() && zp::now_s() < end) {
    sender.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace

TEST_CASE("stats block: a child's counters reach the parent", "[unit][ipc]") {
  const std::string name = unique_name("stats");
  ShmGuard guard{name};
  auto stats = Stats::create(name, 3);
  CHECK(stats->num_actors() == 3);
  CHECK(stats->get(kFirstActorSlot + 2, kPositions) == 0);
  // Private mapping rights: nobody else may read another user's run.
  struct stat st;
  REQUIRE(::stat(("/dev/shm/" + name).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  const pid_t pid = fork_child([&] {
    auto s = Stats::open(name);
    s->set(kWriterSlot, kPid, ::getpid());
    for (int i = 0; i < 1000; ++i) s->add(kFirstActorSlot + 2, kPositions, 3);
    s->heartbeat(kWriterSlot);
  });
  CHECK(wait_child(pid) == 0);
  CHECK(stats->get(kWriterSlot, kPid) == pid);
  CHECK(stats->get(kFirstActorSlot + 2, kPositions) == 3000);
  CHECK(stats->get(kWriterSlot, kHeartbeatNs) > 0);
  CHECK(stats->get(kWriterSlot, kHeartbeatNs) <= zp::now_ns());
  CHECK(Stats::open(name)->num_actors() == 3);

  // create() replaces an old object of the same name with a zeroed one.
  auto again = Stats::create(name, 1);
  CHECK(again->get(kFirstActorSlot + 2, kPositions) == 0);
  Stats::remove(name);
  CHECK_THROWS_AS(Stats::open(name), zp::IoError);
}

TEST_CASE("stats block: a child's heartbeat publishes its resident memory", "[unit][ipc]") {
  const std::string name = unique_name("stats-rss");
  ShmGuard guard{name};
  auto stats = Stats::create(name, 1);
  CHECK(stats->get(kLearnerSlot, kResidentBytes) == 0);  // nobody published yet
  constexpr int64_t kTouched = 64 << 20;
  int pipe_fd[2];
  REQUIRE(::pipe(pipe_fd) == 0);
  const pid_t pid = fork_child([&] {
    auto s = Stats::open(name);
    s->heartbeat(kLearnerSlot);  // the first beat of a handle reads the RSS at once
    const int64_t before = s->get(kLearnerSlot, kResidentBytes);
    const double t0 = zp::now_s();
    std::vector<char> big(kTouched, 1);  // touched: resident
    s->heartbeat(kLearnerSlot);
    // Within the second the value is not read again (rate limit); only checkable when the
    // second beat really came within the second.
    if (zp::now_s() - t0 < 0.9 && s->get(kLearnerSlot, kResidentBytes) != before)
      throw std::runtime_error("re-read within the second");
    auto fresh = Stats::open(name);  // a new handle reads at its first beat
    fresh->heartbeat(kLearnerSlot);
    const int64_t after = s->get(kLearnerSlot, kResidentBytes);
    const int64_t anon = s->get(kLearnerSlot, kAnonBytes);
    // The touched pages are anonymous: they count in both.
    if (anon < kTouched || anon > after) throw std::runtime_error("anon " + std::to_string(anon));
    const int64_t v[2] = {before, after};
    if (::write(pipe_fd[1], v, sizeof(v)) != sizeof(v)) throw std::runtime_error("pipe");
    if (big[kTouched - 1] != 1) throw std::runtime_error("unreachable");
  });
  CHECK(wait_child(pid) == 0);
  int64_t v[2] = {0, 0};
  REQUIRE(::read(pipe_fd[0], v, sizeof(v)) == sizeof(v));
  ::close(pipe_fd[0]);
  ::close(pipe_fd[1]);
  CHECK(v[0] > 1 << 20);                   // a process holds at least a MiB
  CHECK(v[1] - v[0] >= kTouched - (4 << 20));  // the 64 MiB the child touched show up
  CHECK(stats->get(kLearnerSlot, kResidentBytes) == v[1]);
  const zp::ipc::ResidentBytes self = zp::ipc::self_resident_bytes();
  CHECK(self.resident > 1 << 20);
  CHECK(self.anon > 0);
  CHECK(self.anon <= self.resident);
}

TEST_CASE("model store: publish and read back", "[unit][ipc]") {
  const std::string name = unique_name("models");
  ShmGuard guard{name};
  auto store = ModelStore::create(name, 1000);
  std::string bytes = "untouched";
  CHECK(store->read_latest(&bytes) == 0);
  CHECK(store->read_best(&bytes) == 0);
  CHECK(store->latest_version() == 0);

  store->publish_latest(1, "first model");
  store->publish_latest(2, std::string(1000, 'x'));  // exactly the capacity
  auto reader = ModelStore::open(name);
  CHECK(reader->slot_bytes() == 1000);
  CHECK(reader->latest_version() == 2);
  CHECK(reader->read_latest(&bytes) == 2);
  CHECK(bytes == std::string(1000, 'x'));
  store->publish_latest(7, "");  // versions may skip; empty models are fine
  CHECK(reader->read_latest(&bytes) == 7);
  CHECK(bytes.empty());

  store->publish_best(2, "best so far");
  CHECK(reader->best_version() == 2);
  CHECK(reader->read_best(&bytes) == 2);
  CHECK(bytes == "best so far");

  CHECK_THROWS_AS(store->publish_latest(7, "same version"), zp::StateError);
  CHECK_THROWS_AS(store->publish_latest(8, std::string(1001, 'y')), zp::StateError);
  CHECK_THROWS_AS(store->publish_best(1, "older"), zp::StateError);
  CHECK(reader->read_latest(&bytes) == 7);  // failed publishes change nothing
  CHECK_THROWS_AS(ModelStore::open(unique_name("absent")), zp::IoError);
}

TEST_CASE("model store: a publisher killed mid-copy leaves the previous model readable",
          "[unit][ipc]") {
  // The child dies half-way through copying model 2 into its slot (fault point), as an
  // evaluator or learner killed at that moment would. Readers must still get model 1 at
  // once, and a restarted publisher must be able to publish model 2.
  const std::string name = unique_name("models");
  ShmGuard guard{name};
  auto store = ModelStore::create(name, 4096);
  const std::string one(4000, '1'), two(4000, '2');
  struct Kind {
    const char* fault;
    void (ModelStore::*publish)(int64_t, const std::string&);
    int64_t (ModelStore::*read)(std::string*) const;
  };
  for (const Kind& k : {Kind{"model_store.best_mid_copy", &ModelStore::publish_best,
                             &ModelStore::read_best},
                        Kind{"model_store.latest_mid_copy", &ModelStore::publish_latest,
                             &ModelStore::read_latest}}) {
    INFO(k.fault);
    ((*store).*k.publish)(1, one);
    const pid_t child = fork_child([&] {
      ::setenv("ZP_FAULT", k.fault, 1);
      auto s = ModelStore::open(name);
      ((*s).*k.publish)(2, two);
    });
    REQUIRE(wait_child(child) == zp::kFaultExit);
    auto reader = ModelStore::open(name);
    std::string bytes;
    const double t0 = zp::now_s();
    CHECK(((*reader).*k.read)(&bytes) == 1);
    CHECK((bytes == one));
    CHECK(zp::now_s() - t0 < 1.0);  // no waiting on the dead writer's slot
    auto restarted = ModelStore::open(name);
    REQUIRE_NOTHROW(((*restarted).*k.publish)(2, two));
    CHECK(((*reader).*k.read)(&bytes) == 2);
    CHECK((bytes == two));
    // And once more, so both slots of the pair have been rewritten after the death.
    REQUIRE_NOTHROW(((*restarted).*k.publish)(3, one));
    CHECK(((*reader).*k.read)(&bytes) == 3);
    CHECK((bytes == one));
  }
}

TEST_CASE("model store: more than /dev/shm has free fails at create, saying how much",
          "[unit][ipc]") {
  // tmpfs objects are sparse: a store that truncate() "created" would die with SIGBUS at the
  // first publish. create() must reserve every byte, or refuse with the figures.
  struct statvfs vfs {};
  REQUIRE(::statvfs("/dev/shm", &vfs) == 0);
  const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const std::string name = unique_name("models");
  ShmGuard guard{name};
  const size_t too_big = free_bytes / 4 + (256u << 20);  // four slots: over the free space
  std::string error;
  try {
    ModelStore::create(name, too_big);
  } catch (const zp::IoError& e) {
    error = e.what();
  }
  INFO(error);
  CHECK_THAT(error, Catch::Contains("model store " + name + " needs "));
  CHECK_THAT(error, Catch::Contains("MiB of shared memory, but /dev/shm has "));
  CHECK_THAT(error, Catch::Contains("MiB free"));
  CHECK(error.find('\n') == std::string::npos);
  CHECK_THROWS_AS(ModelStore::open(name), zp::IoError);  // nothing left behind

  // A store that fits has every byte reserved: the space shows as used at once.
  const std::string fits = unique_name("models");
  ShmGuard fits_guard{fits};
  auto store = ModelStore::create(fits, 8u << 20);
  struct stat st {};
  REQUIRE(::stat(("/dev/shm/" + fits).c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 >= 4 * (8u << 20));
}

TEST_CASE("model store: a reader racing a writer process never sees a torn model", "[unit][ipc]") {
  const std::string name = unique_name("models");
  ShmGuard guard{name};
  constexpr size_t kCapacity = 256 * 1024;
  constexpr int64_t kVersions = 3000;
  auto store = ModelStore::create(name, kCapacity);
  // Model v: (v * 7919) % kCapacity + 1 bytes, every byte v & 0xff.
  auto size_of = [](int64_t v) { return static_cast<size_t>(v * 7919) % kCapacity + 1; };

  // The writer starts once the reader is polling, and pauses 1 ms every 50 versions, so that
  // the two overlap even when other tests load the cores (the check below needs overlap).
  int go[2];
  REQUIRE(::pipe(go) == 0);
  const pid_t pid = fork_child([&] {
    char c;
    if (::read(go[0], &c, 1) != 1) return;
    auto w = ModelStore::open(name);
    std::string buf;
    for (int64_t v = 1; v <= kVersions; ++v) {
      buf.assign(size_of(v), static_cast<char>(v & 0xff));
      w->publish_latest(v, buf);
      if (v % 10 == 0) w->publish_best(v, buf);
      if (v % 50 == 0) ::usleep(1000);
    }
  });
  REQUIRE(::write(go[1], "g", 1) == 1);
  ::close(go[0]);
  ::close(go[1]);

  std::string bytes;
  int64_t reads = 0, bad = 0, last = 0, regressions = 0;
  std::set<int64_t> versions_seen;
  for (;;) {
    const bool writer_done = ::waitpid(pid, nullptr, WNOHANG) == pid;
    for (int i = 0; i < 50; ++i) {
      const int64_t v = store->read_latest(&bytes);
      if (v == 0) continue;
      ++reads;
      versions_seen.insert(v);
      if (v < last) ++regressions;
      last = v;
      if (bytes.size() != size_of(v) ||
          bytes.find_first_not_of(static_cast<char>(v & 0xff)) != std::string::npos)
        ++bad;
      const int64_t b = store->read_best(&bytes);
      if (b != 0 && (b % 10 != 0 || bytes.size() != size_of(b) ||
                     bytes.find_first_not_of(static_cast<char>(b & 0xff)) != std::string::npos))
        ++bad;
    }
    if (writer_done) break;
  }
  INFO("reads " << reads << ", distinct versions " << versions_seen.size());
  CHECK(bad == 0);
  CHECK(regressions == 0);
  CHECK(reads > 0);
  CHECK(versions_seen.size() > 10);  // the reader really overlapped the writer
  CHECK(store->read_latest(&bytes) == kVersions);
  CHECK(bytes.size() == size_of(kVersions));
}

TEST_CASE("GPU lock: a holder killed with SIGKILL releases it", "[unit][ipc]") {
  zp::test::TempDir dir;
  const std::string path = dir.path() + "/gpu0.lock";
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    GpuLock l(path);
    l.lock();
    (void)!::write(ready[1], "L", 1);
    for (;;) ::pause();  // hold it until killed
  }
  REQUIRE(pid > 0);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  ::close(ready[1]);

  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  {
    // While the child holds it, nobody else gets it.
    boost::interprocess::file_lock probe(path.c_str());
    CHECK_FALSE(probe.try_lock());
  }

  GpuLock lock(path);
  std::thread killer([pid] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(pid, SIGKILL);
  });
  const double t0 = zp::now_s();
  lock.lock();  // blocks until the kernel releases the dead child's lock
  const double waited = zp::now_s() - t0;
  killer.join();
  CHECK(wait_child(pid) == 128 + SIGKILL);
  CHECK(waited < 1.3);  // within a second of the kill
  CHECK(lock.wait_ns() >= 250'000'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  lock.unlock();
  CHECK(lock.hold_ns() >= 20'000'000);
  {
    GpuLockGuard g(lock);  // reacquire: nothing holds it now
  }
  CHECK(lock.wait_ns() < 1'300'000'000);
}

TEST_CASE("run names carry the run id and endpoints", "[unit][ipc]") {
  const auto n = RunNames::make("ab12cd34", "/tmp/run-x/", "");
  CHECK(n.stats == "zp-ab12cd34-stats");
  CHECK(n.models == "zp-ab12cd34-models");
  CHECK(n.records == "ipc:///tmp/run-x/records.sock");
  CHECK(n.acks == "ipc:///tmp/run-x/acks.sock");
  CHECK(n.gpu_lock_path(1) == "/tmp/run-x/gpu1.lock");
  // The lock an actor takes follows its device (actors.devices round robin): one per GPU.
  const zp::config::Config spread =
      zp::config::load_config_string("actors:\n  devices: [cuda:0, cuda:1]\n", "x");
  std::vector<std::string> locks;
  for (int actor = 0; actor < 4; ++actor)
    locks.push_back(n.gpu_lock_path(zp::config::actor_device(spread, actor)));
  CHECK(locks == std::vector<std::string>{"/tmp/run-x/gpu0.lock", "/tmp/run-x/gpu1.lock",
                                          "/tmp/run-x/gpu0.lock", "/tmp/run-x/gpu1.lock"});
  CHECK(n.gpu_lock_path(std::string("cuda:12")) == "/tmp/run-x/gpu12.lock");
  CHECK(n.gpu_lock_path(std::string("cuda")) == "/tmp/run-x/gpu0.lock");
  CHECK(n.gpu_lock_path(std::string("cpu")) == "/tmp/run-x/gpu0.lock");
  const auto t = RunNames::make("ab12cd34", "/tmp/run-x", "tcp://10.0.0.5:5555");
  CHECK(t.records == "tcp://10.0.0.5:5555");
  CHECK(t.acks == "tcp://10.0.0.5:5556");
  CHECK_THROWS_AS(RunNames::make("ab", "/tmp", "tcp://host"), zp::ConfigError);
  CHECK_THROWS_AS(RunNames::make("ab", "/tmp", "tcp://host:65535"), zp::ConfigError);
  CHECK_THROWS_AS(RunNames::make("ab", "/tmp", "udp://host:1"), zp::ConfigError);
  CHECK_THROWS_AS(RunNames::make("ab", "/tmp/" + std::string(120, 'd'), ""), zp::ConfigError);
  const std::string id = new_run_id();
  CHECK(id.size() == 8);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(new_run_id() != id);
}

TEST_CASE("writer.endpoint ipc://PATH names both sockets and works end to end", "[unit][ipc]") {
  // The schema accepts ipc://PATH; the run must then use it, not refuse it later.
  const auto n = RunNames::make("ab12cd34", "/tmp/run-x", "ipc:///tmp/zp-w.sock");
  CHECK(n.records == "ipc:///tmp/zp-w.sock");
  CHECK(n.acks == "ipc:///tmp/zp-w.sock.acks");
  const auto rel = RunNames::make("ab12cd34", "/tmp/run-x/", "ipc://socks/w.sock");
  CHECK(rel.records == "ipc:///tmp/run-x/socks/w.sock");
  CHECK_THROWS_AS(RunNames::make("ab", "/tmp", "ipc:///tmp/" + std::string(100, 's')),
                  zp::ConfigError);

  zp::test::TempDir dir;
  const RunNames names = RunNames::make(new_run_id(), dir.path(), "ipc://w.sock");
  RecordReceiver receiver(names.records, names.acks, kTestMaxMessage);
  RecordSender sender(names.records, names.acks, 4, 1000.0);
  sender.send(9, "over ipc");
  std::string m;
  bool got = false;
  CHECK(poll_until(sender, [&] { return got = got || receiver.receive(&m, 10); }, 5));
  CHECK(m == "over ipc");
  CHECK(poll_until(sender, [&] {
    receiver.publish_ack(Ack{4, 1, 9, 9});
    return sender.pending() == 0;
  }, 5));
}

TEST_CASE("run context: config, run id and names from a run directory", "[unit][ipc]") {
  zp::test::TempDir dir;
  CHECK_THROWS(load_run_context(dir.path()));
  std::ofstream(dir.path() + "/config.yaml") << "game:\n  name: tictactoe\n";
  CHECK_THROWS_AS(load_run_context(dir.path()), zp::IoError);  // no run_id yet
  std::ofstream(dir.path() + "/run_id") << "0badc0de\n";
  const RunContext ctx = load_run_context(dir.path());
  CHECK(ctx.config.game.name == "tictactoe");
  CHECK(ctx.names.run_id == "0badc0de");
  CHECK(ctx.names.records == "ipc://" + dir.path() + "/records.sock");
  CHECK(ctx.shards_dir() == dir.path() + "/shards");
  CHECK(ctx.log_path("writer") == dir.path() + "/logs/writer.log");
}

TEST_CASE("stale shm objects of dead runs are removed, live ones kept", "[unit][ipc]") {
  // A pid that surely belongs to no process: a child we have already reaped.
  const pid_t dead = fork_child([] {});
  REQUIRE(wait_child(dead) == 0);
  // Ids under a prefix of our own: other runs' objects on this machine are left alone.
  const std::string prefix = "stale" + new_run_id();
  const std::string dead_id = prefix + new_run_id(), live_id = prefix + new_run_id(),
                    orphan_id = prefix + new_run_id();
  ShmGuard g1{"zp-" + dead_id + "-stats"}, g2{"zp-" + dead_id + "-models"},
      g3{"zp-" + live_id + "-stats"}, g4{"zp-" + orphan_id + "-models"};
  Stats::create("zp-" + dead_id + "-stats", 1)->set(kSupervisorSlot, kPid, dead);
  ModelStore::create("zp-" + dead_id + "-models", 64);
  Stats::create("zp-" + live_id + "-stats", 1)->set(kSupervisorSlot, kPid, ::getpid());
  ModelStore::create("zp-" + orphan_id + "-models", 64);  // young: within the grace period

  const auto removed = remove_stale_objects(prefix);
  const std::set<std::string> r(removed.begin(), removed.end());
  CHECK(r.count("zp-" + dead_id + "-stats") == 1);
  CHECK(r.count("zp-" + dead_id + "-models") == 1);
  CHECK(r.count("zp-" + live_id + "-stats") == 0);
  CHECK(r.count("zp-" + orphan_id + "-models") == 0);
  CHECK_THROWS_AS(Stats::open("zp-" + dead_id + "-stats"), zp::IoError);
  CHECK_NOTHROW(Stats::open("zp-" + live_id + "-stats"));
}

TEST_CASE("a test's stats block survives another run's stale-object cleanup, even when old",
          "[unit][ipc]") {
  // Tests that stand in for a supervisor create their block with create_run_stats, which
  // records the test's pid; a block without one is removed once past the 30 s grace period
  // (aged here with utimensat), which is what a concurrent run's start-up did to such tests.
  const std::string prefix = "aged" + new_run_id();
  const std::string owned = "zp-" + prefix + new_run_id() + "-stats",
                    bare = "zp-" + prefix + new_run_id() + "-stats";
  ShmGuard g1{owned}, g2{bare};
  auto owned_stats = zp::test::create_run_stats(owned, 1);
  auto bare_stats = Stats::create(bare, 1);
  const timespec old[2] = {{std::time(nullptr) - 120, 0}, {std::time(nullptr) - 120, 0}};
  for (const std::string& name : {owned, bare})
    REQUIRE(::utimensat(AT_FDCWD, ("/dev/shm/" + name).c_str(), old, 0) == 0);
  const auto removed = remove_stale_objects(prefix);
  const std::set<std::string> r(removed.begin(), removed.end());
  CHECK(r.count(owned) == 0);
  CHECK(r.count(bare) == 1);
  CHECK_NOTHROW(Stats::open(owned));
}

TEST_CASE("record channel: delivery, acks, resends after a writer restart", "[unit][ipc]") {
  zp::test::TempDir dir;
  const RunNames names = RunNames::make(new_run_id(), dir.path(), "");
  auto receiver = std::make_unique<RecordReceiver>(names.records, names.acks, kTestMaxMessage);
  // Resends only on a new writer incarnation here: the timeout is far away.
  RecordSender sender(names.records, names.acks, 7, 1000.0);
  auto payload = [](uint64_t seq) { return "record-" + std::to_string(seq); };

  // Receives until `want` distinct payloads arrived (or 10 s), publishing `ack` (if given)
  // every 50 ms as the writer does; returns what came.
  auto receive_all = [&](size_t want, const Ack* ack = nullptr) {
    std::set<std::string> got;
    const double end = zp::now_s() + 10;
    double next_ack = 0;
    std::string m;
    while (got.size() < want && zp::now_s() < end) {
      if (ack && zp::now_s() >= next_ack) {
        receiver->publish_ack(*ack);
        next_ack = zp::now_s() + 0.05;
      }
      sender.poll();
      if (receiver->receive(&m, 10)) got.insert(m);
    }
    return got;
  };
  // Publishes an ack every 50 ms (slow joiner: early ones may be lost) until `done()`.
  auto ack_until = [&](const Ack& ack, auto done) {
    const double end = zp::now_s() + 10;
    double next = 0;
    while (!done() && zp::now_s() < end) {
      if (zp::now_s() >= next) {
        receiver->publish_ack(ack);
        next = zp::now_s() + 0.05;
      }
      sender.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
  };

  // The writer announces itself first (as a real one does every second), so the records below
  // are known to have gone to incarnation 1 and are not resent when its first ack comes.
  CHECK(ack_until(Ack{kAnnounceActor, 1, 0, 0}, [&] { return sender.writer_incarnation() == 1; }));
  CHECK(sender.pending() == 0);
  for (uint64_t s = 100; s < 110; ++s) sender.send(s, payload(s));
  CHECK_THROWS_AS(sender.send(105, "again"), zp::StateError);
  CHECK(sender.pending() == 10);
  auto got = receive_all(10);
  CHECK(got.size() == 10);
  CHECK(got.count(payload(100)) == 1);
  CHECK(got.count(payload(109)) == 1);

  // An ack for [100, 104] drops exactly those; another actor's ack drops nothing.
  Ack other{8, 1, 109, 100};
  receiver->publish_ack(other);
  CHECK(ack_until(Ack{7, 1, 104, 100}, [&] { return sender.pending() == 5; }));
  CHECK(sender.acked_total() == 5);
  CHECK(ack_until(Ack{7, 1, 109, 105}, [&] { return sender.pending() == 0; }));
  CHECK(sender.acked_total() == 10);
  CHECK(sender.resent_total() == 0);

  // More records reach this writer, which then "crashes" before making them durable.
  for (uint64_t s = 110; s < 115; ++s) sender.send(s, payload(s));
  CHECK(receive_all(5).size() == 5);
  receiver.reset();
  receiver = std::make_unique<RecordReceiver>(names.records, names.acks, kTestMaxMessage);
  // The new incarnation acknowledges what is durable; the sender notices the restart and
  // resends everything still pending to it.
  const Ack restarted{7, 2, 109, 100};
  got = receive_all(5, &restarted);
  CHECK(got.size() == 5);
  CHECK(got.count(payload(110)) == 1);
  CHECK(got.count(payload(114)) == 1);
  CHECK(sender.resent_total() == 5);
  CHECK(ack_until(Ack{7, 2, 114, 100}, [&] { return sender.pending() == 0; }));
  CHECK(sender.acked_total() == 15);
}

TEST_CASE("record channel: records sent to a writer that died before any ack reach its successor",
          "[unit][ipc]") {
  // The first writer receives five records and dies before it acknowledges or announces
  // anything. Its successor announces incarnation 2: the sender must resend the five at once
  // (before the fix it waited for resend_after_s, 70 s in a default run, past the drain).
  zp::test::TempDir dir;
  const RunNames names = RunNames::make(new_run_id(), dir.path(), "");
  auto receiver = std::make_unique<RecordReceiver>(names.records, names.acks, kTestMaxMessage);
  RecordSender sender(names.records, names.acks, 5, 1000.0);
  for (uint64_t s = 0; s < 5; ++s) sender.send(s, "r" + std::to_string(s));
  std::set<std::string> got;
  std::string m;
  for (double end = zp::now_s() + 10; got.size() < 5 && zp::now_s() < end;) {
    sender.poll();
    if (receiver->receive(&m, 10)) got.insert(m);
  }
  REQUIRE(got.size() == 5);
  receiver.reset();
  receiver = std::make_unique<RecordReceiver>(names.records, names.acks, kTestMaxMessage);
  got.clear();
  double next = 0;
  for (double end = zp::now_s() + 10; got.size() < 5 && zp::now_s() < end;) {
    if (zp::now_s() >= next) {
      receiver->publish_ack(Ack{kAnnounceActor, 2, 0, 0});
      next = zp::now_s() + 0.05;
    }
    sender.poll();
    if (receiver->receive(&m, 10)) got.insert(m);
  }
  CHECK(got.size() == 5);
  CHECK(sender.resent_total() == 5);
  CHECK(sender.pending() == 5);  // the announcement acknowledges nothing
}

TEST_CASE("record channel: unacknowledged records are resent after the timeout", "[unit][ipc]") {
  zp::test::TempDir dir;
  const RunNames names = RunNames::make(new_run_id(), dir.path(), "");
  RecordReceiver receiver(names.records, names.acks, kTestMaxMessage);
  RecordSender sender(names.records, names.acks, 3, 0.2);
  sender.send(1, "only");
  std::string m;
  int copies = 0;
  const double end = zp::now_s() + 3;
  while (copies < 2 && zp::now_s() < end) {
    sender.poll();
    if (receiver.receive(&m, 10)) {
      CHECK(m == "only");
      ++copies;
    }
  }
  CHECK(copies == 2);
  CHECK(sender.resent_total() >= 1);
  CHECK(sender.pending() == 1);
}

TEST_CASE("record channel: a message over the limit is refused, the channel keeps working",
          "[unit][ipc]") {
  zp::test::TempDir dir;
  const RunNames names = RunNames::make(new_run_id(), dir.path(), "");
  RecordReceiver receiver(names.records, names.acks, kTestMaxMessage);
  RecordSender big(names.records, names.acks, 1, 1000.0);
  RecordSender small(names.records, names.acks, 2, 1000.0);
  big.send(1, std::string(kTestMaxMessage + 1, 'x'));
  small.send(1, std::string(kTestMaxMessage, 'y'));  // at the limit: delivered
  std::string m;
  size_t got_small = 0, got_big = 0;
  const double end = zp::now_s() + 2;
  while (zp::now_s() < end) {
    big.poll();
    small.poll();
    if (!receiver.receive(&m, 10)) continue;
    if (m.size() > kTestMaxMessage) ++got_big; else ++got_small;
  }
  CHECK(got_big == 0);
  CHECK(got_small == 1);
}

TEST_CASE("record channel: the receive queue is bounded in bytes", "[unit][ipc]") {
  CHECK(receive_queue_depth(2048) == 20000);  // small records: the message cap
  const size_t gomoku = 304u << 10;            // about the largest 15x15 Gomoku record
  CHECK(static_cast<size_t>(receive_queue_depth(gomoku)) * gomoku <= kReceiveQueueBytes);
  CHECK(receive_queue_depth(gomoku) > 100);
  CHECK(receive_queue_depth(64u << 20) == 16);  // never below a few messages
}

// --- CURVE on tcp:// -------------------------------------------------------------------------

namespace {

// Sends `n` records from `sender` while the receiver listens for `seconds`; returns how many
// distinct ones arrived.
size_t deliver(RecordSender& sender, RecordReceiver& receiver, uint64_t first, int n,
               double seconds) {
  for (int i = 0; i < n; ++i) sender.send(first + i, "curve-" + std::to_string(first + i));
  std::set<std::string> got;
  std::string m;
  for (const double end = zp::now_s() + seconds; zp::now_s() < end && got.size() < size_t(n);) {
    sender.poll();
    if (receiver.receive(&m, 10)) got.insert(m);
  }
  return got.size();
}

}  // namespace

TEST_CASE("CURVE: the run's key files are private whatever the umask, and bad ones are named",
          "[unit][ipc]") {
  zp::test::TempDir dir;
  const std::string keys = dir.path() + "/keys";
  const mode_t old = ::umask(0);
  const bool made = ensure_curve_keys(keys);
  ::umask(old);
  CHECK(made);
  CHECK_FALSE(ensure_curve_keys(keys));  // kept on resume
  struct stat st;
  REQUIRE(::stat(keys.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  for (const char* f : {"/writer.secret", "/actor.secret"}) {
    REQUIRE(::stat((keys + f).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  const CurveServerKeys server = load_server_keys(keys);
  const CurveClientKeys client = load_client_keys(keys);
  CHECK(client.server_public == server.public_key);
  REQUIRE(server.authorized.size() == 1);
  CHECK(server.authorized[0] == client.public_key);

  ::chmod((keys + "/actor.secret").c_str(), 0644);
  CHECK_THROWS_WITH(load_client_keys(keys),
                    "CURVE secret key file " + keys +
                        "/actor.secret may be read by group or others (mode 644); chmod 600 it");
  ::chmod((keys + "/actor.secret").c_str(), 0600);
  std::ofstream(keys + "/authorized/host2.public") << "not a key\n";
  CHECK_THROWS_WITH(load_server_keys(keys), "CURVE key file " + keys +
                                                "/authorized/host2.public does not hold one "
                                                "40-character Z85 key");
}

TEST_CASE("CURVE: only authorized actors reach the writer, and no stranger can pose as it",
          "[unit][ipc]") {
  zp::test::TempDir dir;
  const std::string keys = dir.path() + "/keys";
  ensure_curve_keys(keys);
  const CurveServerKeys server = load_server_keys(keys);
  const CurveClientKeys client = load_client_keys(keys);
  const int port = zp::test::free_tcp_port();
  const std::string records = "tcp://127.0.0.1:" + std::to_string(port),
                    acks = "tcp://127.0.0.1:" + std::to_string(port + 1);
  auto receiver = std::make_unique<RecordReceiver>(records, acks, kTestMaxMessage, server);

  // The run's actor: delivered and acknowledged.
  RecordSender actor(records, acks, 1, 1000.0, client);
  CHECK(deliver(actor, *receiver, 0, 3, 10) == 3);
  for (double end = zp::now_s() + 10; actor.pending() > 0 && zp::now_s() < end;) {
    receiver->publish_ack(Ack{1, 7, 2, 0});
    actor.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(actor.acked_total() == 3);
  CHECK(receiver->refused_peers() == 0);

  // A stranger with its own key pair (it knows the writer's public key), and one without
  // CURVE at all: nothing of theirs arrives, and both are counted as refused.
  const CurveKeyPair own = make_curve_key_pair();
  RecordSender stranger(records, acks, 2, 1000.0,
                        CurveClientKeys{server.public_key, own.public_key, own.secret_key});
  CHECK(deliver(stranger, *receiver, 100, 3, 2) == 0);
  RecordSender plain(records, acks, 3, 1000.0);
  CHECK(deliver(plain, *receiver, 200, 3, 2) == 0);
  CHECK(receiver->refused_peers() >= 2);
  CHECK(receiver->last_refused_address() == "127.0.0.1");

  // A fake writer with another key binds the ports while the real one is away: the actor
  // sends it nothing readable and takes no ack from it.
  receiver.reset();
  const CurveKeyPair fk = make_curve_key_pair();
  CurveServerKeys fake_keys{fk.public_key, fk.secret_key, {client.public_key}};
  RecordReceiver fake(records, acks, kTestMaxMessage, fake_keys);
  CHECK(deliver(actor, fake, 300, 2, 2) == 0);
  for (double end = zp::now_s() + 1; zp::now_s() < end;) {
    fake.publish_ack(Ack{1, 9, 301, 300});
    actor.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(actor.pending() == 2);
}
