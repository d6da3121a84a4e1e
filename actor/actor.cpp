#include "actor/actor.h"

#include <condition_variable>
#include <memory>
#include <mutex>
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
#include "shared/ipc/curve_keys.h"
#include "shared/ipc/gpu_lock.h"
#include "shared/ipc/infer_client.h"
#include "shared/ipc/infer_slots.h"
#include "shared/ipc/model_store.h"
#include "shared/ipc/stats.h"
#include "shared/model/network_backend.h"
#include "shared/run/role.h"
#include "shared/run/server_slots.h"
#include "shared/selfplay/selfplay.h"

namespace zp::actor {

namespace {

class Actor {
 public:
  Actor(run::Role& role, int index, uint32_t actor_id)
      : role_(role),
        cfg_(role.config()),
        index_(index),
        actor_id_(actor_id),
        gating_(cfg_.evaluator.gating),
        store_(ipc::ModelStore::open(role.ctx().names.models)),
        game_(game::make_game(cfg_.game.name, {cfg_.game.board_size})) {}

  // The backend goes first: its destructor lets pending done hooks (release_lock) run.
  ~Actor() {
    loop_.reset();
    backend_.reset();
  }

  int run();

 private:
  // The store to follow: the latest published model, or the best gated one.
  int64_t read_model(std::string* bytes) const {
    return gating_ ? store_->read_best(bytes) : store_->read_latest(bytes);
  }
  int64_t store_version() const {
    return gating_ ? store_->best_version() : store_->latest_version();
  }
  bool wait_for_first_model();
  void start_backend();
  void attach_server();
  void submit(int lane, int n);
  void release_lock();
  void send(std::vector<data::GameRecord>* finished);
  void wait_for_acks();
  void maybe_swap_model();
  void publish_stats();
  void drain();

  run::Role& role_;
  const config::Config& cfg_;
  const int index_;
  const uint32_t actor_id_;  // in records and acks: index_ on the head, a host's range when joined
  const bool gating_;
  std::unique_ptr<ipc::ModelStore> store_;
  std::shared_ptr<const game::Game> game_;
  uint64_t seed_ = 0;
  std::string bytes_;
  int64_t version_ = 0;
  // actors.inference: server: the run's request slots and this actor's client of them.
  std::unique_ptr<ipc::InferSlots> slots_;
  ipc::InferClient* client_ = nullptr;      // = backend_ in server mode
  model::NetworkBackend* network_ = nullptr;  // = backend_ in lock mode (its own model)
  std::unique_ptr<nn::Backend> backend_;
  std::optional<ipc::GpuLock> lock_;
  // The GPU lock with pipelining (submit()): held from a lane's enqueue until the backend's
  // done hook (another thread) reports its device work finished. lock_mu_ guards lock_held_
  // and the lock's counters, which the hook's unlock() updates.
  std::mutex lock_mu_;
  std::condition_variable lock_cv_;
  bool lock_held_ = false;
  std::unique_ptr<selfplay::SelfPlayLoop> loop_;
  std::unique_ptr<ipc::RecordSender> sender_;
  uint64_t sent_ = 0;
  const size_t max_pending_ = max_pending_records(cfg_);
};

// Waits for the learner's first model (version 1 holds the initial weights). False when a
// stop came first.
bool Actor::wait_for_first_model() {
  Stopwatch waiting;
  while (!stop_requested() && (version_ = read_model(&bytes_)) == 0) {
    role_.beat();
    if (waiting.seconds() > 10) {
      spdlog::info("waiting for the first published model");
      waiting.reset();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return !stop_requested();
}

void Actor::start_backend() {
  seed_ = cfg_.actors.seed ? cfg_.actors.seed * 7919 + actor_id_
                           : static_cast<uint64_t>(now_ns()) ^ (uint64_t(actor_id_) << 32);
  if (cfg_.actors.inference == "server") return attach_server();
  const int capacity = selfplay::SelfPlayLoop::batch_capacity(cfg_);
  // actors.devices spreads the actors over devices (round robin); the lock below follows.
  config::ModelConfig model = cfg_.model;
  model.device = config::actor_device(cfg_, index_);
  auto network = model::make_torch_backend(*game_, model, capacity, "", seed_,
                                           selfplay::SelfPlayLoop::lanes(cfg_));
  network->load_weights(bytes_);
  network_ = network.get();
  backend_ = std::move(network);
  role_.stats().set(role_.slot(), ipc::kModelVersionStart, version_);
  role_.stats().set(role_.slot(), ipc::kModelVersion, version_);
  // The GPU lock serialises forwards of all actors on one device; on the CPU each actor has
  // its own core and locking would only serialise them, so it is used there only on request.
  const bool cuda = network_->device().rfind("cuda", 0) == 0;
  const std::string& mode = cfg_.actors.gpu_lock;
  if (mode == "on" || (mode == "auto" && cuda)) {
    lock_.emplace(role_.ctx().names.gpu_lock_path(network_->device()));
    backend_->set_done_hook([this](int) { release_lock(); });
  }
}

// What the GPU lock covers: a lane's device work, from the enqueue of its copy in, forward
// and copy out until the device has finished them (the done hook, a CUDA host callback or
// the CPU worker, releases it). So actors' batches run on the device one at a time, as
// without pipelining, yet the lock is not held while this actor searches (an actor that held
// it from submit to wait(), across its search of the other group, would keep the device idle
// for the others whenever its search is slower than its forward). An actor has at most one
// lane under the lock: submitting the next waits for the previous lane's device work, which
// the device would run first anyway (one stream), so only that lane's search overlaps it.
void Actor::submit(int lane, int n) {
  if (!lock_) return backend_->submit(lane, n);
  {
    std::unique_lock<std::mutex> l(lock_mu_);
    lock_cv_.wait(l, [this] { return !lock_held_; });
  }
  // Only this thread sets lock_held_, and no hook is pending now: lock outside lock_mu_.
  lock_->lock();
  {
    std::lock_guard<std::mutex> l(lock_mu_);
    lock_held_ = true;
  }
  try {
    backend_->submit(lane, n);
  } catch (...) {
    release_lock();
    throw;
  }
}

void Actor::release_lock() {
  {
    std::lock_guard<std::mutex> l(lock_mu_);
    lock_->unlock();
    lock_held_ = false;
  }
  lock_cv_.notify_all();
}

// actors.inference: server: no model here; the lanes are this actor's request slots (the
// supervisor created the segment before starting anyone). While a request waits, the actor
// keeps beating, so a dead server costs only the delay until its restart.
void Actor::attach_server() {
  slots_ = ipc::InferSlots::open(role_.ctx().names.infer_slots(run::server_device(cfg_)));
  auto client = std::make_unique<ipc::InferClient>(
      *slots_, run::server_slot(cfg_, index_, 0), run::server_lanes(cfg_),
      [this] { role_.beat(); });
  client_ = client.get();
  backend_ = std::move(client);
  // The version the server has loaded, until the first answer says which one served us.
  // Acquire: pairs with the server's release store.
  version_ = std::max(version_, slots_->server_model_version().load(std::memory_order_acquire));
  role_.stats().set(role_.slot(), ipc::kModelVersionStart, version_);
  role_.stats().set(role_.slot(), ipc::kModelVersion, version_);
}

void Actor::send(std::vector<data::GameRecord>* finished) {
  std::string encoded;
  for (const data::GameRecord& r : *finished) {
    encoded.clear();
    data::encode_record(r, &encoded);
    sender_->send(r.sequence, encoded);
    ++sent_;
  }
  finished->clear();
  sender_->poll();
}

// Swaps in a newer model between rounds; games in progress continue with it. In server mode
// the server swaps, and the version of its last answer is the one games record from now on.
void Actor::maybe_swap_model() {
  if (client_) {
    const int64_t v = client_->model_version();
    if (v <= version_) return;
    version_ = v;
    loop_->set_model_version(version_);
    role_.stats().set(role_.slot(), ipc::kModelVersion, version_);
    spdlog::info("served by model v{}", version_);
    return;
  }
  if (store_version() <= version_) return;
  const int64_t v = read_model(&bytes_);
  if (v <= version_) return;
  network_->load_weights(bytes_);
  version_ = v;
  loop_->set_model_version(version_);
  role_.stats().set(role_.slot(), ipc::kModelVersion, version_);
  spdlog::info("switched to model v{}", version_);
}

void Actor::publish_stats() {
  ipc::Stats& stats = role_.stats();
  const int slot = role_.slot();
  const selfplay::LoopStats& s = loop_->stats();
  stats.set(slot, ipc::kPositions, s.positions);
  stats.set(slot, ipc::kGames, s.games);
  stats.set(slot, ipc::kEvals, s.evals);
  stats.set(slot, ipc::kBatches, s.batches);
  if (lock_) {
    std::lock_guard<std::mutex> l(lock_mu_);
    stats.set(slot, ipc::kLockWaitNs, lock_->wait_ns());
    stats.set(slot, ipc::kLockHoldNs, lock_->hold_ns());
  }
  stats.set(slot, ipc::kDeviceBusyNs, backend_->device_busy_ns());
  stats.set(slot, ipc::kRecordsSent, sent_);
  stats.set(slot, ipc::kRecordsAcked, sender_->acked_total());
  stats.set(slot, ipc::kRecordsResent, sender_->resent_total());
  stats.set(slot, ipc::kRecordsPending, sender_->pending());
  role_.beat();
}

// Too many unacknowledged records (actor.h): play nothing until acknowledgements bring them
// under the bound, or a stop comes. Keeps resending and beating meanwhile.
void Actor::wait_for_acks() {
  spdlog::warn("{} records unacknowledged (bound {}: 2 x writer.shard_positions); pausing "
               "self-play until the writer catches up", sender_->pending(), max_pending_);
  Stopwatch paused;
  while (!stop_requested() && sender_->pending() >= max_pending_) {
    sender_->poll();
    publish_stats();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  spdlog::info("resuming self-play after {:.1f} s paused; {} records unacknowledged",
               paused.seconds(), sender_->pending());
}

// Gives the writer the chance to make the last records durable and acknowledge them.
void Actor::drain() {
  Stopwatch draining;
  const double drain_s = cfg_.writer.shard_seconds + 5.0;
  while (sender_->pending() > 0 && draining.seconds() < drain_s) {
    sender_->poll();
    publish_stats();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  publish_stats();
  spdlog::info("actor {} stopping: {} games sent, {} acknowledged, {} unacknowledged", index_,
               sent_, sender_->acked_total(), sender_->pending());
}

int Actor::run() {
  if (!wait_for_first_model()) return 0;
  start_backend();
  spdlog::info("actor {} (record id {}) started: {} games x {} simulations, model v{}, {}{}",
               index_, actor_id_,
               cfg_.actors.games_per_actor, cfg_.search.simulations, version_,
               backend_->describe(), lock_ ? ", GPU lock on" : "");
  loop_ = std::make_unique<selfplay::SelfPlayLoop>(*game_, cfg_, *backend_,
                                                   actor_id_, seed_,
                                                   [this](int lane, int n) { submit(lane, n); });
  // Sequence numbers increase across restarts of this actor: start-time milliseconds in the
  // high bits, a counter in the low 20 (a million games per incarnation).
  loop_->set_next_sequence(static_cast<uint64_t>(unix_time_s() * 1000.0) << 20);
  loop_->set_model_version(version_);
  const run::RunNames& names = role_.ctx().names;
  ipc::CurveClientKeys keys;  // tcp:// is authenticated (shared/ipc/curve_keys.h)
  if (ipc::curve_required(names.records, cfg_.writer.insecure))
    keys = ipc::load_client_keys(role_.ctx().paths().keys_dir());
  sender_ = std::make_unique<ipc::RecordSender>(names.records, names.acks, actor_id_,
                                                cfg_.writer.shard_seconds * 2 + 10, keys);
  std::vector<data::GameRecord> finished;
  Stopwatch since_update;
  while (!stop_requested()) {
    if (sender_->pending() >= max_pending_) wait_for_acks();
    if (stop_requested()) break;
    loop_->round(&finished);
    send(&finished);
    if (since_update.seconds() >= 0.25) {
      since_update.reset();
      publish_stats();
      maybe_swap_model();
    }
  }
  drain();
  return 0;
}

}  // namespace

size_t max_pending_records(const config::Config& cfg) {
  return static_cast<size_t>(kPendingShards) * static_cast<size_t>(cfg.writer.shard_positions);
}

int run_actor(const std::string& run_dir, int index, int64_t actor_id) {
  if (index < 0 || index >= ipc::kMaxActors)
    throw ConfigError("actor --index " + std::to_string(index) + " is out of range 0.." +
                      std::to_string(ipc::kMaxActors - 1));
  if (actor_id < 0) actor_id = index;
  if (actor_id >= ipc::kAnnounceActor)
    throw ConfigError("actor --actor-id " + std::to_string(actor_id) + " is out of range");
  return run::run_role(run_dir, "actor-" + std::to_string(index), ipc::kFirstActorSlot + index,
                       [index, actor_id](run::Role& role) {
                         if (index >= role.config().actors.count)
                           throw ConfigError("actor --index " + std::to_string(index) +
                                             " but actors.count is " +
                                             std::to_string(role.config().actors.count));
                         Actor actor(role, index, static_cast<uint32_t>(actor_id));
                         return actor.run();
                       });
}

}  // namespace zp::actor
