#include "learner/learner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "learner/launch.h"
#include "learner/learner_state.h"
#include "learner/replay.h"
#include "learner/shard_watcher.h"
#include "learner/staleness.h"
#include "shared/run/files.h"
#include "shared/core/fs.h"
#include "shared/config/config.h"
#include "shared/config/resume.h"
#include "shared/core/bytes.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/fault.h"
#include "shared/core/log.h"
#include "shared/core/process.h"
#include "shared/core/rng.h"
#include "shared/core/signals.h"
#include "shared/game/registry.h"
#include "shared/ipc/model_store.h"
#include "shared/run/context.h"
#include "shared/run/role.h"
#include "shared/ipc/stats.h"
#include "shared/model/checkpoint.h"
#include "shared/model/device.h"
#include "shared/model/distributed.h"
#include "shared/model/trainer.h"

namespace zp::learner {

namespace {

constexpr double kPollIntervalS = 0.5;   // how often the shard directory is listed
constexpr double kLogIntervalS = 10.0;   // progress line period
constexpr int kIdleSleepMs = 50;         // sleep while waiting for data (heartbeats continue)
constexpr size_t kShardsPerPoll = 4;     // bounded work per poll, so heartbeats keep flowing
constexpr int kKeepModelFiles = 5;       // model-<v>.zpck files kept on disk
constexpr int kSlot = ipc::kLearnerSlot;
constexpr double kConnectTimeoutS = 60.0;  // all ranks must join the TCPStore within this
constexpr double kOpTimeoutS = 1800.0;     // a collective waiting this long fails: rank 0 hung
                                           // (the supervisor kills a silent rank 0 sooner)

// Data parallel: what rank 0 tells the other ranks before every iteration of its loop. The
// others read `shards` into their windows (in order), then train one step if `train`, or
// return if `stop`. So every rank's window holds the same positions at every step, and every
// rank makes the same number of train_step calls.
struct Command {
  bool stop = false;
  bool train = false;
  double time_progress = 0.0;       // for the trainer's cosine schedule (train.max_seconds)
  std::vector<std::string> shards;  // shard file names rank 0 read since the last command
};

std::string encode_command(const Command& c) {
  std::string out;
  put<uint8_t>(&out, c.stop ? 1 : 0);
  put<uint8_t>(&out, c.train ? 1 : 0);
  put<double>(&out, c.time_progress);
  put<uint32_t>(&out, static_cast<uint32_t>(c.shards.size()));
  for (const std::string& name : c.shards) put_str(&out, name);
  return out;
}

Command decode_command(std::string_view bytes) {
  ByteReader r(bytes, "rank 0's command");
  Command c;
  c.stop = r.get<uint8_t>("stop") != 0;
  c.train = r.get<uint8_t>("train") != 0;
  c.time_progress = r.get<double>("time progress");
  const uint32_t n = r.get<uint32_t>("shard count");
  for (uint32_t i = 0; i < n; ++i) c.shards.push_back(r.str("shard name"));
  return c;
}

class Learner {
 public:
  Learner(run::Role& role, const LearnerRank& rank);
  int run();

 private:
  // Rank 0 alone (the only rank of a single learner) owns the stats slot and the run files.
  void beat() {
    if (leader_) stats_->heartbeat(kSlot);
  }
  void stat_set(ipc::Counter c, int64_t v) {
    if (leader_) stats_->set(kSlot, c, v);
  }
  int lead();
  int follow();
  void send_command(bool stop, bool train, double time_progress);
  void ingest_named(const std::string& name);
  std::unique_ptr<model::Trainer> make_trainer() const;
  void resume_or_start();
  void check_fixed_keys() const;
  bool resume_from_model_file();
  void republish_resumed();
  void restore_version_steps();
  void publish_staleness(int64_t step);
  void refill_window();
  void poll_shards();
  bool over_budget() const;
  void train_one();
  void publish();
  void save_state();
  void finish();
  void update_stats();
  void log_progress();
  double run_seconds() const;
  bool head_gone();

  const run::RunContext ctx_;
  const config::Config& cfg_;
  const LearnerRank rank_;
  const bool leader_;                                 // rank 0
  const std::string device_;                          // this rank's (rank_device)
  const std::shared_ptr<model::Communicator> comm_;   // null for a single learner
  const int world_;                                   // ranks (1 = single learner)
  const std::string ck_dir_;
  const int batch_;        // global batch: learner.batch_size
  const int local_batch_;  // this rank's share: batch_ / world_
  const int publish_every_;
  const int64_t max_steps_;
  const uint64_t seed_;
  std::shared_ptr<const game::Game> game_;
  ipc::Stats* const stats_;  // the role's; null on ranks > 0
  std::unique_ptr<ipc::ModelStore> store_;  // rank 0 only
  std::unique_ptr<model::Trainer> trainer_;
  ReplayWindow window_;
  ShardWatcher watcher_;
  int min_positions_;
  Rng rng_;
  std::vector<float> obs_, policy_, value_;  // one minibatch, reused every step
  std::vector<int64_t> versions_;            // the minibatch's model versions (staleness)
  std::vector<std::string> pending_shards_;  // rank 0: read since the last command
  VersionSteps version_steps_;               // step each model version was published at

  LearnerState state_;         // counters saved with each checkpoint (learner_state.h)
  int64_t published_step_ = -1;  // trainer step of the last publication or resume
  model::TrainStats last_;     // losses of the last step
  double last_staleness_ = -1;  // mean staleness of the last minibatch, -1 = unknown
  double next_poll_s_ = 0.0, next_log_s_ = 0.0;
  int64_t log_step_ = 0;       // step at the previous progress line
  double log_time_s_ = 0.0;
  const int64_t started_ns_ = now_ns();
  double next_head_check_s_ = 0.0;  // learner.launch external: when head_gone() looks next
};

uint64_t learner_seed(const config::Config& cfg) {
  // A fixed actors.seed makes test runs reproducible; otherwise seed from the clock.
  return cfg.actors.seed != 0 ? cfg.actors.seed ^ 0x6c6561726e6572ULL
                              : static_cast<uint64_t>(now_ns());
}

// The device a rank trains on: learner.device resolved; CUDA ranks of a group spread over
// this host's GPUs, local rank r on cuda:(r mod count) (NCCL takes one GPU per rank).
std::string rank_device(const config::Config& cfg, const LearnerRank& r) {
  const std::string device = model::resolve_device(cfg.learner.device, "learner.device");
  if (r.world_size == 1 || device.rfind("cuda", 0) != 0) return device;
  return "cuda:" + std::to_string(r.local_rank % std::max(1, model::cuda_device_count()));
}

// Joins the data-parallel group (blocks until every rank joined, or throws IoError).
std::shared_ptr<model::Communicator> join_group(const LearnerRank& r, const std::string& device) {
  if (r.world_size == 1) return nullptr;
  model::DistOptions o;
  o.rank = r.rank;
  o.world_size = r.world_size;
  o.master_addr = r.master_addr;
  o.master_port = r.master_port;
  o.connect_timeout_s = kConnectTimeoutS;
  o.op_timeout_s = kOpTimeoutS;
  o.device = device;
  o.agent_store = r.agent_store;
  o.store_prefix = r.store_prefix;
  spdlog::info("learner rank {} of {} ({}): joining the group at {}:{}", r.rank, r.world_size,
               r.source, r.master_addr, r.master_port);
  auto comm = std::make_shared<model::Communicator>(o);
  spdlog::info("learner rank {} of {}: joined ({})", r.rank, r.world_size, comm->backend());
  return comm;
}

Learner::Learner(run::Role& role, const LearnerRank& rank)
    : ctx_(role.ctx()),
      cfg_(ctx_.config),
      rank_(rank),
      leader_(rank.rank == 0),
      device_(rank_device(cfg_, rank)),
      comm_(join_group(rank, device_)),
      world_(rank.world_size),
      ck_dir_(ctx_.checkpoints_dir()),
      batch_(cfg_.learner.batch_size),
      local_batch_(batch_ / world_),
      publish_every_(std::max(1, cfg_.learner.publish_every_steps)),
      max_steps_(cfg_.train.max_steps),
      seed_(learner_seed(cfg_)),
      game_(game::make_game(cfg_.game.name, {cfg_.game.board_size})),
      stats_(leader_ ? &role.stats() : nullptr),
      store_(leader_ ? ipc::ModelStore::open(ctx_.names.models) : nullptr),
      trainer_(make_trainer()),
      window_(*game_, cfg_.learner.window_positions,
              static_cast<float>(cfg_.learner.value_target_q)),
      watcher_(ctx_.shards_dir(), *game_),
      // At least one position per rank's share (ReplayWindow::sample).
      min_positions_(std::max(world_, std::min(cfg_.learner.min_positions,
                                               cfg_.learner.window_positions))),
      rng_(seed_ + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(rank.rank)),
      obs_(static_cast<size_t>(local_batch_) * game_->observation_shape().size()),
      policy_(static_cast<size_t>(local_batch_) * game_->num_actions()),
      value_(static_cast<size_t>(local_batch_)),
      versions_(static_cast<size_t>(local_batch_)) {
  ZP_CHECK_EQ(batch_ % world_, 0);  // the config's cross-check
  beat();
  stat_set(ipc::kStalenessMilli, -1);  // unknown until the first step
  if (cfg_.learner.min_positions > cfg_.learner.window_positions)
    spdlog::warn("learner.min_positions {} exceeds learner.window_positions {}; waiting for {}",
                 cfg_.learner.min_positions, cfg_.learner.window_positions, min_positions_);
}

std::unique_ptr<model::Trainer> Learner::make_trainer() const {
  config::LearnerConfig learner = cfg_.learner;
  learner.device = device_;
  return std::make_unique<model::Trainer>(*game_, cfg_.model, learner, max_steps_, seed_, comm_);
}

void Learner::resume_or_start() {
  std::filesystem::create_directories(ck_dir_);
  bool resumed = false;
  if (std::filesystem::exists(run::training_state_path(ck_dir_))) {
    check_fixed_keys();  // a changed optimizer or shape is an error, never a fallback
    try {
      const LearnerState saved = load_learner_state(ck_dir_);
      trainer_->load_training_state(run::training_state_path(ck_dir_));
      if (saved.step != trainer_->step())
        spdlog::warn("learner_state says step {}, training state step {}; using the latter",
                     saved.step, trainer_->step());
      state_ = saved;
      state_.step = trainer_->step();
      resumed = true;
    } catch (const Error& e) {
      // Both files are written atomically, so this takes outside damage. Never fall back to
      // random weights (they would be published as the newest model): continue from the
      // newest model file that loads, or refuse to start.
      spdlog::error("cannot resume from {}: {}", ck_dir_, e.what());
      trainer_ = make_trainer();
      state_ = LearnerState{};
      if (!resume_from_model_file())
        throw StateError("cannot resume: the training state in " + ck_dir_ +
                         " is unreadable and no model-<v>.zpck there loads; refusing to "
                         "train on from random weights");
      resumed = true;
    }
  }
  state_.fixed = config::resume_fixed_values(cfg_);  // saved with every learner_state
  // The step this incarnation starts from, first: rates count the steps made since (status.h).
  stat_set(ipc::kTrainStepsStart, trainer_->step());
  stat_set(ipc::kTrainSteps, trainer_->step());
  // The store (it outlives learner restarts) or the disk may hold newer versions than the
  // saved state: after a failed resume, or a kill between a publish's model file (or its
  // training state) and its learner_state. Versions never go back, and a number never names
  // two sets of weights: a model-<v>.zpck on disk is never overwritten by a later training step.
  state_.version = std::max({state_.version, store_->latest_version(),
                             highest_model_version(ck_dir_)});
  stat_set(ipc::kModelVersion, state_.version);
  if (resumed) {
    spdlog::info("resuming from step {} (model version {}, {} samples trained on {} positions, "
                 "last shard '{}')", trainer_->step(), state_.version, state_.samples_trained,
                 state_.positions_ingested, state_.last_shard);
    restore_version_steps();
    refill_window();
    published_step_ = trainer_->step();
    republish_resumed();
  } else {
    spdlog::info("starting from a fresh network");
    publish();  // version 1 (or the store's next): the random initial weights
  }
}

// After a resume, when the store lacks state_.version (a fresh store after a restarted run, or
// a kill before the store publish): republish the resumed weights under that version if they
// are the ones in checkpoints/model-<version>.zpck; if that file holds a later step (a kill
// between writing it and saving the training state), its number is taken, so the resumed
// weights are published as the next version instead.
void Learner::republish_resumed() {
  if (store_->latest_version() >= state_.version) return;
  bool same = true;
  try {
    same = model::read_checkpoint_meta(ctx_.paths().model_file(state_.version)).training_step ==
           trainer_->step();
  } catch (const Error&) {
    // No such file: state_.version came from the learner state, whose weights these are.
  }
  if (same) {
    store_->publish_latest(state_.version, trainer_->checkpoint_bytes(state_.version));
    version_steps_.record(state_.version, trainer_->step());
    spdlog::info("republished model version {} into the store", state_.version);
    return;
  }
  spdlog::warn("{} was written but never published (a kill mid-publish); the resumed weights "
               "(step {}) become the next version", run::model_file_name(state_.version),
               trainer_->step());
  publish();
}

// The publication step of each version whose data may come back (staleness.h): the saved
// learner_state's lines, then the metas of the model files still on disk (they also cover a
// kill between a model file and its learner_state). Versions above the resumed step are
// forgotten (a fallback resume went back to older weights).
void Learner::restore_version_steps() {
  for (const auto& [version, step] : state_.version_steps) version_steps_.record(version, step);
  for (const int64_t v : model_versions(ck_dir_)) {
    if (version_steps_.step_of(v)) continue;
    try {
      const std::string path = ctx_.paths().model_file(v);
      version_steps_.record(v, model::read_checkpoint_meta(path).training_step);
    } catch (const Error& e) {
      spdlog::warn("no publication step for version {}: {}", v, e.what());
    }
  }
  version_steps_.forget_after_step(trainer_->step());
  spdlog::info("publication steps known for {} model versions", version_steps_.size());
}

// Throws ConfigError naming each key fixed for a run (config/resume.h) that the config now
// sets differently from the saved learner_state. An unreadable learner_state is left to the
// resume, which reports it.
void Learner::check_fixed_keys() const {
  LearnerState saved;
  try {
    saved = load_learner_state(ck_dir_);
  } catch (const Error&) {
    return;
  }
  config::check_resume_values(saved.fixed, cfg_,
                              "the saved learner state " + run::learner_state_path(ck_dir_));
}

// The newest model-<v>.zpck that loads into the trainer, with its step; false if none does.
// The optimizer state (momenta) starts fresh.
bool Learner::resume_from_model_file() {
  for (const int64_t v : model_versions(ck_dir_)) {
    const std::string path = ctx_.paths().model_file(v);
    try {
      const std::string bytes = model::read_checkpoint_file(path);
      const model::CheckpointMeta meta = model::decode_checkpoint(bytes).meta;
      trainer_->load_checkpoint(bytes);
      trainer_->set_step(meta.training_step);
      state_.step = meta.training_step;
      state_.version = meta.model_version;
      spdlog::warn("falling back to {} (step {}, version {}); the optimizer state starts fresh",
                   run::model_file_name(v), meta.training_step, meta.model_version);
      return true;
    } catch (const Error& e) {
      spdlog::warn("{} does not load either: {}", path, e.what());
    }
  }
  return false;
}

void Learner::refill_window() {
  // Shards up to last_shard were trained on before; read the newest of them until the
  // window is full, and only mark the older ones handled. They do not count toward the
  // sample budget again.
  if (state_.last_shard.empty()) return;
  std::vector<std::string> old;
  for (const std::string& name : watcher_.list())
    if (!run::shard_name_less(state_.last_shard, name)) old.push_back(name);
  std::vector<IngestedShard> got;
  uint64_t have = 0;
  for (auto it = old.rbegin(); it != old.rend(); ++it) {
    if (have >= static_cast<uint64_t>(window_.capacity()) || stop_requested()) {
      watcher_.mark_handled(*it);
      continue;
    }
    beat();
    if (auto shard = watcher_.read(*it)) {
      have += shard->positions;
      got.push_back(std::move(*shard));
    }
  }
  for (auto it = got.rbegin(); it != got.rend(); ++it) {
    for (const data::GameRecord& r : it->records) window_.add_record(r);
    if (comm_) pending_shards_.push_back(it->name);
  }
  spdlog::info("refilled the window with {} positions from {} shards", window_.size(),
               got.size());
  update_stats();
}

void Learner::poll_shards() {
  const std::vector<IngestedShard> shards = watcher_.poll(kShardsPerPoll);
  for (const IngestedShard& shard : shards) {
    for (const data::GameRecord& r : shard.records) window_.add_record(r);
    if (comm_) pending_shards_.push_back(shard.name);
    state_.positions_ingested += static_cast<int64_t>(shard.positions);
    state_.last_shard = std::max(state_.last_shard, shard.name, run::shard_name_less);
    spdlog::debug("ingested {}: {} games, {} positions", shard.name, shard.records.size(),
                  shard.positions);
  }
  // A full batch means more may be waiting: look again at once instead of after the interval.
  next_poll_s_ = now_s() + (shards.size() == kShardsPerPoll ? 0.0 : kPollIntervalS);
  update_stats();
}

// Seconds since the supervisor started this invocation of the run (the clock train.max_seconds
// counts), or since this learner started when it runs without one (tests).
double Learner::run_seconds() const {
  const int64_t started = stats_->get(ipc::kSupervisorSlot, ipc::kStartedNs);
  return (now_ns() - (started > 0 ? started : started_ns_)) * 1e-9;
}

bool Learner::over_budget() const {
  const double budget = cfg_.learner.sample_reuse * static_cast<double>(state_.positions_ingested);
  return static_cast<double>(state_.samples_trained + batch_) > budget;
}

// Rank 0: one step of the whole group (the other ranks are told to take theirs first).
void Learner::train_one() {
  const double progress =
      cfg_.train.max_seconds > 0 ? run_seconds() / cfg_.train.max_seconds : 0.0;
  send_command(/*stop=*/false, /*train=*/true, progress);
  if (cfg_.train.max_seconds > 0) trainer_->set_time_progress(progress);
  window_.sample(local_batch_, rng_, obs_.data(), policy_.data(), value_.data(),
                 versions_.data(), rank_.rank, world_);
  publish_staleness(trainer_->step());  // the step these weights are at, before this update
  last_ = trainer_->train_step(obs_.data(), policy_.data(), value_.data(), local_batch_);
  state_.samples_trained += batch_;
  state_.step = trainer_->step();
  update_stats();
  if (state_.step % publish_every_ == 0) publish();
}

// Mean staleness of the minibatch in versions_, trained at `step`: x 1000 into the stats slot,
// -1 when no position's version has a known publication step.
void Learner::publish_staleness(int64_t step) {
  const std::optional<double> mean =
      mean_staleness(version_steps_, step, versions_.data(), local_batch_);
  last_staleness_ = mean ? *mean : -1.0;
  stat_set(ipc::kStalenessMilli, mean ? std::llround(*mean * 1000) : -1);
}

void Learner::publish() {
  const int64_t version = state_.version + 1;
  const std::string bytes = trainer_->checkpoint_bytes(version);
  // Saved with the state below; versions older than every held position are not needed.
  version_steps_.record(version, trainer_->step());
  version_steps_.prune_below(window_.oldest_version());
  state_.version_steps = version_steps_.entries();
  // Disk first, store last (see learner_state.h): the store never runs ahead of the disk.
  write_file_atomic(ctx_.paths().model_file(version), bytes);
  fault_point("learner.model_file_written");  // on disk, training state and store behind
  state_.version = version;
  save_state();
  write_latest(ck_dir_, version);
  store_->publish_latest(version, bytes);
  published_step_ = trainer_->step();
  stat_set(ipc::kModelVersion, version);
  prune_model_files(ck_dir_, kKeepModelFiles);
  spdlog::info("published model version {} at step {} ({} bytes)", version, published_step_,
               bytes.size());
}

void Learner::save_state() {
  state_.step = trainer_->step();
  trainer_->save_training_state(run::training_state_path(ck_dir_));
  fault_point("learner.state_mid_save");  // training_state.pt new, learner_state old
  save_learner_state(ck_dir_, state_);
}

void Learner::finish() {
  if (trainer_->step() != published_step_) {
    publish();
  } else {
    // Same weights as the last publication; the counters (last shard, positions) may have
    // moved on since, so they are saved again.
    save_learner_state(ck_dir_, state_);
  }
  log_progress();
}

void Learner::update_stats() {
  stat_set(ipc::kTrainSteps, trainer_->step());
  stat_set(ipc::kSamplesTrained, state_.samples_trained);
  stat_set(ipc::kPositionsIngested, state_.positions_ingested);
  stat_set(ipc::kWindowPositions, window_.size());
  stat_set(ipc::kLossPolicyMicro, std::llround(last_.policy_loss * 1e6));
  stat_set(ipc::kLossValueMicro, std::llround(last_.value_loss * 1e6));
  stat_set(ipc::kLearningRateNano, std::llround(trainer_->current_lr() * 1e9));
  stat_set(ipc::kShardsSkipped, watcher_.skipped());
}

void Learner::log_progress() {
  const double now = now_s();
  const double dt = now - log_time_s_;
  const double rate = dt > 0 ? (trainer_->step() - log_step_) / dt : 0.0;
  const double reuse = state_.positions_ingested > 0
                           ? double(state_.samples_trained) / state_.positions_ingested
                           : 0.0;
  spdlog::info("step {} ({:.2f} steps/s), loss policy {:.4f} value {:.4f}, lr {:.4g}, window {} "
               "positions, {:.2f} samples/position, version {}, staleness {}, shards skipped {}",
               trainer_->step(), rate, last_.policy_loss, last_.value_loss,
               trainer_->current_lr(), window_.size(), reuse, state_.version,
               last_staleness_ >= 0 ? fmt::format("{:.1f} steps", last_staleness_) : "n/a",
               watcher_.skipped());
  log_step_ = trainer_->step();
  log_time_s_ = now;
  next_log_s_ = now + kLogIntervalS;
}

int Learner::run() {
  spdlog::info("learner for {} on {}, run {}{}", game_->name(), trainer_->device(),
               ctx_.names.run_id,
               comm_ ? fmt::format(", rank {} of {} ({}, {} positions per rank and step)",
                                   rank_.rank, world_, comm_->backend(), local_batch_)
                     : std::string());
  if (leader_) resume_or_start();
  // Every rank starts from rank 0's weights, optimizer state and step (fresh or resumed).
  trainer_->broadcast_state();
  return leader_ ? lead() : follow();
}

// Rank 0's loop (the only rank of a single learner): ingest, train, publish; it tells the
// other ranks what to do at every iteration (send_command).
int Learner::lead() {
  log_step_ = trainer_->step();
  log_time_s_ = now_s();
  next_log_s_ = log_time_s_ + kLogIntervalS;
  bool reached_max = false;
  while (!stop_requested() && !head_gone()) {
    beat();
    if (max_steps_ > 0 && trainer_->step() >= max_steps_) {
      reached_max = true;
      break;
    }
    if (now_s() >= next_poll_s_) poll_shards();
    if (now_s() >= next_log_s_) log_progress();
    if (window_.size() >= min_positions_ && !over_budget()) {
      train_one();
      continue;
    }
    // Waiting for data: not enough positions yet, or the sample budget is spent. The other
    // ranks hear from rank 0 every iteration, so their collectives never wait long.
    send_command(/*stop=*/false, /*train=*/false, 0.0);
    const int64_t t0 = now_ns();
    const double until_poll = std::max(0.0, next_poll_s_ - now_s());
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min<int64_t>(kIdleSleepMs, 1 + int64_t(until_poll * 1e3))));
    stats_->add(kSlot, ipc::kLearnerWaitingNs, now_ns() - t0);
  }
  if (reached_max) spdlog::info("reached train.max_steps = {}", max_steps_);
  else spdlog::info("stop requested at step {}", trainer_->step());
  send_command(/*stop=*/true, /*train=*/false, 0.0);
  finish();
  spdlog::info("learner done at step {}, model version {}", trainer_->step(), state_.version);
  return 0;
}

// learner.launch external: rank 0 is not the supervisor's child (no parent-death signal), so
// it looks once a second whether the head (`zeroplay train`, its pid in the stats block) still
// runs; when it is gone (killed, or stopped without reaching this rank), the group stops as at
// Ctrl-C: a final publication and checkpoint, then exit 0. A resumed head waits for a new rank 0.
bool Learner::head_gone() {
  if (cfg_.learner.launch != "external" || now_s() < next_head_check_s_) return false;
  next_head_check_s_ = now_s() + 1.0;
  const int64_t head = stats_->get(ipc::kSupervisorSlot, ipc::kPid);
  if (process_alive(head)) return false;
  spdlog::warn("the head of run {} (zeroplay train, pid {}) is gone; stopping", ctx_.names.run_id,
               head);
  return true;
}

// Ranks > 0: do what rank 0 says until it says stop. They write no run files and no stats;
// a stop signal is left to rank 0 (the group stops together). A dead rank 0 makes the next
// collective throw, so a follower never outlives its group for long.
int Learner::follow() {
  double next_log = now_s() + kLogIntervalS;
  for (;;) {
    std::string bytes;
    comm_->broadcast_bytes(&bytes);
    const Command c = decode_command(bytes);
    for (const std::string& name : c.shards) ingest_named(name);
    if (c.stop) break;
    if (!c.train) continue;
    if (cfg_.train.max_seconds > 0) trainer_->set_time_progress(c.time_progress);
    window_.sample(local_batch_, rng_, obs_.data(), policy_.data(), value_.data(), nullptr,
                   rank_.rank, world_);
    last_ = trainer_->train_step(obs_.data(), policy_.data(), value_.data(), local_batch_);
    if (now_s() >= next_log) {
      spdlog::info("rank {}: step {}, loss policy {:.4f} value {:.4f} (mean over ranks), "
                   "window {} positions", rank_.rank, trainer_->step(), last_.policy_loss,
                   last_.value_loss, window_.size());
      next_log = now_s() + kLogIntervalS;
    }
  }
  spdlog::info("rank {}: stopped by rank 0 at step {}", rank_.rank, trainer_->step());
  return 0;
}

// Rank 0 with other ranks: broadcasts one Command (the shards read since the last one
// included). A no-op for a single learner.
void Learner::send_command(bool stop, bool train, double time_progress) {
  if (!comm_) return;
  Command c;
  c.stop = stop;
  c.train = train;
  c.time_progress = time_progress;
  c.shards = std::move(pending_shards_);
  pending_shards_.clear();
  std::string bytes = encode_command(c);
  comm_->broadcast_bytes(&bytes);
}

// Ranks > 0: reads a shard that rank 0 read into its window. Shards are immutable once
// renamed into place, so one that rank 0 read and this rank cannot is outside damage (or a
// run directory that is not shared): the windows would differ, so this rank dies loudly.
void Learner::ingest_named(const std::string& name) {
  std::optional<IngestedShard> shard = watcher_.read(name);
  if (!shard)
    throw StateError("learner rank " + std::to_string(rank_.rank) + ": shard " + name +
                     " that rank 0 read does not read here (see the warning above); the "
                     "ranks' replay windows would differ");
  for (const data::GameRecord& r : shard->records) window_.add_record(r);
}

// learner.launch external: rank 0 reports in the run's stats block and publishes into its model
// store, both in this host's shared memory, so it must run beside the head. A launcher may start
// it first: it waits (one line) up to monitor.heartbeat_timeout_s for a live head, then gives
// up. A second live rank 0 of the run is refused (two learners would publish over each other).
void wait_for_head(const run::RunContext& ctx) {
  const double timeout_s = ctx.config.monitor.heartbeat_timeout_s;
  const std::string id = ctx.names.run_id;
  const int64_t started = now_ns();
  bool said = false;
  for (;;) {
    std::unique_ptr<ipc::Stats> stats;
    try {
      stats = ipc::Stats::open(ctx.names.stats);
    } catch (const Error&) {
      // Not created yet (or being replaced by a resumed head): wait.
    }
    if (stats && process_alive(stats->get(ipc::kSupervisorSlot, ipc::kPid))) {
      const int64_t other = stats->get(kSlot, ipc::kPid);
      if (other != ::getpid() && process_alive(other))
        throw StateError("learner rank 0 of run " + id + " is already running on this host (pid " +
                         std::to_string(other) + "); stop it first");
      if (said) std::fprintf(stderr, "[learner] found the head of run %s\n", id.c_str());
      return;
    }
    const double waited = (now_ns() - started) / 1e9;
    if (waited >= timeout_s)
      throw StateError("learner rank 0: no `zeroplay train` of run " + id + " runs on this " +
                       "host (waited " + std::to_string(std::lround(waited)) + " s); with " +
                       "learner.launch: external, start the head first and rank 0 on its host");
    if (!said) {
      std::fprintf(stderr,
                   "[learner] waiting for the head of run %s (zeroplay train) on this host, up to "
                   "%.0f s: with learner.launch: external, rank 0 runs beside it\n",
                   id.c_str(), timeout_s);
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

int run_learner(const std::string& run_dir, const RankFlags& flags) {
  // The rank decides the role's name and stats slot, so it is resolved before run_role (from
  // the run's config, which run_role loads again).
  const run::RunContext ctx = run::load_run_context(run_dir);
  const LearnerRank rank = resolve_learner_rank(ctx.config, flags);
  if (rank.rank == 0 && ctx.config.learner.launch == "external") wait_for_head(ctx);
  return run::run_role(run_dir, learner_role_name(rank.rank), rank.rank == 0 ? kSlot : -1,
                       [&rank](run::Role& role) {
                         Learner learner(role, rank);
                         return learner.run();
                       });
}

}  // namespace zp::learner
