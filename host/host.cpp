#include "host/host.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

#include <spdlog/sinks/sink.h>

#include "host/relay.h"
#include "host/setup.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "shared/core/log.h"
#include "shared/core/parse.h"
#include "shared/core/signals.h"
#include "shared/config/resume.h"
#include "shared/game/registry.h"
#include "shared/ipc/curve_keys.h"
#include "shared/ipc/request.h"
#include "shared/run/hub.h"
#include "shared/run/lock.h"
#include "shared/run/names.h"
#include "shared/run/server_slots.h"
#include "supervisor/processes.h"
#include "supervisor/run_setup.h"

namespace zp::host {

namespace {

constexpr int kCallMs = 2500;         // one request to the hub
constexpr double kGraceS = 6.0;       // unanswered this long: the head counts as down (a busy
                                      // head on a loaded machine may miss one request)
constexpr double kBeatS = 1.0;        // BEAT period
constexpr double kModelPollS = 0.5;   // MODEL period while the head answers
constexpr double kDownRetryS = 2.0;   // while it does not: one request this often
constexpr double kWaitLineS = 10.0;   // "waiting for head" at most this often

class Host {
 public:
  explicit Host(JoinOptions o) : o_(std::move(o)), paths_(o_.run_dir) {}
  ~Host();
  int run();

 private:
  bool hello();
  bool hello_once();
  std::string run_difference(const std::string& head_yaml) const;
  void start(const std::string& head_yaml);
  void loop();
  bool talk(const ipc::Frames& request, ipc::Frames* reply);
  void beat();
  run::HostReport report();
  void print_status();
  void waiting_line();
  void stop_actors();
  void say(const std::string& line) const;

  const JoinOptions o_;
  const run::RunPaths paths_;
  std::optional<run::RunLock> lock_;
  std::unique_ptr<ipc::RequestClient> client_;
  config::Config cfg_;
  run::RunNames names_;
  int host_id_ = 0;
  uint32_t actor_base_ = 0;
  std::unique_ptr<ipc::Stats> stats_;
  std::unique_ptr<ipc::ModelStore> store_;
  // actors.inference: server: the request slots and the server process, as the head has them.
  std::unique_ptr<ipc::InferSlots> infer_;
  supervisor::Process* server_ = nullptr;
  std::unique_ptr<ModelRelay> relay_;
  std::unique_ptr<supervisor::ProcessTable> procs_;
  std::vector<supervisor::Process*> actors_;
  bool head_up_ = false;
  bool head_stopping_ = false;
  bool need_hello_ = false;
  std::string give_up_;
  std::string run_id_;  // the head's run this host joined (HELLO's WELCOME)
  Stopwatch since_answer_;      // since the head last answered
  double next_wait_line_ = 0;   // on since_answer_
  int64_t last_positions_ = 0;
  Stopwatch since_rate_;
  double rate_ = 0;
  int64_t last_model_version_ = 0;
};

Host::~Host() {
  if (!stats_) return;
  stats_.reset();
  store_.reset();
  supervisor::remove_run_objects(names_);
  if (infer_) {
    infer_.reset();
    ipc::InferSlots::remove(names_.infer_slots(run::server_device(cfg_)));
  }
}

// A line for the user on stdout, and into logs/join.log (the console gets only warnings
// from spdlog, so nothing shows twice).
void Host::say(const std::string& line) const {
  std::printf("[join] %s\n", line.c_str());
  std::fflush(stdout);
  spdlog::info("{}", line);
}

void Host::waiting_line() {
  if (since_answer_.seconds() < next_wait_line_) return;
  next_wait_line_ = since_answer_.seconds() + kWaitLineS;
  if (client_->refused())
    throw IoError("the head at " + o_.endpoint + " refused this host's CURVE key: add " +
                  o_.keys_dir + "/actor.public to the head's <run_dir>/keys/authorized/ (or "
                  "use the head's keys/actor.* pair)");
  const std::string line = "waiting for head at " + o_.endpoint + " (hub " +
                           run::hub_endpoint(o_.endpoint) + "): no answer for " +
                           std::to_string(static_cast<int>(since_answer_.seconds())) + " s" +
                           (host_id_ == 0 ? " (is the head running, and is ENDPOINT its "
                                            "writer.endpoint?)" : "");
  say(line);
}

// One request; a timeout marks the head down (and says so, at most every kWaitLineS).
bool Host::talk(const ipc::Frames& request, ipc::Frames* reply) {
  if (client_->call(request, reply, kCallMs)) {
    if (!head_up_ && host_id_ > 0) say("head at " + o_.endpoint + " answers again");
    head_up_ = true;
    since_answer_.reset();
    next_wait_line_ = 0;
    return true;
  }
  if (head_up_ && since_answer_.seconds() < kGraceS) return false;  // slow, not down
  if (head_up_) spdlog::info("the head at {} stopped answering", o_.endpoint);
  head_up_ = false;
  if (!stop_requested()) waiting_line();
  return false;
}

// HELLO until WELCOME, or false at a stop.
bool Host::hello() {
  while (!stop_requested()) {
    if (hello_once()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// One HELLO: starts everything at the first WELCOME; restarts the actors when a restarted
// head brings a different config. False when the head did not answer.
bool Host::hello_once() {
  ipc::Frames r;
  if (!talk({"HELLO", o_.name, std::to_string(o_.actors), std::to_string(host_id_)}, &r))
    return false;
  if (r.size() == 2 && r[0] == "ERROR") throw ConfigError("the head refused to join: " + r[1]);
  if (r.size() != 5 || r[0] != "WELCOME")
    throw IoError("the head answered HELLO with '" + (r.empty() ? "" : r[0].substr(0, 40)) +
                  "'");
  host_id_ = static_cast<int>(parse_int(r[1]).value_or(0));
  actor_base_ = static_cast<uint32_t>(parse_uint(r[2]).value_or(0));
  spdlog::info("joined run {} as host {} (actor ids from {})", r[3], host_id_, actor_base_);
  if (stats_ && r[3] != run_id_) {
    // Another run answers at this endpoint (the same keys, a new `train`): its records and
    // models are not this host's run's, and its game or network may differ. Never mix them.
    give_up_ = "the head at " + o_.endpoint + " now runs another run (" + r[3] + ", " +
               run_difference(r[4]) + "); this host joined run " + run_id_ +
               ". Start a new join for the new run";
    return true;
  }
  run_id_ = r[3];
  if (!stats_) {
    say("joined run " + r[3] + " at " + o_.endpoint + " as host-" + std::to_string(host_id_) +
        " with " + std::to_string(o_.actors) + " actors (actor ids from " +
        std::to_string(actor_base_) + "); run directory " + o_.run_dir);
    start(r[4]);
  } else if (config::Config head = host_config(r[4], o_);
             config::to_yaml(head) != config::to_yaml(cfg_)) {
    // A restarted head with other settings (the YAML's source line aside, which names the
    // head's file): this host never runs with a config other than the head's.
    say("the head's config changed; restarting the actors with it");
    write_file_atomic(paths_.config(), config::to_yaml(head));
    cfg_ = std::move(head);
    stop_actors();
    for (auto* a : actors_) procs_->spawn(*a);
  }
  need_hello_ = false;
  return true;
}

// How the head's config `head_yaml` differs from this host's in the keys a run cannot change
// (game, model shape; shared/config/resume.h), or "the same game and network".
std::string Host::run_difference(const std::string& head_yaml) const {
  std::string diff;
  const config::Config head = host_config(head_yaml, o_);
  const auto ours = config::resume_fixed_values(cfg_);
  for (const auto& [key, value] : config::resume_fixed_values(head)) {
    if (key.rfind("game.", 0) != 0 && key.rfind("model.", 0) != 0) continue;
    for (const auto& [our_key, our_value] : ours)
      if (our_key == key && our_value != value)
        diff += (diff.empty() ? "" : ", ") + key + " '" + value + "' instead of '" + our_value +
                "'";
  }
  return diff.empty() ? "the same game and network" : diff;
}

// The local run: config, run id, shared objects, the relay and the actors.
void Host::start(const std::string& head_yaml) {
  cfg_ = host_config(head_yaml, o_);
  write_file_atomic(paths_.config(), config::to_yaml(cfg_));
  names_ = run::RunNames::make(run::new_run_id(), o_.run_dir, cfg_.writer.endpoint);
  write_file_atomic(paths_.run_id(), names_.run_id + "\n");
  spdlog::info("host config:\n{}", config::to_yaml(cfg_));
  auto game = game::make_game(cfg_.game.name, {cfg_.game.board_size});
  supervisor::RunObjects objects = supervisor::create_run_objects(names_, cfg_, *game);
  stats_ = std::move(objects.stats);
  store_ = std::move(objects.store);
  relay_ = std::make_unique<ModelRelay>(*client_, *store_,
                                        cfg_.evaluator.gating ? "best" : "latest");
  relay_->step(kCallMs);  // the current model, before the actors start waiting for one
  procs_ = std::make_unique<supervisor::ProcessTable>(paths_, *stats_, "[join]");
  if (cfg_.actors.inference == "server") {  // the server first, as the supervisor does
    const int d = run::server_device(cfg_);
    infer_ = run::create_server_slots(cfg_, *game, names_, d);
    server_ = procs_->add("server-" + std::to_string(d), run::server_role_args(o_.run_dir, d),
                          ipc::kFirstServerSlot + d);
    procs_->spawn(*server_);
  }
  for (int i = 0; i < o_.actors; ++i)
    actors_.push_back(procs_->add(
        "actor-" + std::to_string(i),
        {"actor", "--run-dir", o_.run_dir, "--index", std::to_string(i), "--actor-id",
         std::to_string(actor_base_ + static_cast<uint32_t>(i))},
        ipc::kFirstActorSlot + i));
  for (auto* a : actors_) procs_->spawn(*a);
}

run::HostReport Host::report() {
  run::HostReport r;
  r.host_id = host_id_;
  r.name = o_.name;
  r.actors = o_.actors;
  r.model_version = -1;
  for (const supervisor::Process* a : actors_) {
    r.actors_alive += a->pid > 0;
    r.positions += stats_->get(a->slot, ipc::kPositions);
    r.pending += stats_->get(a->slot, ipc::kRecordsPending);
    r.acked += stats_->get(a->slot, ipc::kRecordsAcked);
    const int64_t v = stats_->get(a->slot, ipc::kModelVersion);
    if (a->pid > 0 && (r.model_version < 0 || v < r.model_version)) r.model_version = v;
  }
  // No actor running (stopped, or all restarting): the version they used last.
  if (r.model_version < 0) r.model_version = last_model_version_;
  last_model_version_ = r.model_version;
  r.relayed_version = relay_->relayed_version();
  // An actor's positions restart from 0 when it restarts: the rate never goes negative.
  const double dt = since_rate_.seconds();
  if (dt >= 0.5) {
    rate_ = std::max<int64_t>(0, r.positions - last_positions_) / dt;
    last_positions_ = r.positions;
    since_rate_.reset();
  }
  r.positions_per_s = rate_;
  return r;
}

void Host::beat() {
  ipc::Frames r;
  if (!talk({"BEAT", std::to_string(host_id_), run::host_report_json(report())}, &r)) return;
  if (r.size() == 1 && r[0] == "STOP" && !head_stopping_) {
    head_stopping_ = true;
    say("the head is stopping: stopping the actors (they drain their records first)");
  } else if (r.size() == 1 && r[0] == "UNKNOWN") {
    need_hello_ = true;
  }
}

void Host::print_status() {
  const run::HostReport r = report();
  char line[256];
  std::snprintf(line, sizeof(line),
                "host-%d: %d/%d actors, %.1f pos/s, %lld positions, model v%lld (relayed v%lld), "
                "pending %lld, acknowledged %lld, head %s",
                host_id_, r.actors_alive, r.actors, r.positions_per_s,
                static_cast<long long>(r.positions), static_cast<long long>(r.model_version),
                static_cast<long long>(r.relayed_version), static_cast<long long>(r.pending),
                static_cast<long long>(r.acked), head_up_ ? "ok" : "not answering");
  say(line);
}

// Supervises the actors, relays models and reports, until the head stops or a stop signal.
void Host::loop() {
  Stopwatch since_beat, since_model, since_status;
  while (!stop_requested() && !head_stopping_ && give_up_.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    procs_->reap([this](supervisor::Process& p, const supervisor::ExitInfo& e) {
      if (procs_->record_crash(p, e))
        give_up_ = p.name + " crashed 5 times in 2 minutes (last: " + e.how + "); see " +
                   paths_.log(p.name);
    });
    procs_->restart_due();
    procs_->check_heartbeats(cfg_.monitor.heartbeat_timeout_s);
    stats_->heartbeat(ipc::kSupervisorSlot);
    const double period = head_up_ ? 0.0 : kDownRetryS;  // a down head: one try this often
    if (need_hello_ && since_beat.seconds() >= period) {
      since_beat.reset();
      hello_once();
    } else if (since_beat.seconds() >= std::max(kBeatS, period)) {
      since_beat.reset();
      beat();
    } else if (head_up_ && since_model.seconds() >= kModelPollS) {
      since_model.reset();
      relay_->step(kCallMs);  // unanswered: talk() marks the head down in time
    }
    if (!head_up_) need_hello_ = true;
    if (since_status.seconds() >= cfg_.monitor.interval_s) {
      since_status.reset();
      print_status();
    }
  }
}

// SIGTERM to every actor: each drains its unacknowledged records into the writer first.
void Host::stop_actors() {
  const double timeout = cfg_.writer.shard_seconds + 20;
  Stopwatch since_beat;
  procs_->stop_group(actors_, timeout, [&] {
    if (since_beat.seconds() < kBeatS || !head_up_) return;
    since_beat.reset();
    beat();  // the hub waits for draining hosts while they keep in contact
  });
}

int Host::run() {
  lock_.emplace(o_.run_dir);
  install_stop_handlers();
  ipc::CurveClientKeys keys = ipc::load_client_keys(paths_.keys_dir());
  const std::string hub = run::hub_endpoint(o_.endpoint);
  client_ = std::make_unique<ipc::RequestClient>(hub, keys);
  say("joining the head at " + o_.endpoint + " (hub " + hub + ") as '" + o_.name + "'");
  if (!hello()) return 0;  // stopped before the head answered
  loop();
  say(give_up_.empty() ? "stopping" : "giving up: " + give_up_);
  stop_actors();
  if (server_) procs_->stop_group({server_}, 30);
  print_status();
  run::HostReport r = report();
  r.positions_per_s = 0;
  ipc::Frames reply;
  if (head_up_)
    client_->call({"BYE", std::to_string(host_id_), run::host_report_json(r)}, &reply, kCallMs);
  say("stopped" + std::string(give_up_.empty() ? " cleanly" : "") + ": " +
      std::to_string(r.acked) + " records acknowledged, " + std::to_string(r.pending) +
      " unacknowledged");
  return give_up_.empty() ? 0 : 1;
}

}  // namespace

int run_join(const JoinOptions& options) {
  const JoinOptions o = checked_options(options);
  prepare_host_dir(o);
  init_logging("join", run::RunPaths(o.run_dir).log("join"));
  spdlog::default_logger()->sinks().front()->set_level(spdlog::level::warn);  // stderr
  Host host(o);
  return host.run();
}

}  // namespace zp::host
