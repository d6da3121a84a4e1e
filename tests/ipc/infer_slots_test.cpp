// The inference-server slot protocol (shared/ipc/infer_slots.h) without torch: the real
// segment, the real client backend and the real batching loop, with a scripted backend
// standing in for the network. Servers and clients are fork()ed processes, killed with
// SIGKILL where the protocol must survive it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/game/registry.h"
#include "shared/ipc/infer_batcher.h"
#include "shared/ipc/infer_client.h"
#include "shared/ipc/infer_slots.h"
#include "shared/nn/scripted.h"
#include "tests/test_support.h"

namespace {

using namespace zp::ipc;

constexpr int kSlotPositions = 4;
constexpr int64_t kMs = 1'000'000;

std::string unique_name() {
  static int n = 0;
  return "zp-test-infer-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

// The children a test forked and has not reaped yet. A test that fails half-way (a REQUIRE, an
// exception) must not leave a server or a client looping forever: the segment's destructor
// kills and reaps them.
std::vector<pid_t> g_children;

pid_t track(pid_t pid) {
  if (pid > 0) g_children.push_back(pid);
  return pid;
}

void reaped(pid_t pid) {
  g_children.erase(std::remove(g_children.begin(), g_children.end(), pid), g_children.end());
}

// A segment for tic-tac-toe positions, removed (with the test's children) when the test ends.
struct Segment {
  std::shared_ptr<const zp::game::Game> game = zp::game::make_game("tictactoe");
  std::string name = unique_name();
  std::unique_ptr<InferSlots> slots;
  explicit Segment(int num_slots) {
    InferLayout l;
    l.num_slots = num_slots;
    l.slot_positions = kSlotPositions;
    l.obs_size = game->observation_shape().size();
    l.num_actions = game->num_actions();
    slots = InferSlots::create(name, l);
  }
  ~Segment() {
    for (pid_t pid : g_children) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    g_children.clear();
    InferSlots::remove(name);
  }
};

// Scripted "networks" that tell their answers apart: value = sign * obs[0] (uniform policy),
// and a pause before each batch so a test can catch the server mid-batch.
zp::nn::ScriptFn script(float sign) {
  return [sign](const float* obs, const uint8_t*, float*, float* value) { *value = sign * obs[0]; };
}

// Fills a client's request: position i has obs[0] = base + 0.01 i and every move legal.
void fill(InferClient& c, int n, float base) {
  zp::nn::BatchBuffers& b = c.buffers();
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < b.obs_size; ++k) b.obs[i * b.obs_size + k] = 0;
    b.obs[i * b.obs_size] = base + 0.01f * i;
    for (int a = 0; a < b.num_actions; ++a) b.legal[i * b.num_actions + a] = 1;
  }
}

// Whether the answer in `c` is sign * (base + 0.01 i) for each of n positions.
bool answer_is(InferClient& c, int n, float base, float sign) {
  for (int i = 0; i < n; ++i)
    if (std::fabs(c.buffers().value[i] - sign * (base + 0.01f * i)) > 1e-6f) return false;
  return true;
}

// A server process: serves `slots` with the scripted network until killed; each batch first
// sleeps `pause_ms`.
pid_t fork_server(const Segment& seg, float sign, int64_t version, int pause_ms,
                  int64_t max_wait_ns = 1 * kMs) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    auto inner = script(sign);
    zp::nn::ScriptedBackend backend(
        *seg.game, 16, [inner, pause_ms](const float* o, const uint8_t* l, float* p, float* v) {
          if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
          inner(o, l, p, v);
        });
    auto slots = InferSlots::open(seg.name);
    InferBatcher batcher(*slots, backend, 16, max_wait_ns);
    batcher.set_model_version(version);
    for (;;) batcher.serve_once(version, 100 * kMs);
  }
  return track(pid);
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  reaped(pid);
}

// Waits up to `timeout_s` for `pid`; its exit code, 128 + signal, or -1 on timeout.
int wait_exit(pid_t pid, double timeout_s) {
  zp::Stopwatch sw;
  int status = 0;
  while (sw.seconds() < timeout_s) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      reaped(pid);
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

bool wait_for_state(const InferSlots& slots, int slot, SlotState s, double timeout_s) {
  zp::Stopwatch sw;
  while (sw.seconds() < timeout_s) {
    if (slot_state(slots.header(slot).word.load()) == s) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("an inference-slot request is served by a server process and answered",
          "[unit][ipc][infer]") {
  Segment seg(2);
  const pid_t server = fork_server(seg, 1.0f, 7, 0);
  {
    int waits = 0;
    InferClient client(*seg.slots, 1, 1, [&] { ++waits; }, 10);
    CHECK(client.buffers().max_batch == kSlotPositions);
    CHECK(client.buffers().obs == seg.slots->obs(1));  // the search writes into the slot
    for (int round = 0; round < 3; ++round) {
      fill(client, 3, 0.1f * (round + 1));
      client.compute(3);
      CHECK(answer_is(client, 3, 0.1f * (round + 1), 1.0f));
      CHECK(client.model_version() == 7);
      // Uniform over tic-tac-toe's nine moves.
      CHECK(client.buffers().policy[4] == Approx(1.0f / 9));
    }
  }
  kill_and_reap(server);
}

TEST_CASE("the batcher puts several slots into one forward pass up to server.max_batch",
          "[unit][ipc][infer]") {
  Segment seg(3);
  zp::nn::ScriptedBackend backend(*seg.game, 8, script(-1.0f));
  InferBatcher batcher(*seg.slots, backend, 8, 300 * kMs);
  InferClient a(*seg.slots, 0), b(*seg.slots, 1), c(*seg.slots, 2);
  fill(a, 4, 0.1f);
  fill(b, 4, 0.2f);
  fill(c, 3, 0.3f);
  a.submit(0, 4);
  b.submit(0, 4);
  c.submit(0, 3);
  // 4 + 4 fill max_batch 8 and close the batch at once; the third request waits.
  zp::Stopwatch sw;
  CHECK(batcher.serve_once(5, 100 * kMs) == 8);
  CHECK(sw.seconds() < 0.2);
  CHECK(batcher.stats().queue_depth == 3);
  // Alone, it waits server.max_wait for a and b's owners, who might post again.
  CHECK(batcher.serve_once(6, 100 * kMs) == 3);
  CHECK(sw.seconds() >= 0.3);
  CHECK(backend.batch_sizes() == std::vector<int>{8, 3});
  for (InferClient* x : {&a, &b, &c}) CHECK(x->answered(0));
  a.wait(0);
  b.wait(0);
  c.wait(0);
  CHECK(answer_is(a, 4, 0.1f, -1.0f));
  CHECK(answer_is(b, 4, 0.2f, -1.0f));
  CHECK(answer_is(c, 3, 0.3f, -1.0f));
  CHECK(a.model_version() == 5);
  CHECK(c.model_version() == 6);
  // Nothing ready: serve_once returns after its idle wait with nothing done.
  CHECK(batcher.serve_once(6, 20 * kMs) == 0);
  CHECK(batcher.stats().batches == 2);
  CHECK(batcher.stats().evals == 11);
}

TEST_CASE("a request larger than server.max_batch cannot reach the server",
          "[unit][ipc][infer]") {
  Segment seg(1);
  zp::nn::ScriptedBackend backend(*seg.game, 2, script(1.0f));
  CHECK_THROWS_AS(InferBatcher(*seg.slots, backend, 2, kMs), zp::ConfigError);
}

TEST_CASE("slots abandoned by killed clients do not block the server serving others",
          "[unit][ipc][infer]") {
  Segment seg(3);
  // Client 0 submits and is killed before its answer (slot left ready); client 2 is killed
  // while searching (slot idle, owner set). Both are reaped, as the supervisor does.
  for (int slot : {0, 2}) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      auto slots = InferSlots::open(seg.name);
      InferClient c(*slots, slot);
      if (slot == 0) {
        fill(c, 2, 0.5f);
        c.submit(0, 2);
      }
      ::raise(SIGKILL);
    }
    ::waitpid(pid, nullptr, 0);
  }
  CHECK(slot_state(seg.slots->header(0).word.load()) == kSlotReady);
  CHECK(seg.slots->header(2).owner_pid.load() != 0);
  // A long max_wait: if the server counted the dead owners as live it would wait 2 s for them
  // on every batch.
  const pid_t server = fork_server(seg, 1.0f, 3, 0, 2000 * kMs);
  {
    InferClient client(*seg.slots, 1);
    zp::Stopwatch sw;
    for (int round = 0; round < 5; ++round) {
      fill(client, 4, 0.1f + round * 0.1f);
      client.compute(4);
      CHECK(answer_is(client, 4, 0.1f + round * 0.1f, 1.0f));
    }
    // Counting them would take 5 x 2 s; a loaded machine still answers 5 requests in 6 s.
    CHECK(sw.seconds() < 6.0);
  }
  // The dead client's request was served all the same (for nobody), and its owner cleared.
  CHECK(wait_for_state(*seg.slots, 0, kSlotDone, 5));
  CHECK(seg.slots->header(2).owner_pid.load() == 0);
  kill_and_reap(server);
}

TEST_CASE("a server killed mid-batch is replaced and the waiting client gets its answer",
          "[unit][ipc][infer]") {
  Segment seg(2);
  // The client: waits for its answer, exits 0 when it came from the second server (sign -1,
  // version 9), 2 when it came from another, 1 on an exception.
  const pid_t client = track(::fork());
  if (client == 0) {
    int rc = 1;
    try {
      auto slots = InferSlots::open(seg.name);
      InferClient c(*slots, 0);
      fill(c, 3, 0.25f);
      c.compute(3);
      rc = answer_is(c, 3, 0.25f, -1.0f) && c.model_version() == 9 ? 0 : 2;
    } catch (...) {
    }
    ::_exit(rc);
  }
  // The first server takes the request and stalls in its forward pass (60 s per position).
  const pid_t first = fork_server(seg, 1.0f, 8, 60'000);
  REQUIRE(wait_for_state(*seg.slots, 0, kSlotTaken, 10));
  kill_and_reap(first);
  CHECK(slot_state(seg.slots->header(0).word.load()) == kSlotTaken);
  CHECK(wait_exit(client, 0.3) == -1);  // still waiting
  // The replacement turns the taken slot back to ready and serves it.
  const pid_t second = fork_server(seg, -1.0f, 9, 0);
  CHECK(wait_exit(client, 10) == 0);
  kill_and_reap(second);
}

TEST_CASE("a restarted client resets its slot and never gets the dead owner's answer",
          "[unit][ipc][infer]") {
  Segment seg(1);
  // The old owner submits 0.3 and is killed while a slow server (1 s per position) holds it.
  const pid_t old_owner = track(::fork());
  if (old_owner == 0) {
    auto slots = InferSlots::open(seg.name);
    InferClient c(*slots, 0);
    fill(c, 1, 0.3f);
    c.compute(1);
    ::_exit(0);
  }
  const pid_t server = fork_server(seg, 1.0f, 4, 1000);
  REQUIRE(wait_for_state(*seg.slots, 0, kSlotTaken, 10));
  kill_and_reap(old_owner);
  // The restarted owner takes the slot over while the old request is still in the forward.
  InferClient c(*seg.slots, 0);
  fill(c, 1, 0.6f);
  c.compute(1);
  CHECK(answer_is(c, 1, 0.6f, 1.0f));
  kill_and_reap(server);
}

TEST_CASE("a client's pipeline lanes are separate slots served in one batch",
          "[unit][ipc][infer]") {
  Segment seg(3);
  zp::nn::ScriptedBackend backend(*seg.game, 8, script(1.0f));
  InferBatcher batcher(*seg.slots, backend, 8, 1000 * kMs);
  InferClient client(*seg.slots, 1, 2);  // lanes 0 and 1 on slots 1 and 2
  REQUIRE(client.lanes() == 2);
  CHECK(client.lane_buffers(1).obs == seg.slots->obs(2));
  CHECK_THROWS_AS(InferClient(*seg.slots, 2, 2), zp::ConfigError);  // slot 3 does not exist
  for (int lane = 0; lane < 2; ++lane) {
    zp::nn::BatchBuffers& b = client.lane_buffers(lane);
    for (int i = 0; i < 2; ++i) {
      std::fill(b.obs + i * b.obs_size, b.obs + (i + 1) * b.obs_size, 0.0f);
      b.obs[i * b.obs_size] = 0.1f * (lane + 1) + 0.01f * i;
      std::fill(b.legal + i * b.num_actions, b.legal + (i + 1) * b.num_actions, 1);
    }
    client.submit(lane, 2);
  }
  CHECK_FALSE(client.answered(0));
  // Both lanes are every owned slot: the batch closes at once, without the 1 s max_wait.
  zp::Stopwatch sw;
  CHECK(batcher.serve_once(3, 100 * kMs) == 4);
  CHECK(sw.seconds() < 0.5);
  for (int lane = 0; lane < 2; ++lane) {
    client.wait(lane);
    CHECK(client.lane_buffers(lane).value[1] == Approx(0.1f * (lane + 1) + 0.01f));
  }
  client.wait(0);  // nothing outstanding: returns at once
  CHECK(client.model_version() == 3);
}

TEST_CASE("actors.inference: server refuses a request larger than server.max_batch at load",
          "[unit][ipc][infer][config]") {
  const std::string tiny = zp::test::source_dir() + "/config/tiny.yaml";
  // tiny.yaml: 8 games x 2 leaves = 16 positions per request.
  CHECK_NOTHROW(zp::config::load_config(
      tiny, {"actors.inference=server", "server.max_batch=16"}));
  try {
    zp::config::load_config(tiny, {"actors.inference=server", "server.max_batch=15"});
    FAIL("no error");
  } catch (const zp::ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "--set server.max_batch=15: server.max_batch: is 15, smaller than one actor's request "
          "of actors.games_per_actor / actors.pipeline x search.leaves_per_round = 16 positions "
          "(actors.inference: server)");
  }
  // Two pipeline lanes halve the request; lock mode ignores the server's keys.
  CHECK_NOTHROW(zp::config::load_config(
      tiny, {"actors.inference=server", "server.max_batch=8", "actors.pipeline=2"}));
  CHECK_NOTHROW(zp::config::load_config(tiny, {"server.max_batch=1"}));
  CHECK_THROWS_AS(zp::config::load_config(tiny, {"actors.inference=gpu"}), zp::ConfigError);
  CHECK_THROWS_AS(zp::config::load_config(tiny, {"server.max_wait_us=-1"}), zp::ConfigError);
}
