#include "server/inference_server.h"

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/log.h"
#include "shared/core/signals.h"
#include "shared/game/registry.h"
#include "shared/ipc/infer_batcher.h"
#include "shared/ipc/infer_slots.h"
#include "shared/ipc/model_store.h"
#include "shared/ipc/stats.h"
#include "shared/model/network_backend.h"
#include "shared/run/role.h"
#include "shared/run/server_slots.h"

namespace zp::server {

namespace {

// How long one serve_once() waits for a first request before the loop beats and looks at the
// model store again.
constexpr int64_t kIdleNs = 100'000'000;

class Server {
 public:
  Server(run::Role& role, int device)
      : role_(role),
        cfg_(role.config()),
        device_(device),
        gating_(cfg_.evaluator.gating),
        store_(ipc::ModelStore::open(role.ctx().names.models)),
        game_(game::make_game(cfg_.game.name, {cfg_.game.board_size})) {}

  int run();

 private:
  int64_t read_model(std::string* bytes) const {
    return gating_ ? store_->read_best(bytes) : store_->read_latest(bytes);
  }
  int64_t store_version() const {
    return gating_ ? store_->best_version() : store_->latest_version();
  }
  bool wait_for_first_model();
  void maybe_swap_model();
  void publish_stats();

  run::Role& role_;
  const config::Config& cfg_;
  const int device_;
  const bool gating_;
  std::unique_ptr<ipc::ModelStore> store_;
  std::shared_ptr<const game::Game> game_;
  std::string bytes_;
  int64_t version_ = 0;
  std::unique_ptr<model::NetworkBackend> backend_;
  std::unique_ptr<ipc::InferSlots> slots_;
  std::optional<ipc::InferBatcher> batcher_;
};

// The learner publishes version 1 (the initial weights) first. False when a stop came first.
bool Server::wait_for_first_model() {
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

// Between batches: a newer model replaces the weights; the next answers carry its version.
void Server::maybe_swap_model() {
  if (store_version() <= version_) return;
  const int64_t v = read_model(&bytes_);
  if (v <= version_) return;
  backend_->load_weights(bytes_);
  version_ = v;
  batcher_->set_model_version(version_);
  role_.stats().set(role_.slot(), ipc::kModelVersion, version_);
  spdlog::info("switched to model v{}", version_);
}

void Server::publish_stats() {
  ipc::Stats& stats = role_.stats();
  const int slot = role_.slot();
  const ipc::BatcherStats& s = batcher_->stats();
  stats.set(slot, ipc::kEvals, s.evals);
  stats.set(slot, ipc::kBatches, s.batches);
  stats.set(slot, ipc::kServerQueueDepth, s.queue_depth);
  stats.set(slot, ipc::kDeviceBusyNs, s.busy_ns);
  role_.beat();
}

int Server::run() {
  if (!wait_for_first_model()) return 0;
  slots_ = ipc::InferSlots::open(role_.ctx().names.infer_slots(device_));
  backend_ = model::make_torch_backend(*game_, cfg_.model, cfg_.server.max_batch, "", 1);
  backend_->load_weights(bytes_);
  batcher_.emplace(*slots_, *backend_, cfg_.server.max_batch,
                   static_cast<int64_t>(cfg_.server.max_wait_us) * 1000);
  batcher_->set_model_version(version_);
  role_.stats().set(role_.slot(), ipc::kModelVersionStart, version_);
  role_.stats().set(role_.slot(), ipc::kModelVersion, version_);
  spdlog::info("inference server {} started: {} slots of {} positions, max_batch {}, max_wait "
               "{} us, model v{}, {}; {} requests taken over from a previous server",
               device_, slots_->layout().num_slots, slots_->layout().slot_positions,
               cfg_.server.max_batch, cfg_.server.max_wait_us, version_, backend_->describe(),
               batcher_->stats().recovered);
  Stopwatch since_update;
  while (!stop_requested()) {
    batcher_->serve_once(version_, kIdleNs);
    if (since_update.seconds() >= 0.25) {
      since_update.reset();
      publish_stats();
      maybe_swap_model();
    }
  }
  publish_stats();
  const ipc::BatcherStats& s = batcher_->stats();
  spdlog::info("inference server {} stopping: {} positions in {} batches ({:.1f} per batch), "
               "{:.1f} s in forward passes", device_, s.evals, s.batches,
               s.batches ? static_cast<double>(s.evals) / s.batches : 0.0, s.busy_ns * 1e-9);
  return 0;
}

}  // namespace

int run_server(const std::string& run_dir, int device) {
  if (device < 0 || device >= ipc::kMaxServers)
    throw ConfigError("server --device " + std::to_string(device) + " is out of range 0.." +
                      std::to_string(ipc::kMaxServers - 1));
  return run::run_role(run_dir, "server-" + std::to_string(device),
                       ipc::kFirstServerSlot + device, [device](run::Role& role) {
                         const config::Config& cfg = role.config();
                         if (cfg.actors.inference != "server")
                           throw ConfigError("server role, but actors.inference is " +
                                             cfg.actors.inference);
                         if (device != run::server_device(cfg))
                           throw ConfigError("server --device " + std::to_string(device) +
                                             " but model.device " + cfg.model.device +
                                             " is served as device " +
                                             std::to_string(run::server_device(cfg)));
                         Server server(role, device);
                         return server.run();
                       });
}

}  // namespace zp::server
