// `zeroplay bench selfplay CONFIG --actors 1,2,4,8 --mode lock,server --seconds S [--json]`:
// aggregate self-play throughput of real actor processes against one fixed model, with no
// learner and no writer, one row per (mode, games per actor, actor count).
//
// For each row the bench sets a run up the way `train` does (supervisor/run_setup.h): a
// temporary run directory with config.yaml and run_id, the stats block, the model store with
// the fixed model published once as version 1. It spawns the actors from this binary's image
// (`zeroplay actor --run-dir DIR --index i`) and is itself the records sink: it receives each
// record on the records channel and acknowledges it at once without writing anything, so the
// actors never hold records back. After all actors made their first batch it discards
// --warmup seconds, then measures --seconds between two stats snapshots (supervisor/status.h:
// the status line's own figures). Rows are measured one after another; each row's processes
// and shared objects are gone before the next starts, also on an error or Ctrl-C.
//
// After the rows, the standalone ceiling: the same network timed in this process with
// `bench inference`'s code (cli/bench_inference.h) at each row's mean batch; the ratio
// evals/s / ceiling says how much of the device's standalone rate self-play reaches.
// It ends with a recommendation: the actors.count and games_per_actor of the row with the
// most positions/s.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "shared/arena/json_line.h"
#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/signals.h"
#include "shared/data/record.h"
#include "shared/data/record_bounds.h"
#include "shared/game/registry.h"
#include "shared/ipc/channel.h"
#include "shared/ipc/stats.h"
#include "shared/model/checkpoint.h"
#include "shared/model/device.h"
#include "shared/model/network_backend.h"
#include "shared/model/trainer.h"
#include "shared/ipc/infer_slots.h"
#include "shared/run/files.h"
#include "shared/run/server_slots.h"
#include "supervisor/run_setup.h"
#include "supervisor/status.h"
#include "cli/bench_inference.h"
#include "cli/commands.h"

namespace fs = std::filesystem;

namespace zp::cli {

namespace {

struct BenchSelfplayOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  std::vector<int> actors{1, 2, 4, 8};
  std::vector<std::string> modes{"lock"};
  std::vector<int> games;  // games_per_actor axis; empty: the config's
  double seconds = 10.0;
  double warmup = 3.0;
  double ceiling_seconds = 2.0;
  double start_timeout = 180.0;
  std::string checkpoint;
  uint64_t seed = 1;
  bool json = false;
};


// One-line errors for bad arguments, before anything starts.
void check_options(const BenchSelfplayOptions& o) {
  if (o.modes.empty()) throw ConfigError("bench selfplay --mode: give lock, server or both");
  for (const std::string& m : o.modes) {
    if (m != "lock" && m != "server")
      throw ConfigError("bench selfplay --mode: unknown mode '" + m + "' (lock or server)");
  }
  if (o.actors.empty()) throw ConfigError("bench selfplay --actors: give at least one count");
  for (int n : o.actors)
    if (n < 1 || n > ipc::kMaxActors)
      throw ConfigError("bench selfplay --actors: " + std::to_string(n) +
                        " actors is out of range 1.." + std::to_string(ipc::kMaxActors));
  for (int g : o.games)
    if (g < 1)
      throw ConfigError("bench selfplay --games: " + std::to_string(g) +
                        " games per actor is out of range (at least 1)");
  auto check_seconds = [](const char* opt, double v, double min) {
    if (!std::isfinite(v) || v < min || v > 86400)
      throw ConfigError(std::string("bench selfplay ") + opt + ": " + std::to_string(v) +
                        " seconds is out of range (" + (min > 0 ? "above 0" : "0 or more") +
                        ", at most 86400)");
  };
  check_seconds("--seconds", o.seconds > 0 ? o.seconds : -1, 1e-9);
  check_seconds("--warmup", o.warmup, 0);
  check_seconds("--ceiling-seconds", o.ceiling_seconds > 0 ? o.ceiling_seconds : -1, 1e-9);
}

// ---- The records sink -----------------------------------------------------------------
// Receives records on the run's records channel (as the writer does) and acknowledges each
// at once with the range of consecutive sequences received from that actor. Twice a second it
// announces its incarnation (as the writer does, so that senders know it before their first
// ack) and re-publishes every range (an ack published before an actor's SUB socket joined is
// lost; shared/ipc/channel.h). Nothing is written. Runs on its own thread, which owns the
// ZeroMQ sockets.
class RecordSink {
 public:
  static constexpr uint64_t kIncarnation = 0x62656e6368ULL;  // "bench"; a row has one sink

  RecordSink(const run::RunNames& names, size_t max_message)
      : records_(names.records), acks_(names.acks), max_message_(max_message) {
    thread_ = std::thread([this] { loop(); });
    while (!ready_.load(std::memory_order_acquire)) std::this_thread::yield();
    if (!error_.empty()) {
      thread_.join();
      throw IoError("bench selfplay: records sink: " + error_);
    }
  }
  ~RecordSink() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
  }
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  void loop();
  void handle(const std::string& msg, ipc::RecordReceiver& receiver);

  const std::string records_, acks_;
  const size_t max_message_;
  std::thread thread_;
  // ready_ is released after error_ is written, so the constructor reads it after acquire.
  std::atomic<bool> ready_{false};
  std::string error_;
  std::atomic<bool> stop_{false};  // relaxed: a flag polled every 50 ms, guards no data
  std::atomic<uint64_t> received_{0}, rejected_{0};  // relaxed: statistics
  std::map<uint32_t, ipc::Ack> ranges_;  // per actor: the current run of sequences (thread's)
};

void RecordSink::loop() {
  std::unique_ptr<ipc::RecordReceiver> receiver;
  try {
    receiver = std::make_unique<ipc::RecordReceiver>(records_, acks_, max_message_);
  } catch (const Error& e) {
    error_ = e.what();
  }
  ready_.store(true, std::memory_order_release);
  if (!receiver) return;
  std::string msg;
  Stopwatch since_republish;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (receiver->receive(&msg, 50)) handle(msg, *receiver);
    if (since_republish.seconds() >= 0.5) {
      since_republish.reset();
      ipc::Ack announce;
      announce.actor_id = ipc::kAnnounceActor;
      announce.writer_incarnation = kIncarnation;  // empty range: acknowledges nothing
      receiver->publish_ack(announce);
      for (const auto& [actor, ack] : ranges_) receiver->publish_ack(ack);
    }
  }
}

void RecordSink::handle(const std::string& msg, ipc::RecordReceiver& receiver) {
  data::GameRecord rec;
  try {
    if (data::record_size(msg) == 0) throw FormatError("message shorter than a record header");
    rec = data::decode_record(msg);
  } catch (const FormatError&) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  received_.fetch_add(1, std::memory_order_relaxed);
  ipc::Ack& ack = ranges_[rec.actor_id];
  const bool known = ack.writer_incarnation != 0;
  if (known && rec.sequence >= ack.durable_from && rec.sequence <= ack.durable_seq) {
    // A resend (the sender had not heard of us when it first sent it): acknowledged again.
  } else if (known && rec.sequence == ack.durable_seq + 1) {
    ack.durable_seq = rec.sequence;  // extends the current run
  } else {
    ack.actor_id = rec.actor_id;
    ack.writer_incarnation = kIncarnation;
    ack.durable_from = ack.durable_seq = rec.sequence;
  }
  receiver.publish_ack(ack);
}

// ---- One row -------------------------------------------------------------------------------
struct Row {
  std::string mode;
  int actors = 0, games_per_actor = 0;
  double seconds = 0;
  int64_t games = 0, positions = 0;
  supervisor::Status status;  // the status line's figures over the measured interval
  bool lock_used = false;
  int ceiling_batch = 0;
  double ceiling_evals_per_s = 0;  // 0: not measured
};

// The processes and shared objects of one row; the destructor tears everything down (actors
// first, with the sink still acknowledging so that they stop without waiting, then the sink,
// the shm objects and the row's directory), also when the row ends in an exception.
class RowRun {
 public:
  RowRun(const config::Config& cfg, const game::Game& game, const std::string& dir,
         const std::string& model_bytes);
  ~RowRun();
  RowRun(const RowRun&) = delete;
  RowRun& operator=(const RowRun&) = delete;

  ipc::Stats& stats() { return *objects_.stats; }
  const run::RunNames& names() const { return names_; }
  // Throws StateError naming the actor (and its log) when one has exited.
  void check_alive();
  int started() const;  // actors that finished their first network batch

 private:
  const config::Config& cfg_;
  const std::string dir_;
  run::RunNames names_;
  supervisor::RunObjects objects_;
  std::unique_ptr<RecordSink> sink_;
  std::vector<pid_t> pids_;  // the actors
  // Server mode: the request slots (kept for the row's life) and the server process.
  std::unique_ptr<ipc::InferSlots> infer_;
  int device_ = 0;
  pid_t server_pid_ = -1;
  bool failed_ = false;  // keep the directory (its logs) for the error message
};

RowRun::RowRun(const config::Config& cfg, const game::Game& game, const std::string& dir,
               const std::string& model_bytes)
    : cfg_(cfg), dir_(dir) {
  const run::RunPaths paths(dir_);
  supervisor::create_run_dirs(paths);
  names_ = supervisor::write_run_identity(dir_, cfg_);
  objects_ = supervisor::create_run_objects(names_, cfg_, game);
  objects_.store->publish_latest(1, model_bytes);
  sink_ = std::make_unique<RecordSink>(names_, data::max_record_bytes(game));
  if (cfg_.actors.inference == "server") {  // the server first, as the supervisor does
    device_ = run::server_device(cfg_);
    infer_ = run::create_server_slots(cfg_, game, names_, device_);
    server_pid_ = supervisor::spawn_role(run::server_role_args(dir_, device_),
                                         paths.out("server-" + std::to_string(device_)));
    objects_.stats->set(ipc::kFirstServerSlot + device_, ipc::kStarts, 1);
  }
  for (int i = 0; i < cfg_.actors.count; ++i) {
    const std::string name = "actor-" + std::to_string(i);
    pids_.push_back(supervisor::spawn_role(
        {"actor", "--run-dir", dir_, "--index", std::to_string(i)}, paths.out(name)));
    objects_.stats->set(ipc::kFirstActorSlot + i, ipc::kStarts, 1);
  }
}

// "exit code N" or "signal NAME" of a waitpid status.
std::string exit_text(int status) {
  return WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                           : std::string("signal ") + strsignal(WTERMSIG(status));
}

void RowRun::check_alive() {
  int status = 0;
  if (server_pid_ > 0 && waitpid(server_pid_, &status, WNOHANG) == server_pid_) {
    server_pid_ = -1;
    failed_ = true;
    const std::string name = "server-" + std::to_string(device_);
    throw StateError("bench selfplay: " + name + " exited (" + exit_text(status) + "); see " +
                     run::RunPaths(dir_).log(name) + " and .out");
  }
  for (size_t i = 0; i < pids_.size(); ++i) {
    if (pids_[i] <= 0 || waitpid(pids_[i], &status, WNOHANG) != pids_[i]) continue;
    pids_[i] = -1;
    failed_ = true;
    const std::string name = "actor-" + std::to_string(i);
    throw StateError("bench selfplay: " + name + " exited (" + exit_text(status) + "); see " +
                     run::RunPaths(dir_).log(name) + " and .out");
  }
}

int RowRun::started() const {
  int n = 0;
  for (int i = 0; i < cfg_.actors.count; ++i)
    n += objects_.stats->get(ipc::kFirstActorSlot + i, ipc::kBatches) > 0;
  return n;
}

// SIGTERM to every pid of `pids`, then waits; SIGKILL for those still there after 20 s.
void stop_processes(std::vector<pid_t>& pids) {
  for (pid_t pid : pids)
    if (pid > 0) kill(pid, SIGTERM);
  Stopwatch sw;
  for (bool alive = true; alive;) {
    alive = false;
    for (pid_t& pid : pids) {
      if (pid <= 0) continue;
      if (waitpid(pid, nullptr, WNOHANG) == pid)
        pid = -1;
      else
        alive = true;
    }
    if (alive && sw.seconds() > 20) {
      for (pid_t& pid : pids)
        if (pid > 0) {
          kill(pid, SIGKILL);
          waitpid(pid, nullptr, 0);
          pid = -1;
        }
      alive = false;
    }
    if (alive) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RowRun::~RowRun() {
  stop_processes(pids_);  // actors first: none is left waiting on a server that has gone
  std::vector<pid_t> server{server_pid_};
  stop_processes(server);
  sink_.reset();
  objects_ = {};
  if (infer_) {
    infer_.reset();
    ipc::InferSlots::remove(names_.infer_slots(device_));
  }
  supervisor::remove_run_objects(names_);
  std::error_code ec;
  if (!failed_) fs::remove_all(dir_, ec);
}

// ---- Measuring -----------------------------------------------------------------------------
void throw_if_interrupted() {
  if (stop_requested()) throw StateError("bench selfplay: interrupted");
}

// Sleeps `seconds` in short steps, watching the actors and Ctrl-C; a progress line on stderr
// every 2 s (from the stats block, since `from`).
void watch(RowRun& run, double seconds, const char* phase, const std::string& label,
           const config::Config& cfg) {
  Stopwatch sw;
  supervisor::Snapshot last = supervisor::take_snapshot(run.stats());
  double next = 2.0;
  while (sw.seconds() < seconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    throw_if_interrupted();
    run.check_alive();
    if (sw.seconds() < next) continue;
    next += 2.0;
    const supervisor::Snapshot cur = supervisor::take_snapshot(run.stats());
    const supervisor::Status st = supervisor::compute_status(
        last, cur, 0, cfg.actors.games_per_actor * cfg.search.leaves_per_round);
    last = cur;
    std::fprintf(stderr, "[bench] %s: %s %.0f/%.0f s: %.0f pos/s, %.0f evals/s, batch %.1f\n",
                 label.c_str(), phase, sw.seconds(), seconds, st.positions_per_s,
                 st.evals_per_s, st.mean_batch);
  }
}

// Waits until every actor made its first batch (model loaded, search running).
void wait_for_actors(RowRun& run, const std::string& label, int actors, double timeout_s) {
  Stopwatch sw;
  double next = 5.0;
  while (run.started() < actors) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    throw_if_interrupted();
    run.check_alive();
    if (sw.seconds() > timeout_s)
      throw StateError("bench selfplay: " + label + ": only " + std::to_string(run.started()) +
                       " of " + std::to_string(actors) + " actors started in " +
                       std::to_string(static_cast<int>(timeout_s)) + " s");
    if (sw.seconds() >= next) {
      next += 5.0;
      std::fprintf(stderr, "[bench] %s: %d of %d actors started (%.0f s)\n", label.c_str(),
                   run.started(), actors, sw.seconds());
    }
  }
}

bool lock_in_use(const config::Config& cfg, const std::string& device) {
  const std::string& m = cfg.actors.gpu_lock;
  return m == "on" || (m == "auto" && device.rfind("cuda", 0) == 0);
}

Row measure_row(const BenchSelfplayOptions& o, const std::string& mode,
                const config::Config& cfg, const game::Game& game, const std::string& dir,
                const std::string& model_bytes, const std::string& device) {
  Row row;
  row.mode = mode;
  row.actors = cfg.actors.count;
  row.games_per_actor = cfg.actors.games_per_actor;
  row.lock_used = row.mode == "lock" && lock_in_use(cfg, device);
  const std::string label = row.mode + " " + std::to_string(row.actors) + " actors x " +
                            std::to_string(row.games_per_actor) + " games";
  RowRun run(cfg, game, dir, model_bytes);
  std::fprintf(stderr, "[bench] %s: starting (run %s in %s)\n", label.c_str(),
               run.names().run_id.c_str(), dir.c_str());
  wait_for_actors(run, label, row.actors, o.start_timeout);
  watch(run, o.warmup, "warm-up", label, cfg);
  const supervisor::Snapshot s0 = supervisor::take_snapshot(run.stats());
  watch(run, o.seconds, "measuring", label, cfg);
  const supervisor::Snapshot s1 = supervisor::take_snapshot(run.stats());
  row.seconds = s1.time_s - s0.time_s;
  row.status = supervisor::compute_status(
      s0, s1, 0, cfg.actors.games_per_actor * cfg.search.leaves_per_round);
  for (int a = 0; a < row.actors; ++a) {
    const int slot = ipc::kFirstActorSlot + a;
    row.games += s1.slots[slot][ipc::kGames] - s0.slots[slot][ipc::kGames];
    row.positions += s1.slots[slot][ipc::kPositions] - s0.slots[slot][ipc::kPositions];
  }
  std::fprintf(stderr, "[bench] %s: %.0f pos/s, %.0f evals/s, batch %.1f; stopping\n",
               label.c_str(), row.status.positions_per_s, row.status.evals_per_s,
               row.status.mean_batch);
  return row;
}

// The batch the row's network calls ran at: the server's in server mode, else the actors'.
double row_batch(const Row& r) {
  return r.status.servers > 0 && r.status.server_mean_batch > 0 ? r.status.server_mean_batch
                                                                : r.status.mean_batch;
}

// The standalone ceiling at each row's (rounded) mean batch, measured once per batch size.
// Returns the network's effective precision.
std::string measure_ceilings(const BenchSelfplayOptions& o, const config::Config& cfg,
                             const game::Game& game, std::vector<Row>* rows) {
  int max_batch = 1;
  for (Row& r : *rows) {
    r.ceiling_batch = std::max(1, static_cast<int>(std::lround(row_batch(r))));
    max_batch = std::max(max_batch, r.ceiling_batch);
  }
  auto evaluator = model::make_torch_backend(game, cfg.model, max_batch, o.checkpoint, o.seed);
  nn::fill_random_positions(game, evaluator->buffers(), max_batch, 12345);
  std::map<int, double> ceiling;
  for (Row& r : *rows) {
    if (r.status.evals_per_s <= 0) continue;
    throw_if_interrupted();
    if (!ceiling.count(r.ceiling_batch)) {
      std::fprintf(stderr, "[bench] ceiling: bench inference at batch %d\n", r.ceiling_batch);
      ceiling[r.ceiling_batch] =
          time_batch(*evaluator, r.ceiling_batch, o.ceiling_seconds).evals_per_s;
    }
    r.ceiling_evals_per_s = ceiling[r.ceiling_batch];
  }
  return evaluator->precision();
}

// The fixed model every actor plays: a checkpoint file, or a fresh network from --seed.
std::string fixed_model_bytes(const BenchSelfplayOptions& o, const config::Config& cfg,
                              const game::Game& game) {
  if (!o.checkpoint.empty()) {
    std::string bytes = model::read_checkpoint_file(o.checkpoint);
    model::check_compatible(model::decode_checkpoint(bytes).meta, game, cfg.model, o.checkpoint);
    return bytes;
  }
  config::LearnerConfig learner = cfg.learner;
  learner.device = "cpu";  // only to make the initial weights; the actors use model.device
  learner.lr_schedule = "constant";
  model::Trainer trainer(game, cfg.model, learner, 0, o.seed);
  return trainer.checkpoint_bytes(1);
}

// ---- Output --------------------------------------------------------------------------------
std::string percent_or_na(bool known, double share) {
  if (!known) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * share);
  return buf;
}

const Row& best_row(const std::vector<Row>& rows) {
  return *std::max_element(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.status.positions_per_s < b.status.positions_per_s;
  });
}

void print_table(const std::vector<Row>& rows, const config::Config& cfg, const game::Game& game,
                 const std::string& device, const std::string& precision) {
  std::printf("bench selfplay: %s, resnet %dx%d, %s %d simulations/move, device %s (%s), "
              "%u cores\n",
              game.name().c_str(), cfg.model.blocks, cfg.model.channels,
              cfg.search.algorithm.c_str(), cfg.search.simulations, device.c_str(),
              precision.c_str(), std::thread::hardware_concurrency());
  std::printf("%-6s %6s %6s %7s %9s %10s %7s %9s %9s %10s %11s %7s\n", "mode", "actors",
              "games", "played", "pos/s", "evals/s", "batch", "lock wait", "dev busy",
              "actor cpu", "ceiling/s", "ratio");
  for (const Row& r : rows) {
    const supervisor::Status& s = r.status;
    char ratio[32] = "n/a";
    if (r.ceiling_evals_per_s > 0)
      std::snprintf(ratio, sizeof(ratio), "%.2f", s.evals_per_s / r.ceiling_evals_per_s);
    std::printf("%-6s %6d %6d %7lld %9.1f %10.0f %7.1f %9s %9s %10.2f %11.0f %7s\n",
                r.mode.c_str(), r.actors, r.games_per_actor, (long long)r.games,
                s.positions_per_s, s.evals_per_s, row_batch(r),
                percent_or_na(r.lock_used, s.lock_wait_share).c_str(),
                percent_or_na(s.device_busy_known, s.device_busy_share).c_str(), s.cpu_actors,
                r.ceiling_evals_per_s, ratio);
  }
  std::printf("(games: per actor; played: games finished while measuring; batch: mean "
              "positions per network call; lock wait: share of actor time waiting for the GPU "
              "lock, n/a when no lock is used; dev busy: device time in forward passes over "
              "wall time, n/a when no process publishes it; actor cpu: cores the actors used; "
              "ceiling/s: bench inference at the row's batch, in this process; ratio: "
              "evals/s over ceiling)\n");
  if (device == "cpu")
    std::printf("(on the CPU the actors share the machine's cores with each other: the "
                "ceiling is one process's rate, and 'dev busy' sums the actors' forward-pass "
                "wall time, which can pass 100%% on several cores)\n");
  const Row& b = best_row(rows);
  std::printf("recommendation: actors.count: %d, actors.games_per_actor: %d (mode %s) gave the "
              "most positions/s here: %.1f\n",
              b.actors, b.games_per_actor, b.mode.c_str(), b.status.positions_per_s);
}

void print_json(const std::vector<Row>& rows, const config::Config& cfg, const game::Game& game,
                const std::string& device, const std::string& precision) {
  arena::Json j;
  j["bench"] = "selfplay";
  j["game"] = game.name();
  j["device"] = device;
  j["precision"] = precision;
  j["cores"] = std::thread::hardware_concurrency();
  j["blocks"] = cfg.model.blocks;
  j["channels"] = cfg.model.channels;
  j["algorithm"] = cfg.search.algorithm;
  j["simulations"] = cfg.search.simulations;
  arena::Json out = arena::Json::array();
  for (const Row& r : rows) {
    const supervisor::Status& s = r.status;
    arena::Json row;
    row["mode"] = r.mode;
    row["actors"] = r.actors;
    row["games_per_actor"] = r.games_per_actor;
    row["seconds"] = r.seconds;
    row["games"] = r.games;
    row["positions"] = r.positions;
    row["positions_per_s"] = s.positions_per_s;
    row["evals_per_s"] = s.evals_per_s;
    row["mean_batch"] = row_batch(r);
    row["lock_wait_share"] = r.lock_used ? arena::Json(s.lock_wait_share) : arena::Json();
    row["device_busy_share"] =
        s.device_busy_known ? arena::Json(s.device_busy_share) : arena::Json();
    row["actor_cpu_cores"] = s.cpu_actors;
    row["server_cpu_cores"] = s.cpu_servers;
    row["ceiling_batch"] = r.ceiling_batch;
    row["ceiling_evals_per_s"] = r.ceiling_evals_per_s;
    row["ceiling_ratio"] =
        r.ceiling_evals_per_s > 0 ? arena::Json(s.evals_per_s / r.ceiling_evals_per_s)
                                  : arena::Json();
    out.push_back(std::move(row));
  }
  j["rows"] = std::move(out);
  const Row& b = best_row(rows);
  j["recommendation"] = {{"actors.count", b.actors},
                         {"actors.games_per_actor", b.games_per_actor},
                         {"mode", b.mode},
                         {"positions_per_s", b.status.positions_per_s}};
  std::printf("%s\n", arena::json_line(j).c_str());
}

// ---- The command ---------------------------------------------------------------------------
std::string make_bench_root() {
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt) {
    char name[64];
    std::snprintf(name, sizeof(name), "zeroplay-bench-%08x", rd());
    const fs::path dir = fs::temp_directory_path() / name;
    std::error_code ec;
    if (fs::create_directory(dir, ec)) return dir.string();
  }
  throw IoError("bench selfplay: cannot create a directory under " +
                fs::temp_directory_path().string());
}

// The row's config: the base with the row's mode, actor count and games per actor; records go
// to the bench's own sink in the row directory (never a configured tcp endpoint).
config::Config row_config(const BenchSelfplayOptions& o, const std::string& mode, int actors,
                          int games) {
  std::vector<std::string> overrides = o.overrides;
  overrides.push_back("actors.count=" + std::to_string(actors));
  if (games > 0) overrides.push_back("actors.games_per_actor=" + std::to_string(games));
  overrides.push_back("writer.endpoint=");
  overrides.push_back("evaluator.enabled=false");
  overrides.push_back("actors.inference=" + mode);
  return config::load_config(o.config_path, overrides);
}

void run_bench_selfplay(const BenchSelfplayOptions& o) {
  check_options(o);
  const config::Config base = row_config(o, o.modes[0], o.actors[0], 0);
  const std::string device = model::resolve_device(base.model.device, "model.device");
  auto game = game::make_game(base.game.name, {base.game.board_size});
  const std::string model_bytes = fixed_model_bytes(o, base, *game);
  install_stop_handlers();
  const std::string root = make_bench_root();
  std::vector<Row> rows;
  std::string precision;
  const std::vector<int> games = o.games.empty() ? std::vector<int>{0} : o.games;
  try {
    for (const std::string& mode : o.modes)
      for (int g : games)
        for (int n : o.actors) {
          const config::Config cfg = row_config(o, mode, n, g);
          const std::string dir = root + "/" + mode + "-" + std::to_string(n) + "x" +
                                  std::to_string(cfg.actors.games_per_actor);
          rows.push_back(measure_row(o, mode, cfg, *game, dir, model_bytes, device));
        }
    precision = measure_ceilings(o, base, *game, &rows);
  } catch (const Error&) {
    std::error_code ec;
    fs::remove(root, ec);  // only when empty: a failed row keeps its logs
    throw;
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  if (o.json)
    print_json(rows, base, *game, device, precision);
  else
    print_table(rows, base, *game, device, precision);
}

}  // namespace

void add_bench_selfplay(CLI::App& bench) {
  auto o = std::make_shared<BenchSelfplayOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "selfplay", "Self-play throughput of real actor processes against a fixed model, per "
                  "mode and actor count, against the standalone inference ceiling");
  cmd->add_option("config", o->config_path, "Config file")->required();
  cmd->add_option("--set", o->overrides, "Override a key: section.key=value");
  cmd->add_option("--actors", o->actors, "Actor counts, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--mode", o->modes, "Inference modes, comma-separated: lock, server")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--games", o->games,
                  "Games per actor, comma-separated (default: actors.games_per_actor)")
      ->delimiter(',');
  cmd->add_option("--seconds", o->seconds, "Measured seconds per row")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Seconds discarded after the actors started")
      ->capture_default_str();
  cmd->add_option("--ceiling-seconds", o->ceiling_seconds,
                  "Seconds per batch size of the standalone ceiling")
      ->capture_default_str();
  cmd->add_option("--start-timeout", o->start_timeout,
                  "Seconds the actors of a row may take to start")
      ->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "Network weights (default: random init)");
  cmd->add_option("--seed", o->seed, "Seed of the random initial weights")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object instead of a table");
  cmd->callback([o] { run_bench_selfplay(*o); });
}

}  // namespace zp::cli
