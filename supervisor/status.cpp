#include "supervisor/status.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "shared/arena/pons.h"
#include "shared/core/clock.h"

namespace zp::supervisor {

namespace {

// Steps the learner made since the step it started from (0, or a resumed checkpoint's). Never
// negative: kTrainStepsStart is set first, so a snapshot may see it ahead of kTrainSteps.
int64_t learner_steps_made(const Snapshot& s) {
  const auto& l = s.slots[ipc::kLearnerSlot];
  return std::max<int64_t>(0, l[ipc::kTrainSteps] - l[ipc::kTrainStepsStart]);
}

// CPU seconds the process in `slot` used between the snapshots, or 0 without a reading. A
// new pid (a restarted role) counts what the new process used so far. Sets `cpu_seen` when
// there was a reading.
double cpu_delta(const Snapshot& prev, const Snapshot& cur, int slot, bool& cpu_seen) {
  if (cur.cpu_s.empty() || cur.cpu_s[slot] < 0) return 0;
  cpu_seen = true;
  const bool same = !prev.cpu_s.empty() && prev.cpu_pid[slot] == cur.cpu_pid[slot] &&
                    prev.cpu_s[slot] >= 0;
  return std::max(0.0, same ? cur.cpu_s[slot] - prev.cpu_s[slot] : cur.cpu_s[slot]);
}

}  // namespace

double process_cpu_seconds(int64_t pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  // Fields after the command name "(...)", which may hold spaces: state is field 3, utime
  // field 14 and stime field 15 (proc(5)), i.e. the 12th and 13th after the state.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (utime + stime) / ticks;
}

Snapshot take_snapshot(const ipc::Stats& stats) {
  Snapshot s;
  s.time_s = now_s();
  s.num_actors = stats.num_actors();
  s.slots.resize(ipc::kNumSlots);
  s.cpu_s.assign(ipc::kNumSlots, -1);
  s.cpu_pid.assign(ipc::kNumSlots, -1);
  for (size_t i = 0; i < s.slots.size(); ++i) {
    s.slots[i].resize(ipc::kNumCounters);
    for (int c = 0; c < ipc::kNumCounters; ++c)
      s.slots[i][c] = stats.get(static_cast<int>(i), static_cast<ipc::Counter>(c));
    const int64_t pid = s.slots[i][ipc::kPid];
    if (i != ipc::kSupervisorSlot && pid > 0) {
      s.cpu_s[i] = process_cpu_seconds(pid);
      s.cpu_pid[i] = pid;
    }
  }
  return s;
}

double run_elapsed_s(const Snapshot& s) {
  const int64_t started_ns = s.slots[ipc::kSupervisorSlot][ipc::kStartedNs];
  return started_ns > 0 ? std::max(0.0, s.time_s - started_ns * 1e-9) : 0.0;
}

namespace {

// The "why is the GPU not busy" figures: device-busy share, CPU per role, server queues.
void add_device_and_cpu(const Snapshot& prev, const Snapshot& cur, double dt, int64_t batches,
                        Status* st) {
  auto delta = [&](int slot, ipc::Counter c) {
    const int64_t d = cur.slots[slot][c] - prev.slots[slot][c];
    return d >= 0 ? d : cur.slots[slot][c];
  };
  int64_t busy_ns = 0, server_batches = 0, server_evals = 0;
  for (int a = 0; a < cur.num_actors; ++a) {
    busy_ns += delta(ipc::kFirstActorSlot + a, ipc::kDeviceBusyNs);
    st->cpu_actors += cpu_delta(prev, cur, ipc::kFirstActorSlot + a, st->cpu_known) / dt;
  }
  for (int d = 0; d < ipc::kMaxServers; ++d) {
    const int slot = ipc::kFirstServerSlot + d;
    if (cur.slots[slot][ipc::kPid] <= 0) continue;
    ++st->servers;
    busy_ns += delta(slot, ipc::kDeviceBusyNs);
    server_batches += delta(slot, ipc::kBatches);
    server_evals += delta(slot, ipc::kEvals);
    st->server_queue_depth += cur.slots[slot][ipc::kServerQueueDepth];
    st->cpu_servers += cpu_delta(prev, cur, slot, st->cpu_known) / dt;
  }
  st->device_busy_share = busy_ns * 1e-9 / dt;
  // Nobody publishes it yet (zero although batches ran): unknown, not idle.
  st->device_busy_known = busy_ns > 0 || (batches == 0 && server_batches == 0);
  st->cpu_writer = cpu_delta(prev, cur, ipc::kWriterSlot, st->cpu_known) / dt;
  st->cpu_learner = cpu_delta(prev, cur, ipc::kLearnerSlot, st->cpu_known) / dt;
  st->cpu_evaluator = cpu_delta(prev, cur, ipc::kEvaluatorSlot, st->cpu_known) / dt;
  st->has_evaluator = cur.slots[ipc::kEvaluatorSlot][ipc::kPid] > 0;
  st->server_mean_batch = server_batches > 0 ? double(server_evals) / server_batches : 0.0;
  st->cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
}

// Resident memory per role (what each process published) and the learner's staleness.
void add_memory_and_staleness(const Snapshot& cur, Status* st) {
  auto get = [&](int slot, ipc::Counter c) { return std::max<int64_t>(0, cur.slots[slot][c]); };
  for (int a = 0; a < cur.num_actors; ++a) {
    st->actor_rss.push_back(get(ipc::kFirstActorSlot + a, ipc::kResidentBytes));
    st->actor_anon.push_back(get(ipc::kFirstActorSlot + a, ipc::kAnonBytes));
    st->rss_actors += st->actor_rss.back();
    st->anon_actors += st->actor_anon.back();
  }
  for (int d = 0; d < ipc::kMaxServers; ++d)
    if (cur.slots[ipc::kFirstServerSlot + d][ipc::kPid] > 0) {
      st->rss_servers += get(ipc::kFirstServerSlot + d, ipc::kResidentBytes);
      st->anon_servers += get(ipc::kFirstServerSlot + d, ipc::kAnonBytes);
    }
  const std::pair<int, std::pair<int64_t*, int64_t*>> roles[] = {
      {ipc::kLearnerSlot, {&st->rss_learner, &st->anon_learner}},
      {ipc::kEvaluatorSlot, {&st->rss_evaluator, &st->anon_evaluator}},
      {ipc::kWriterSlot, {&st->rss_writer, &st->anon_writer}},
      {ipc::kSupervisorSlot, {&st->rss_supervisor, &st->anon_supervisor}}};
  for (const auto& [slot, out] : roles) {
    *out.first = get(slot, ipc::kResidentBytes);
    *out.second = get(slot, ipc::kAnonBytes);
  }
  // The learner sets -1 (unknown) when it starts and a value with each step; a zeroed slot
  // (no learner yet) or a learner that has not stepped yet is unknown too.
  const int64_t milli = cur.slots[ipc::kLearnerSlot][ipc::kStalenessMilli];
  st->staleness_known = milli >= 0 && learner_steps_made(cur) > 0;
  st->staleness_steps = st->staleness_known ? milli * 1e-3 : 0.0;
}

}  // namespace

Status compute_status(const Snapshot& prev, const Snapshot& cur, double elapsed_s,
                      int batch_capacity) {
  Status st;
  st.elapsed_s = elapsed_s;
  const double dt = std::max(cur.time_s - prev.time_s, 1e-6);
  auto delta = [&](int slot, ipc::Counter c) {
    // A restarted process starts its counters from 0: count its new total as the delta.
    const int64_t d = cur.slots[slot][c] - prev.slots[slot][c];
    return d >= 0 ? d : cur.slots[slot][c];
  };
  int64_t evals = 0, batches = 0, wait_ns = 0;
  st.batch_capacity = batch_capacity;
  st.oldest_in_use = INT64_MAX;
  for (int a = 0; a < cur.num_actors; ++a) {
    const int slot = ipc::kFirstActorSlot + a;
    const double p = delta(slot, ipc::kPositions) / dt;
    st.actor_positions_per_s.push_back(p);
    st.positions_per_s += p;
    st.positions += cur.slots[slot][ipc::kPositions];
    st.games += cur.slots[slot][ipc::kGames];
    evals += delta(slot, ipc::kEvals);
    batches += delta(slot, ipc::kBatches);
    wait_ns += delta(slot, ipc::kLockWaitNs);
    st.pending_records += cur.slots[slot][ipc::kRecordsPending];
    const int64_t v = cur.slots[slot][ipc::kModelVersion];
    if (v > 0) st.oldest_in_use = std::min(st.oldest_in_use, v);
  }
  if (st.oldest_in_use == INT64_MAX) st.oldest_in_use = 0;
  st.evals_per_s = evals / dt;
  st.mean_batch = batches > 0 ? double(evals) / batches : 0.0;
  st.lock_wait_share = cur.num_actors > 0 ? wait_ns * 1e-9 / (dt * cur.num_actors) : 0.0;
  add_device_and_cpu(prev, cur, dt, batches, &st);
  const auto& w = cur.slots[ipc::kWriterSlot];
  st.written_positions = w[ipc::kPositions];
  st.written_games = w[ipc::kGames];
  st.shards = w[ipc::kShards];
  st.rejected = w[ipc::kRecordsRejected];
  st.duplicates = w[ipc::kRecordsDuplicate];
  const auto& l = cur.slots[ipc::kLearnerSlot];
  st.learner_step = l[ipc::kTrainSteps];
  // Resumed steps are not progress: the rate counts the steps made since the learner's start
  // step; after a learner restart, those of the new incarnation (as delta() does).
  const int64_t made = learner_steps_made(cur), new_steps = made - learner_steps_made(prev);
  st.steps_per_s = (new_steps >= 0 ? new_steps : made) / dt;
  st.loss_policy = l[ipc::kLossPolicyMicro] * 1e-6;
  st.loss_value = l[ipc::kLossValueMicro] * 1e-6;
  st.lr = l[ipc::kLearningRateNano] * 1e-9;
  st.window = l[ipc::kWindowPositions];
  st.ingested = l[ipc::kPositionsIngested];
  st.samples = l[ipc::kSamplesTrained];
  st.sample_reuse = st.ingested > 0 ? double(st.samples) / st.ingested : 0.0;
  st.model_version = l[ipc::kModelVersion];
  const auto& e = cur.slots[ipc::kEvaluatorSlot];
  st.eval_version = e[ipc::kEvalVersion];
  st.eval_elo = e[ipc::kEvalEloMilli] * 1e-3;
  st.eval_oracle = e[ipc::kEvalOracleMilli] * 1e-3;
  st.eval_pons_policy = e[ipc::kEvalPonsPolicy];
  st.eval_pons_search = e[ipc::kEvalPonsSearch];
  st.best_version = e[ipc::kBestVersion];
  add_memory_and_staleness(cur, &st);
  return st;
}

std::string format_busy_part(const Status& s) {
  char buf[256];
  std::string part;
  if (s.device_busy_known)
    snprintf(buf, sizeof(buf), " | device busy %.0f%%", 100.0 * s.device_busy_share);
  else
    snprintf(buf, sizeof(buf), " | device busy n/a");
  part = buf;
  if (s.servers > 0) {
    snprintf(buf, sizeof(buf), " | server queue %lld batch %.1f", (long long)s.server_queue_depth,
             s.server_mean_batch);
    part += buf;
  }
  // After the roles exited (the final line) /proc has nothing to read: unknown, not idle.
  if (!s.cpu_known) return part + " | cpu n/a";
  snprintf(buf, sizeof(buf), " | cpu actors %.1f learner %.1f", s.cpu_actors, s.cpu_learner);
  part += buf;
  if (s.has_evaluator) {
    snprintf(buf, sizeof(buf), " eval %.1f", s.cpu_evaluator);
    part += buf;
  }
  if (s.servers > 0) {
    snprintf(buf, sizeof(buf), " server %.1f", s.cpu_servers);
    part += buf;
  }
  snprintf(buf, sizeof(buf), " writer %.1f of %d cores", s.cpu_writer, s.cpu_cores);
  return part + buf;
}

std::string format_mem_part(const Status& s) {
  const bool any = s.rss_actors > 0 || s.rss_learner > 0 || s.rss_evaluator > 0 ||
                   s.rss_writer > 0 || s.rss_supervisor > 0 || s.rss_servers > 0;
  if (!any) return " | mem n/a";
  auto mib = [](int64_t bytes) {
    return bytes > 0 ? std::to_string(std::llround(bytes / 1048576.0)) : std::string("-");
  };
  std::string part = " | mem actors " + mib(s.rss_actors) + " learner " + mib(s.rss_learner);
  if (s.has_evaluator) part += " eval " + mib(s.rss_evaluator);
  if (s.servers > 0) part += " server " + mib(s.rss_servers);
  return part + " writer " + mib(s.rss_writer) + " sup " + mib(s.rss_supervisor) + " MiB";
}

std::string format_status_line(const Status& s) {
  char buf[512];
  std::string per_actor;
  for (size_t i = 0; i < s.actor_positions_per_s.size(); ++i) {
    snprintf(buf, sizeof(buf), "%s%.0f", i ? " " : "", s.actor_positions_per_s[i]);
    per_actor += buf;
  }
  std::string line;
  snprintf(buf, sizeof(buf),
           "[%6.0fs] pos/s %.0f (actors %s) | games %lld written %lld (%lld pos, %lld shards) | "
           "nn evals/s %.0f batch %.1f/%.0f | lock wait %.0f%%",
           s.elapsed_s, s.positions_per_s, per_actor.c_str(), (long long)s.games,
           (long long)s.written_games, (long long)s.written_positions, (long long)s.shards,
           s.evals_per_s, s.mean_batch, s.batch_capacity, 100.0 * s.lock_wait_share);
  line = buf;
  line += format_busy_part(s);
  line += format_mem_part(s);
  snprintf(buf, sizeof(buf), " | learner step %lld (%.1f/s) loss %.3f+%.3f window %lld",
           (long long)s.learner_step, s.steps_per_s, s.loss_policy, s.loss_value,
           (long long)s.window);
  line += buf;
  if (s.staleness_known)
    snprintf(buf, sizeof(buf), " stale %.0f steps", s.staleness_steps);
  else
    snprintf(buf, sizeof(buf), " stale n/a");
  line += buf;
  snprintf(buf, sizeof(buf), " | model v%lld (oldest in use v%lld)", (long long)s.model_version,
           (long long)s.oldest_in_use);
  line += buf;
  if (s.eval_version > 0) {
    snprintf(buf, sizeof(buf), " | eval v%lld elo %.0f oracle %.1f%%", (long long)s.eval_version,
             s.eval_elo, 100.0 * s.eval_oracle);
    line += buf;
    const std::string pons = arena::format_pons_compact(s.eval_pons_policy, s.eval_pons_search);
    if (!pons.empty()) line += " | " + pons;
  }
  if (s.rejected > 0) line += " | rejected " + std::to_string(s.rejected);
  return line;
}

std::string format_status_json(const Status& s) {
  nlohmann::ordered_json j;
  j["time"] = unix_time_s();
  j["elapsed_s"] = s.elapsed_s;
  j["positions_per_s"] = s.positions_per_s;
  j["actor_positions_per_s"] = s.actor_positions_per_s;
  j["games"] = s.games;
  j["positions"] = s.positions;
  j["written_games"] = s.written_games;
  j["written_positions"] = s.written_positions;
  j["shards"] = s.shards;
  j["rejected"] = s.rejected;
  j["duplicates"] = s.duplicates;
  j["evals_per_s"] = s.evals_per_s;
  j["mean_batch"] = s.mean_batch;
  j["lock_wait_share"] = s.lock_wait_share;
  if (s.device_busy_known) j["device_busy_share"] = s.device_busy_share;
  else j["device_busy_share"] = nullptr;
  auto cpu = [&](double v) { return s.cpu_known ? nlohmann::ordered_json(v) : nullptr; };
  j["cpu_actors"] = cpu(s.cpu_actors);
  j["cpu_learner"] = cpu(s.cpu_learner);
  j["cpu_evaluator"] = cpu(s.cpu_evaluator);
  j["cpu_writer"] = cpu(s.cpu_writer);
  if (s.servers > 0) {
    j["cpu_servers"] = cpu(s.cpu_servers);
    j["server_queue_depth"] = s.server_queue_depth;
    j["server_mean_batch"] = s.server_mean_batch;
  }
  j["learner_step"] = s.learner_step;
  j["steps_per_s"] = s.steps_per_s;
  j["loss_policy"] = s.loss_policy;
  j["loss_value"] = s.loss_value;
  j["lr"] = s.lr;
  j["window"] = s.window;
  j["samples"] = s.samples;
  j["ingested"] = s.ingested;
  j["sample_reuse"] = s.sample_reuse;
  j["model_version"] = s.model_version;
  j["oldest_in_use"] = s.oldest_in_use;
  j["pending_records"] = s.pending_records;
  j["staleness_steps"] = s.staleness_known ? nlohmann::ordered_json(s.staleness_steps) : nullptr;
  // Resident memory in MiB (2^20 bytes) per role, then its anonymous part; null where the
  // role has not published it.
  auto mib = [](int64_t bytes) {
    return bytes > 0 ? nlohmann::ordered_json(bytes / 1048576.0) : nullptr;
  };
  auto per_actor = [&](const std::vector<int64_t>& v) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const int64_t b : v) a.push_back(mib(b));
    return a;
  };
  for (const bool anon : {false, true}) {
    const std::string p = anon ? "anon_mb_" : "rss_mb_";
    j[p + "actors"] = mib(anon ? s.anon_actors : s.rss_actors);
    j[p + "actor"] = per_actor(anon ? s.actor_anon : s.actor_rss);
    j[p + "learner"] = mib(anon ? s.anon_learner : s.rss_learner);
    j[p + "evaluator"] = mib(anon ? s.anon_evaluator : s.rss_evaluator);
    if (s.servers > 0) j[p + "servers"] = mib(anon ? s.anon_servers : s.rss_servers);
    j[p + "writer"] = mib(anon ? s.anon_writer : s.rss_writer);
    j[p + "supervisor"] = mib(anon ? s.anon_supervisor : s.rss_supervisor);
  }
  return j.dump();
}

}  // namespace zp::supervisor
