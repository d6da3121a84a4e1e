#include "actor/actor.h"

#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/log.h"
#include "shared/core/signals.h"
#include "shared/data/record.h"
#include "shared/game/registry.h"
#include "shared/ipc/channel.h"
#include "shared/ipc/gpu_lock.h"
#include "shared/ipc/model_store.h"
#include "shared/ipc/run_context.h"
#include "shared/ipc/stats.h"
#include "shared/model/device.h"
#include "shared/model/network_evaluator.h"
#include "shared/selfplay/selfplay.h"

namespace zp::actor {

namespace {

// The store to follow: the latest published model, or the best gated one.
int64_t read_model(const ipc::ModelStore& store, bool gating, std::string* bytes) {
  return gating ? store.read_best(bytes) : store.read_latest(bytes);
}
int64_t model_version(const ipc::ModelStore& store, bool gating) {
  return gating ? store.best_version() : store.latest_version();
}

// Device index of "cuda:N", or -1 for the CPU.
int cuda_index(const std::string& device) {
  return device.rfind("cuda:", 0) == 0 ? std::stoi(device.substr(5)) : -1;
}

}  // namespace

int run_actor(const std::string& run_dir, int index) {
  const ipc::RunContext ctx = ipc::load_run_context(run_dir);
  const config::Config& cfg = ctx.config;
  const std::string role = "actor-" + std::to_string(index);
  init_logging(role, ctx.log_path(role));
  install_stop_handlers();
  ZP_CHECK(index >= 0 && index < cfg.actors.count);

  auto stats = ipc::Stats::open(ctx.names.stats);
  const int slot = ipc::kFirstActorSlot + index;
  stats->set(slot, ipc::kPid, ::getpid());
  stats->heartbeat(slot);
  auto store = ipc::ModelStore::open(ctx.names.models);
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  const bool gating = cfg.evaluator.gating;

  // Wait for the learner's first model (version 1 holds the initial weights).
  std::string bytes;
  int64_t version = 0;
  Stopwatch waiting;
  while (!stop_requested() && (version = read_model(*store, gating, &bytes)) == 0) {
    stats->heartbeat(slot);
    if (waiting.seconds() > 10) {
      spdlog::info("waiting for the first published model");
      waiting.reset();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (stop_requested()) return 0;

  const uint64_t seed = cfg.actors.seed ? cfg.actors.seed * 7919 + index
                                        : static_cast<uint64_t>(now_ns()) ^ (uint64_t(index) << 48);
  const int capacity = selfplay::SelfPlayLoop::batch_capacity(cfg);
  auto evaluator = model::make_torch_evaluator(*game, cfg.model, capacity, "", seed);
  evaluator->load_weights(bytes);
  stats->set(slot, ipc::kModelVersionStart, version);
  stats->set(slot, ipc::kModelVersion, version);

  // The GPU lock serialises forwards of all actors on one device; on the CPU each actor has
  // its own core and locking would only serialise them, so it is used there only on request.
  const int device = cuda_index(evaluator->device());
  const bool use_lock = cfg.actors.gpu_lock == "on" || (cfg.actors.gpu_lock == "auto" && device >= 0);
  std::optional<ipc::GpuLock> lock;
  if (use_lock) lock.emplace(ctx.names.gpu_lock_path(std::max(device, 0)));
  spdlog::info("actor {} started: {} games x {} simulations, model v{}, {}{}", index,
               cfg.actors.games_per_actor, cfg.search.simulations, version, evaluator->describe(),
               use_lock ? ", GPU lock on" : "");

  selfplay::SelfPlayLoop loop(*game, cfg, *evaluator, static_cast<uint32_t>(index), seed,
                              [&](int n) {
                                if (lock) {
                                  ipc::GpuLockGuard guard(*lock);
                                  evaluator->compute(n);
                                } else {
                                  evaluator->compute(n);
                                }
                              });
  // Sequence numbers increase across restarts of this actor: start-time milliseconds in the
  // high bits, a counter in the low 20 (a million games per incarnation).
  loop.set_next_sequence(static_cast<uint64_t>(unix_time_s() * 1000.0) << 20);
  loop.set_model_version(version);

  const double resend_after_s = cfg.writer.shard_seconds * 2 + 10;
  ipc::RecordSender sender(ctx.names, static_cast<uint32_t>(index), resend_after_s);
  std::vector<data::GameRecord> finished;
  std::string encoded;
  uint64_t sent = 0;
  Stopwatch since_update;
  auto publish_stats = [&] {
    const selfplay::LoopStats& s = loop.stats();
    stats->set(slot, ipc::kPositions, s.positions);
    stats->set(slot, ipc::kGames, s.games);
    stats->set(slot, ipc::kEvals, s.evals);
    stats->set(slot, ipc::kBatches, s.batches);
    if (lock) {
      stats->set(slot, ipc::kLockWaitNs, lock->wait_ns());
      stats->set(slot, ipc::kLockHoldNs, lock->hold_ns());
    }
    stats->set(slot, ipc::kRecordsSent, sent);
    stats->set(slot, ipc::kRecordsAcked, sender.acked_total());
    stats->set(slot, ipc::kRecordsResent, sender.resent_total());
    stats->set(slot, ipc::kRecordsPending, sender.pending());
    stats->heartbeat(slot);
  };

  while (!stop_requested()) {
    loop.round(&finished);
    for (const data::GameRecord& r : finished) {
      encoded.clear();
      data::encode_record(r, &encoded);
      sender.send(r.sequence, encoded);
      ++sent;
    }
    finished.clear();
    sender.poll();
    if (since_update.seconds() >= 0.25) {
      since_update.reset();
      publish_stats();
      // Swap in a newer model between rounds; games in progress continue with it.
      if (model_version(*store, gating) > version) {
        const int64_t v = read_model(*store, gating, &bytes);
        if (v > version) {
          evaluator->load_weights(bytes);
          version = v;
          loop.set_model_version(version);
          stats->set(slot, ipc::kModelVersion, version);
          spdlog::info("switched to model v{}", version);
        }
      }
    }
  }

  // Give the writer the chance to make the last records durable and acknowledge them.
  Stopwatch draining;
  const double drain_s = cfg.writer.shard_seconds + 5.0;
  while (sender.pending() > 0 && draining.seconds() < drain_s) {
    sender.poll();
    publish_stats();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  publish_stats();
  spdlog::info("actor {} stopping: {} games sent, {} acknowledged, {} unacknowledged", index,
               sent, sender.acked_total(), sender.pending());
  return 0;
}

}  // namespace zp::actor
