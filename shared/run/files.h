// Every file name inside a run directory, in one place. Roles and commands build paths only
// through RunPaths, never by hand.
//
//   config.yaml              the resolved config (written once by the supervisor)
//   run_id                   the run id (names of shm objects and sockets carry it)
//   run.lock                 held by the one supervisor of the run (lock.h)
//   logs/<role>.log          one log per process (actor-0.log, writer.log, ...)
//   logs/<role>.out          the process's raw stdout and stderr
//   shards/                  shard-<NNNNNN>.zps and manifest.json (the writer)
//   checkpoints/             model-<v>.zpck, latest, training_state.pt, learner_state
//   metrics.jsonl            status figures as JSON lines (the supervisor, the evaluator)
//   elo_games.jsonl          every rated game result (the evaluator)
//   hosts/host-<id>.json     the last report of each joined host (the hub; shared/run/hub.h)
//   tb/<process>/            TensorBoard event files of metrics.jsonl's lines (supervisor,
//                            evaluator; shared/tb/event_log.h)
//
// Thread-safe (plain values).
#pragma once

#include <cstdint>
#include <string>

namespace zp::run {

struct RunPaths {
  std::string dir;  // the run directory, without a trailing '/'

  explicit RunPaths(std::string run_dir);

  std::string config() const { return dir + "/config.yaml"; }
  std::string run_id() const { return dir + "/run_id"; }
  std::string lock() const { return dir + "/run.lock"; }  // the supervisor's (lock.h)
  std::string logs_dir() const { return dir + "/logs"; }
  std::string log(const std::string& role) const { return logs_dir() + "/" + role + ".log"; }
  std::string out(const std::string& role) const { return logs_dir() + "/" + role + ".out"; }
  std::string shards_dir() const { return dir + "/shards"; }
  std::string checkpoints_dir() const { return dir + "/checkpoints"; }
  std::string keys_dir() const { return dir + "/keys"; }  // CURVE keys (ipc/curve_keys.h)
  std::string model_file(int64_t version) const;
  std::string metrics() const { return dir + "/metrics.jsonl"; }
  std::string elo_games() const { return dir + "/elo_games.jsonl"; }
  std::string tb(const std::string& process) const { return dir + "/tb/" + process; }
  std::string hosts_dir() const { return dir + "/hosts"; }
  std::string host_report(int host_id) const {
    return hosts_dir() + "/host-" + std::to_string(host_id) + ".json";
  }
};

// Names inside shards/ and checkpoints/ (directories passed in by their owners).
std::string manifest_path(const std::string& shards_dir);   // <dir>/manifest.json
std::string latest_path(const std::string& checkpoints_dir);          // <dir>/latest
std::string training_state_path(const std::string& checkpoints_dir);  // <dir>/training_state.pt
std::string learner_state_path(const std::string& checkpoints_dir);   // <dir>/learner_state

// "model-<version>.zpck"; and back: false when `name` is not one.
std::string model_file_name(int64_t version);
bool parse_model_file_name(const std::string& name, int64_t* version);

// "shard-000012.zps" (at least 6 digits, more past 999,999); and back: false when `name` is
// not one (any number of digits is read).
std::string shard_file_name(uint64_t index);
bool parse_shard_file_name(const std::string& name, uint64_t* index);
// The order shards were written in: shard names by index ("shard-999999.zps" before
// "shard-1000000.zps", which a plain string compare gets wrong), before any other name, and
// other names as strings. Every reader that orders shard files uses this.
bool shard_name_less(const std::string& a, const std::string& b);

}  // namespace zp::run
