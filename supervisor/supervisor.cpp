#include "supervisor/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <optional>
#include <fstream>
#include <memory>
#include <thread>

#include "shared/core/fs.h"
#include "shared/config/config.h"
#include "shared/config/resume.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/log.h"
#include "shared/core/net.h"
#include "shared/core/signals.h"
#include "shared/data/shard.h"
#include "shared/game/registry.h"
#include "shared/ipc/infer_slots.h"
#include "shared/ipc/model_store.h"
#include "shared/run/files.h"
#include "shared/run/lock.h"
#include "shared/run/names.h"
#include "shared/selfplay/selfplay.h"
#include "shared/run/server_slots.h"
#include "shared/ipc/stats.h"
#include "shared/model/device.h"
#include "shared/model/network_backend.h"
#include "shared/tb/event_log.h"
#include "shared/run/hub.h"
#include "learner/launch.h"
#include "supervisor/external_learner.h"
#include "supervisor/hosts_status.h"
#include "supervisor/processes.h"
#include "supervisor/run_setup.h"
#include "supervisor/status.h"

namespace fs = std::filesystem;

namespace zp::supervisor {

namespace {

bool dir_is_nonempty(const std::string& dir) {
  std::error_code ec;
  return fs::exists(dir, ec) && !fs::is_empty(dir, ec);
}

// Every device the roles will use must exist here: model.device (actors, evaluator),
// each of actors.devices, and learner.device. Checked before anything is created or spawned, so that a missing GPU is one
// error line, not roles crashing until the supervisor gives up. "auto" always resolves (to the
// CPU at worst) and is left to the roles, so a CPU config never initialises CUDA here; the
// roles are exec'd, so a driver this query initialises does not reach them.
void check_devices(const config::Config& cfg) {
  std::vector<std::pair<std::string, const char*>> specs = {{cfg.model.device, "model.device"},
                                                            {cfg.learner.device,
                                                             "learner.device"}};
  for (const std::string& device : config::split_device_list(cfg.actors.devices))
    specs.emplace_back(device, "actors.devices");
  for (const auto& [spec, key] : specs)
    if (spec != "auto") model::resolve_device(spec, key);
}

// The last line of `path` that reports an error: a log line at level error or critical, or a
// "...error: ..." / "fatal" line (main's one-line report, the C++ runtime's). Reads at most the
// last 64 KiB. "" when there is none.
std::string last_error_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  in.seekg(std::max<std::streamoff>(0, size - (64 << 10)));
  std::string line, last;
  while (std::getline(in, line)) {
    for (const char* mark : {"] error ", "] critical ", "error: ", "fatal", "terminate called"})
      if (line.find(mark) != std::string::npos) last = line;
  }
  return last;
}

// "  last error in <role>.log: ...\n" and the same for .out, for the give-up message.
std::string last_error_lines(const run::RunPaths& paths, const std::string& role) {
  std::string out;
  for (const auto& [path, ext] : {std::pair<std::string, const char*>{paths.log(role), ".log"},
                                  {paths.out(role), ".out"}}) {
    const std::string line = last_error_line(path);
    out += "  last error in " + role + ext + ": " + (line.empty() ? "(none)" : line) + "\n";
  }
  return out;
}

class Supervisor {
 public:
  Supervisor(const TrainOptions& o) : options_(o) {}
  int run();

 private:
  void prepare_run_dir();
  void create_processes();
  void supervise();
  void reap();
  void on_exit(Process& p, const ExitInfo& exit);
  void spawn_learners_due();
  void spawn_learners();
  void fail_learner_group(const Process& failed);
  void report(bool final);
  void stop_all();
  void stop_group(const std::vector<Process*>& group, double timeout_s,
                  const std::function<void()>& tick = nullptr);
  void keep_writer_up();
  std::string waiting_for(const Process& p) const;
  void report_waiting(const std::vector<Process*>& group, double kill_in_s);
  void cleanup_shm();

  TrainOptions options_;
  config::Config cfg_;
  std::string run_dir_;
  run::RunNames names_;
  std::optional<run::RunLock> lock_;  // held for the supervisor's whole life
  std::unique_ptr<ipc::Stats> stats_;
  std::unique_ptr<ipc::ModelStore> store_;
  // actors.inference: server: the request slots, kept for the whole run so that they outlive
  // restarts of the server and of the actors.
  std::unique_ptr<ipc::InferSlots> infer_;
  std::unique_ptr<ProcessTable> procs_;
  Process* learner_ = nullptr;          // rank 0 of the learners: "the learner"
  std::vector<Process*> learners_;      // every learner rank, rank 0 first
  // learner.launch: external: the ranks are another launcher's (learners_ stays empty).
  std::unique_ptr<ExternalLearner> external_;
  Process* hub_ = nullptr;  // writer.endpoint tcp://: the hub that joined hosts talk to
  Process* writer_ = nullptr;
  std::vector<Process*> actors_;
  Stopwatch clock_;
  Snapshot last_;
  std::ofstream metrics_;
  std::unique_ptr<tb::EventLog> tb_;  // tb/supervisor/: each status line's figures as scalars
  bool stopping_ = false;
  int writer_restarts_while_stopping_ = 0;
  Stopwatch stop_clock_;          // since stop_all() began
  std::string give_up_reason_;
  std::string give_up_details_;   // the role's last error lines
};

void Supervisor::prepare_run_dir() {
  if (options_.resume) {
    if (run_dir_.empty()) throw ConfigError("--resume needs --run-dir");
    const std::string saved = run::RunPaths(run_dir_).config();
    if (!fs::exists(saved)) throw IoError("cannot resume: " + saved + " not found");
    const std::string base = options_.config_path.empty() ? saved : options_.config_path;
    cfg_ = config::load_config(base, options_.overrides);
    // Before config.yaml is overwritten: the run's game, shape and optimizer stay.
    config::check_resume_values(config::resume_fixed_values(config::load_config(saved)), cfg_,
                                saved);
  } else {
    if (options_.config_path.empty()) throw ConfigError("train needs a config file");
    cfg_ = config::load_config(options_.config_path, options_.overrides);
    if (run_dir_.empty()) {
      char stamp[32];
      const std::time_t t = std::time(nullptr);
      std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&t));
      run_dir_ = "runs/" + cfg_.game.name + "-" + stamp;
    }
    if (dir_is_nonempty(run_dir_))
      throw ConfigError("run directory " + run_dir_ +
                        " is not empty; pass --resume to continue that run, or pick another "
                        "--run-dir");
  }
  check_devices(cfg_);  // before anything is created
  create_run_dirs(run::RunPaths(run_dir_));
  lock_.emplace(run_dir_);  // before anything in the directory is written
  names_ = write_run_identity(run_dir_, cfg_);
}

void Supervisor::reap() {
  procs_->reap([this](Process& p, const ExitInfo& exit) { on_exit(p, exit); });
}

// A child exited: the learner at train.max_steps ends the run; any other exit is a crash,
// restarted with backoff until it crashed too often.
void Supervisor::on_exit(Process& p, const ExitInfo& exit) {
  if (stopping_) return;
  if (exit.clean && p.rank > 0) {
    p.finished = true;  // rank 0 told it to stop; rank 0's own exit decides what next
    return;
  }
  if (exit.clean && &p == learner_ && cfg_.train.max_steps > 0 &&
      stats_->get(learner_->slot, ipc::kTrainSteps) >= cfg_.train.max_steps) {
    spdlog::info("learner reached train.max_steps = {}; stopping the run",
                 cfg_.train.max_steps);
    p.finished = true;
    stopping_ = true;
    return;
  }
  if (procs_->record_crash(p, exit)) {
    give_up_reason_ = p.name + " crashed " + std::to_string(p.crashes.size()) +
                      " times in 2 minutes (last: " + exit.how + "); see " +
                      run::RunPaths(run_dir_).log(p.name) + " and .out";
    give_up_details_ = last_error_lines(run::RunPaths(run_dir_), p.name);
    stopping_ = true;
    return;
  }
  if (p.rank >= 0 && learners_.size() > 1) fail_learner_group(p);
}

// The learner ranks start together, once all of them are down and one is due (a group of
// c10d ranks cannot take back one restarted member).
void Supervisor::spawn_learners_due() {
  const double now = now_s();
  bool all_down = true, due = false;
  for (Process* p : learners_) {
    all_down = all_down && p->pid < 0;
    due = due || (!p->finished && now >= p->restart_at);
  }
  if (all_down && due) spawn_learners();
}

// The learner ranks, with a fresh free port for rank 0's TCPStore (model/distributed.h). A
// single learner (learner.world_size 1) gets no rank flags.
void Supervisor::spawn_learners() {
  if (learners_.size() > 1) {
    const std::string port = std::to_string(free_local_tcp_port());
    for (Process* p : learners_) {
      p->args = {"learner", "--run-dir", run_dir_, "--rank", std::to_string(p->rank),
                 "--master-addr", "127.0.0.1", "--master-port", port};
    }
    spdlog::info("starting {} learner ranks, TCPStore on 127.0.0.1:{}", learners_.size(), port);
  }
  for (Process* p : learners_) {
    p->finished = false;
    procs_->spawn(*p);
  }
}

// A learner rank died: the others cannot go on without it (their next collective fails), so
// they are killed now and the group restarts together when the failed rank's backoff ends.
void Supervisor::fail_learner_group(const Process& failed) {
  for (Process* p : learners_) {
    if (p == &failed) continue;
    if (p->pid > 0) {
      spdlog::warn("killing {} (pid {}): its learner group lost {}", p->name, p->pid,
                   failed.name);
      procs_->kill_and_reap(*p);
    }
    p->restart_at = failed.restart_at;
  }
}

void Supervisor::report(bool final) {
  const Snapshot cur = take_snapshot(*stats_);
  const Status st = compute_status(last_, cur, clock_.seconds(),
                                   selfplay::SelfPlayLoop::batch_capacity(cfg_));
  last_ = cur;
  // The joined hosts' reports, read once for the line and for metrics.jsonl.
  const std::vector<run::HostReport> hosts = run::read_host_reports(run::RunPaths(run_dir_));
  const double now_unix = unix_time_s();
  std::string line = format_status_line(st);
  line += hosts_status_part(hosts, now_unix);
  if (external_) line += external_->status_part();
  const int restarts = procs_->restarts();
  if (restarts > 0) line += " | restarts " + std::to_string(restarts);
  std::printf("%s%s\n", final ? "[final] " : "", line.c_str());
  std::fflush(stdout);
  const std::string json = add_hosts_json(format_status_json(st), hosts, now_unix);
  metrics_ << json << "\n";
  metrics_.flush();
  tb_->write_line(json);  // best effort: a failure is one warning, never a stop
}

void Supervisor::stop_group(const std::vector<Process*>& group, double timeout_s,
                            const std::function<void()>& tick) {
  procs_->stop_group(group, timeout_s, tick,
                     [&](double kill_in_s) { report_waiting(group, kill_in_s); });
}

// While the actors stop they drain their unacknowledged records into the writer: a writer that
// is down (dead and waiting out its restart backoff, or dying right now) comes back at once, at
// most three times, unless it is the reason the run gives up.
void Supervisor::keep_writer_up() {
  int status;
  if (writer_->pid > 0 && waitpid(writer_->pid, &status, WNOHANG) == writer_->pid)
    writer_->pid = -1;
  if (writer_->pid > 0 || !give_up_reason_.empty() || writer_restarts_while_stopping_ >= 3)
    return;
  ++writer_restarts_while_stopping_;
  std::printf("[supervisor] restarting the writer now, so the actors can drain into it\n");
  std::fflush(stdout);
  procs_->spawn(*writer_);
}

// What a process that has been asked to stop is still doing, as far as the supervisor knows.
std::string Supervisor::waiting_for(const Process& p) const {
  if (&p == learner_) return "the learner's checkpoint";
  if (p.rank > 0) return p.name + " (rank " + std::to_string(p.rank) + ", stops with rank 0)";
  if (&p == writer_) return "the writer flushing its last shard";
  if (p.name == "evaluator") return "the evaluator finishing a match";
  if (p.name.rfind("server-", 0) == 0) return "the inference server finishing a batch";
  if (&p == hub_) return "the hub telling joined hosts to drain";
  const int64_t pending = stats_->get(p.slot, ipc::kRecordsPending);
  if (pending > 0)
    return p.name + " draining " + std::to_string(pending) + " unacknowledged records";
  return p.name + " finishing a search round";
}

// One line naming the processes of `group` still alive, and when they will be killed.
void Supervisor::report_waiting(const std::vector<Process*>& group, double kill_in_s) {
  std::string what;
  for (const Process* p : group)
    if (p->pid > 0) what += (what.empty() ? "" : ", ") + waiting_for(*p);
  std::printf("[supervisor] stopping for %.0f s: waiting for %s (killed in %.0f s if not done)\n",
              stop_clock_.seconds(), what.c_str(), std::max(0.0, kill_in_s));
  std::fflush(stdout);
}

void Supervisor::stop_all() {
  std::printf("[supervisor] stopping: actors first, then the writer flushes and the learner "
              "saves a checkpoint (Ctrl-C again to kill at once)\n");
  std::fflush(stdout);
  stop_clock_.reset();
  reap();
  keep_writer_up();
  // The hub stops with the actors: it tells the joined hosts to drain their actors into the
  // writer, which stays up meanwhile.
  std::vector<Process*> first = actors_;
  if (hub_) first.push_back(hub_);
  stop_group(first, cfg_.writer.shard_seconds + 20, [this] { keep_writer_up(); });
  std::vector<Process*> others;
  for (auto& p : procs_->all())
    if (p.get() != writer_ && p->rank < 0 &&
        std::find(first.begin(), first.end(), p.get()) == first.end())
      others.push_back(p.get());
  stop_group(others, 30);
  stop_group({writer_}, 30);
  stop_group(learners_, 120);
  if (external_) {
    external_->stop(120, [this](double kill_in_s) {
      std::printf("[supervisor] stopping for %.0f s: waiting for the external learner's "
                  "checkpoint (killed in %.0f s if not done)\n",
                  stop_clock_.seconds(), std::max(0.0, kill_in_s));
      std::fflush(stdout);
    });
  }
}

void Supervisor::cleanup_shm() {
  stats_.reset();
  store_.reset();
  remove_run_objects(names_);
  if (infer_) {
    infer_.reset();
    ipc::InferSlots::remove(names_.infer_slots(run::server_device(cfg_)));
  }
}

// The role processes, in start order: writer, learner, evaluator (when enabled), the
// inference server (actors.inference: server), actors. stop_all stops the actors first, so
// no actor waits on a server that has gone.
void Supervisor::create_processes() {
  procs_ = std::make_unique<ProcessTable>(run::RunPaths(run_dir_), *stats_, "[supervisor]");
  auto add = [&](const std::string& name, std::vector<std::string> args, int slot) {
    return procs_->add(name, std::move(args), slot);
  };
  writer_ = add("writer", {"writer", "--run-dir", run_dir_}, ipc::kWriterSlot);
  // Data parallel: ranks 1 .. world_size - 1 have no stats slot; spawn_learners sets their
  // arguments (and rank 0's) at every start of the group. An external launcher's ranks are
  // watched through rank 0's stats slot instead.
  if (cfg_.learner.launch == "external")
    external_ = std::make_unique<ExternalLearner>(*stats_, ipc::kLearnerSlot, "[supervisor]");
  for (int r = 0; !external_ && r < cfg_.learner.world_size; ++r) {
    Process* p = add(learner::learner_role_name(r), {"learner", "--run-dir", run_dir_},
                     r == 0 ? ipc::kLearnerSlot : -1);
    p->rank = r;
    learners_.push_back(p);
  }
  if (!external_) learner_ = learners_.front();
  if (cfg_.evaluator.enabled)
    add("evaluator", {"evaluator", "--run-dir", run_dir_}, ipc::kEvaluatorSlot);
  if (run::hub_enabled(cfg_)) hub_ = add("hub", {"hub", "--run-dir", run_dir_}, ipc::kHubSlot);
  if (cfg_.actors.inference == "server") {
    const int d = run::server_device(cfg_);
    add("server-" + std::to_string(d), run::server_role_args(run_dir_, d),
        ipc::kFirstServerSlot + d);
  }
  for (int i = 0; i < cfg_.actors.count; ++i)
    actors_.push_back(add("actor-" + std::to_string(i),
                          {"actor", "--run-dir", run_dir_, "--index", std::to_string(i)},
                          ipc::kFirstActorSlot + i));
}

// The loop of a running run: reaps and restarts the roles, watches heartbeats (and an external
// learner), prints the status line, until a stop signal, a give-up or a limit sets stopping_.
void Supervisor::supervise() {
  last_ = take_snapshot(*stats_);
  double next_report = cfg_.monitor.interval_s;
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stop_signal_count() > 0) {
      stopping_ = true;
      break;
    }
    reap();
    if (stopping_) break;
    procs_->restart_due();
    spawn_learners_due();
    procs_->check_heartbeats(cfg_.monitor.heartbeat_timeout_s);
    if (external_ && external_->watch(cfg_.monitor.heartbeat_timeout_s, cfg_.train.max_steps)) {
      stopping_ = true;
      break;
    }
    stats_->heartbeat(ipc::kSupervisorSlot);  // publishes its own resident memory (stats.h)
    if (clock_.seconds() >= next_report) {
      report(false);
      next_report += cfg_.monitor.interval_s;
    }
    if (cfg_.train.max_seconds > 0 && clock_.seconds() >= cfg_.train.max_seconds) {
      std::printf("[supervisor] train.max_seconds = %.0f reached\n", cfg_.train.max_seconds);
      stopping_ = true;
    }
  }
}

int Supervisor::run() {
  run_dir_ = options_.run_dir;
  prepare_run_dir();
  init_logging("supervisor", run::RunPaths(run_dir_).log("supervisor"));
  spdlog::info("resolved config:\n{}", config::to_yaml(cfg_));
  for (const auto& name : run::remove_stale_objects())
    spdlog::info("removed stale shared-memory object {}", name);
  if (cfg_.actors.count > ipc::kMaxActors)
    throw ConfigError("actors.count " + std::to_string(cfg_.actors.count) + " exceeds " +
                      std::to_string(ipc::kMaxActors));
  auto game = game::make_game(cfg_.game.name, {cfg_.game.board_size});
  RunObjects objects = create_run_objects(names_, cfg_, *game);
  stats_ = std::move(objects.stats);
  store_ = std::move(objects.store);
  if (cfg_.actors.inference == "server")
    infer_ = run::create_server_slots(cfg_, *game, names_, run::server_device(cfg_));
  // The start of clock_, so that `zeroplay status` shows the elapsed time this line shows.
  stats_->set(ipc::kSupervisorSlot, ipc::kStartedNs,
              now_ns() - static_cast<int64_t>(clock_.seconds() * 1e9));
  metrics_.open(run::RunPaths(run_dir_).metrics(), std::ios::app);
  tb_ = std::make_unique<tb::EventLog>(run::RunPaths(run_dir_).tb("supervisor"), "supervisor",
                                       tb::status_tag_rules());

  install_stop_handlers();

  create_processes();
  std::printf("[supervisor] run %s in %s: %s, %d actors x %d games, %d simulations/move%s\n",
              names_.run_id.c_str(), run_dir_.c_str(), cfg_.game.name.c_str(), cfg_.actors.count,
              cfg_.actors.games_per_actor, cfg_.search.simulations,
              options_.resume ? " (resumed)" : "");
  std::fflush(stdout);
  for (auto& p : procs_->all())
    if (p->rank < 0) procs_->spawn(*p);
  spawn_learners();
  if (external_) {
    std::printf("[supervisor] %s\n",
                ExternalLearner::launch_hint(run_dir_, cfg_.learner.world_size).c_str());
    std::fflush(stdout);
  }

  supervise();
  if (stop_signal_count() >= 2) {
    procs_->kill_all_hard();
  } else {
    stop_all();
  }
  report(true);
  cleanup_shm();
  if (!give_up_reason_.empty()) {
    std::fprintf(stderr, "zeroplay: error: giving up: %s\n%s", give_up_reason_.c_str(),
                 give_up_details_.c_str());
    return 1;
  }
  std::printf("[supervisor] stopped cleanly; run directory %s\n", run_dir_.c_str());
  return 0;
}

}  // namespace

int run_train(const TrainOptions& options) {
  Supervisor s(options);
  return s.run();
}

}  // namespace zp::supervisor
