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
#include "learner/launch.h"
#include "shared/run/files.h"
#include "shared/run/lock.h"
#include "shared/run/names.h"
#include "shared/selfplay/selfplay.h"
#include "shared/run/server_slots.h"
#include "shared/ipc/stats.h"
#include "shared/model/device.h"
#include "shared/model/network_backend.h"
#include "shared/tb/event_log.h"
#include "supervisor/run_setup.h"
#include "supervisor/status.h"

namespace fs = std::filesystem;

namespace zp::supervisor {

namespace {

// While stopping, a line of what is still running every this many seconds.
constexpr double kStopReportS = 3.0;

struct Process {
  std::string name;                // "writer", "actor-3", ...
  std::vector<std::string> args;   // after the binary
  int slot = 0;                    // stats slot; -1 for none (learner ranks > 0)
  int rank = -1;                   // learner rank (data parallel), -1 for other roles
  pid_t pid = -1;
  int starts = 0;
  double started_at = 0;
  double restart_at = 0;           // when to restart after a crash (backoff)
  double backoff_s = 1.0;
  std::deque<double> crashes;      // times of recent crashes
  bool finished = false;           // exited on purpose (learner at max_steps)
  double killed_at = 0;            // when check_heartbeats sent SIGKILL (0 = not sent)
  bool stuck_reported = false;     // "has not exited" logged for this kill
};

// A killed process still there after this long is reported (once): it is stuck in the
// kernel (D state, e.g. I/O on a hung disk) or otherwise cannot exit yet.
constexpr double kStuckReportS = 5.0;

// The state letter of /proc/<pid>/stat ('D', 'Z', 'R', ...), '?' if unreadable.
char proc_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

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
  void spawn(Process& p);
  void spawn_due();
  void spawn_learners();
  void fail_learner_group(const Process& failed);
  void reap();
  void check_heartbeats();
  void report(bool final);
  void stop_all();
  // `tick` (if any) runs every 50 ms while the group stops.
  void stop_group(const std::vector<Process*>& group, double timeout_s,
                  const std::function<void()>& tick = nullptr);
  void keep_writer_up();
  std::string waiting_for(const Process& p) const;
  void report_waiting(const std::vector<Process*>& group, double kill_in_s);
  void kill_all_hard();
  void kill_and_reap(Process& p);
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
  std::vector<std::unique_ptr<Process>> procs_;
  Process* learner_ = nullptr;          // rank 0 of the learners: "the learner"
  std::vector<Process*> learners_;      // every learner rank, rank 0 first
  Process* writer_ = nullptr;
  std::vector<Process*> actors_;
  Stopwatch clock_;
  Snapshot last_;
  std::ofstream metrics_;
  std::unique_ptr<tb::EventLog> tb_;  // tb/supervisor/: each status line's figures as scalars
  bool stopping_ = false;
  int writer_restarts_while_stopping_ = 0;
  Stopwatch stop_clock_;          // since stop_all() began
  double next_wait_report_s_ = 0;  // on stop_clock_
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

void Supervisor::spawn(Process& p) {
  const pid_t pid = spawn_role(p.args, run::RunPaths(run_dir_).out(p.name));
  p.pid = pid;
  p.killed_at = 0;
  p.starts += 1;
  p.started_at = now_s();
  if (p.slot >= 0) {
    stats_->set(p.slot, ipc::kStarts, p.starts);
    // The heartbeat restarts now; an old value must not make the new process look hung.
    stats_->set(p.slot, ipc::kHeartbeatNs, now_ns());
  }
  spdlog::info("started {} (pid {}){}", p.name, pid,
               p.starts > 1 ? " restart #" + std::to_string(p.starts - 1) : "");
}

// Starts every process that is down and due. The learner ranks start together, once all of
// them are down (a group of c10d ranks cannot take back one restarted member).
void Supervisor::spawn_due() {
  const double now = now_s();
  for (auto& p : procs_)
    if (p->rank < 0 && p->pid < 0 && !p->finished && now >= p->restart_at) spawn(*p);
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
    spawn(*p);
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
      kill_and_reap(*p);
    }
    p->restart_at = failed.restart_at;
  }
}

void Supervisor::reap() {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (auto& p : procs_) {
      if (p->pid != pid) continue;
      p->pid = -1;
      const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      const std::string how = WIFEXITED(status)
                                  ? "exit code " + std::to_string(WEXITSTATUS(status))
                                  : std::string("signal ") + strsignal(WTERMSIG(status));
      if (stopping_) break;
      if (clean && p->rank > 0) {
        p->finished = true;  // rank 0 told it to stop; rank 0's own exit decides what next
        break;
      }
      if (clean && p.get() == learner_ && cfg_.train.max_steps > 0 &&
          stats_->get(learner_->slot, ipc::kTrainSteps) >= cfg_.train.max_steps) {
        spdlog::info("learner reached train.max_steps = {}; stopping the run",
                     cfg_.train.max_steps);
        p->finished = true;
        stopping_ = true;
        break;
      }
      const double now = now_s();
      p->crashes.push_back(now);
      while (!p->crashes.empty() && now - p->crashes.front() > 120) p->crashes.pop_front();
      if (p->crashes.size() >= 5) {
        give_up_reason_ = p->name + " crashed " + std::to_string(p->crashes.size()) +
                          " times in 2 minutes (last: " + how + "); see " +
                          run::RunPaths(run_dir_).log(p->name) + " and .out";
        give_up_details_ = last_error_lines(run::RunPaths(run_dir_), p->name);
        stopping_ = true;
        break;
      }
      if (now - p->started_at > 60) p->backoff_s = 1.0;  // it had been running fine
      p->restart_at = now + p->backoff_s;
      spdlog::warn("{} died ({}); restarting in {:.0f} s", p->name, how, p->backoff_s);
      std::printf("[supervisor] %s died (%s); restarting in %.0f s\n", p->name.c_str(),
                  how.c_str(), p->backoff_s);
      std::fflush(stdout);
      p->backoff_s = std::min(p->backoff_s * 2, 30.0);
      if (p->rank >= 0 && learners_.size() > 1) fail_learner_group(*p);
    }
  }
}

void Supervisor::check_heartbeats() {
  const int64_t now = now_ns();
  const double timeout = cfg_.monitor.heartbeat_timeout_s;
  for (auto& p : procs_) {
    if (p->pid <= 0 || p->slot < 0) continue;  // no slot: rank 0 speaks for its group
    if (p->killed_at > 0) {  // killed once already: wait for it, say so once
      const double waited = now_s() - p->killed_at;
      if (!p->stuck_reported && waited > kStuckReportS) {
        const char state = proc_state(p->pid);
        spdlog::error("{} (pid {}) has not exited {:.0f} s after SIGKILL (state {}{}); it is "
                      "restarted once it exits", p->name, p->pid, waited, state,
                      state == 'D' ? ": stuck in the kernel, e.g. on a hung disk" : "");
        std::printf("[supervisor] %s (pid %d) has not exited %.0f s after SIGKILL (state %c)\n",
                    p->name.c_str(), p->pid, waited, state);
        p->stuck_reported = true;
      }
      continue;
    }
    const double silent = (now - stats_->get(p->slot, ipc::kHeartbeatNs)) * 1e-9;
    if (silent > timeout && now_s() - p->started_at > timeout) {
      spdlog::warn("{} (pid {}) sent no heartbeat for {:.0f} s; killing it", p->name, p->pid,
                   silent);
      std::printf("[supervisor] %s hung (no heartbeat for %.0f s); restarting\n",
                  p->name.c_str(), silent);
      kill(p->pid, SIGKILL);
      p->killed_at = now_s();
      p->stuck_reported = false;
    }
  }
}

void Supervisor::report(bool final) {
  const Snapshot cur = take_snapshot(*stats_);
  const Status st = compute_status(last_, cur, clock_.seconds(),
                                   selfplay::SelfPlayLoop::batch_capacity(cfg_));
  last_ = cur;
  std::string line = format_status_line(st);
  int restarts = 0;
  for (auto& p : procs_) restarts += std::max(0, p->starts - 1);
  if (restarts > 0) line += " | restarts " + std::to_string(restarts);
  std::printf("%s%s\n", final ? "[final] " : "", line.c_str());
  std::fflush(stdout);
  const std::string json = format_status_json(st);
  metrics_ << json << "\n";
  metrics_.flush();
  tb_->write_line(json);  // best effort: a failure is one warning, never a stop
}

void Supervisor::stop_group(const std::vector<Process*>& group, double timeout_s,
                            const std::function<void()>& tick) {
  for (Process* p : group)
    if (p->pid > 0) kill(p->pid, SIGTERM);
  Stopwatch sw;
  for (;;) {
    bool alive = false;
    for (Process* p : group) {
      if (p->pid <= 0) continue;
      int status;
      if (waitpid(p->pid, &status, WNOHANG) == p->pid)
        p->pid = -1;
      else
        alive = true;
    }
    if (!alive) return;
    if (stop_clock_.seconds() >= next_wait_report_s_) {
      report_waiting(group, timeout_s - sw.seconds());
      next_wait_report_s_ = stop_clock_.seconds() + kStopReportS;
    }
    if (stop_signal_count() >= 2 || sw.seconds() > timeout_s) {
      for (Process* p : group)
        if (p->pid > 0) {
          spdlog::warn("{} did not stop in time; killing it", p->name);
          kill_and_reap(*p);
        }
      return;
    }
    if (tick) tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
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
  spawn(*writer_);
}

// What a process that has been asked to stop is still doing, as far as the supervisor knows.
std::string Supervisor::waiting_for(const Process& p) const {
  if (&p == learner_) return "the learner's checkpoint";
  if (p.rank > 0) return p.name + " (rank " + std::to_string(p.rank) + ", stops with rank 0)";
  if (&p == writer_) return "the writer flushing its last shard";
  if (p.name == "evaluator") return "the evaluator finishing a match";
  if (p.name.rfind("server-", 0) == 0) return "the inference server finishing a batch";
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
  next_wait_report_s_ = kStopReportS;
  reap();
  keep_writer_up();
  stop_group(actors_, cfg_.writer.shard_seconds + 20, [this] { keep_writer_up(); });
  std::vector<Process*> others;
  for (auto& p : procs_)
    if (p.get() != writer_ && p->rank < 0 &&
        std::find(actors_.begin(), actors_.end(), p.get()) == actors_.end())
      others.push_back(p.get());
  stop_group(others, 30);
  stop_group({writer_}, 30);
  stop_group(learners_, 120);
}

void Supervisor::kill_all_hard() {
  for (auto& p : procs_)
    if (p->pid > 0) kill(p->pid, SIGKILL);
  for (auto& p : procs_)
    if (p->pid > 0) kill_and_reap(*p);
}

// SIGKILL, then up to kStuckReportS for the exit. A process still there (stuck in the kernel)
// is reported once and left behind: the stop goes on rather than block in waitpid for good.
void Supervisor::kill_and_reap(Process& p) {
  kill(p.pid, SIGKILL);
  Stopwatch sw;
  while (waitpid(p.pid, nullptr, WNOHANG) == 0) {
    if (sw.seconds() > kStuckReportS) {
      const char state = proc_state(p.pid);
      spdlog::error("{} (pid {}) has not exited {:.0f} s after SIGKILL (state {}); leaving it",
                    p.name, p.pid, kStuckReportS, state);
      std::printf("[supervisor] %s (pid %d) has not exited %.0f s after SIGKILL (state %c); "
                  "leaving it\n", p.name.c_str(), p.pid, kStuckReportS, state);
      std::fflush(stdout);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.pid = -1;
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
  auto add = [&](const std::string& name, std::vector<std::string> args, int slot) {
    procs_.push_back(std::make_unique<Process>());
    Process& p = *procs_.back();
    p.name = name;
    p.args = std::move(args);
    p.slot = slot;
    return &p;
  };
  writer_ = add("writer", {"writer", "--run-dir", run_dir_}, ipc::kWriterSlot);
  // Data parallel: ranks 1 .. world_size - 1 have no stats slot; spawn_learners sets their
  // arguments (and rank 0's) at every start of the group.
  for (int r = 0; r < cfg_.learner.world_size; ++r) {
    Process* p = add(learner::learner_role_name(r), {"learner", "--run-dir", run_dir_},
                     r == 0 ? ipc::kLearnerSlot : -1);
    p->rank = r;
    learners_.push_back(p);
  }
  learner_ = learners_.front();
  if (cfg_.evaluator.enabled)
    add("evaluator", {"evaluator", "--run-dir", run_dir_}, ipc::kEvaluatorSlot);
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
  spawn_due();

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
    spawn_due();
    check_heartbeats();
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
  if (stop_signal_count() >= 2) {
    kill_all_hard();
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
