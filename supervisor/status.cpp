#include "supervisor/status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

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

}  // namespace

Snapshot take_snapshot(const ipc::Stats& stats) {
  Snapshot s;
  s.time_s = now_s();
  s.num_actors = stats.num_actors();
  s.slots.resize(ipc::kFirstActorSlot + s.num_actors);
  for (size_t i = 0; i < s.slots.size(); ++i) {
    s.slots[i].resize(ipc::kNumCounters);
    for (int c = 0; c < ipc::kNumCounters; ++c)
      s.slots[i][c] = stats.get(static_cast<int>(i), static_cast<ipc::Counter>(c));
  }
  return s;
}

double run_elapsed_s(const Snapshot& s) {
  const int64_t started_ns = s.slots[ipc::kSupervisorSlot][ipc::kStartedNs];
  return started_ns > 0 ? std::max(0.0, s.time_s - started_ns * 1e-9) : 0.0;
}

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
  st.window = l[ipc::kWindowPositions];
  st.ingested = l[ipc::kPositionsIngested];
  st.samples = l[ipc::kSamplesTrained];
  st.model_version = l[ipc::kModelVersion];
  const auto& e = cur.slots[ipc::kEvaluatorSlot];
  st.eval_version = e[ipc::kEvalVersion];
  st.eval_elo = e[ipc::kEvalEloMilli] * 1e-3;
  st.eval_oracle = e[ipc::kEvalOracleMilli] * 1e-3;
  st.eval_pons_policy = e[ipc::kEvalPonsPolicy];
  st.eval_pons_search = e[ipc::kEvalPonsSearch];
  st.best_version = e[ipc::kBestVersion];
  return st;
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
  snprintf(buf, sizeof(buf),
           " | learner step %lld (%.1f/s) loss %.3f+%.3f window %lld | model v%lld (oldest in "
           "use v%lld)",
           (long long)s.learner_step, s.steps_per_s, s.loss_policy, s.loss_value,
           (long long)s.window, (long long)s.model_version, (long long)s.oldest_in_use);
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
  j["learner_step"] = s.learner_step;
  j["steps_per_s"] = s.steps_per_s;
  j["loss_policy"] = s.loss_policy;
  j["loss_value"] = s.loss_value;
  j["window"] = s.window;
  j["samples"] = s.samples;
  j["ingested"] = s.ingested;
  j["model_version"] = s.model_version;
  j["oldest_in_use"] = s.oldest_in_use;
  j["pending_records"] = s.pending_records;
  return j.dump();
}

}  // namespace zp::supervisor
