// The status line's "is my GPU busy, and why not?" part: the device-busy share from
// kDeviceBusyNs deltas, each role's CPU share from /proc utime + stime deltas, the server's
// queue depth, and "n/a" when nobody publishes the busy time; each role's resident memory and
// the learner's staleness.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "shared/ipc/stats.h"
#include "supervisor/status.h"

namespace sv = zp::supervisor;
namespace ipc = zp::ipc;

namespace {

sv::Snapshot empty_snapshot(double time_s, int actors) {
  sv::Snapshot s;
  s.time_s = time_s;
  s.num_actors = actors;
  s.slots.assign(ipc::kNumSlots, std::vector<int64_t>(ipc::kNumCounters, 0));
  s.cpu_s.assign(ipc::kNumSlots, -1);
  s.cpu_pid.assign(ipc::kNumSlots, -1);
  return s;
}

void set_cpu(sv::Snapshot* s, int slot, int64_t pid, double cpu_s) {
  s->slots[slot][ipc::kPid] = pid;
  s->cpu_pid[slot] = pid;
  s->cpu_s[slot] = cpu_s;
}

// Two snapshots 2 s apart: two actors (0.3 s and 0.2 s of device time), an evaluator, a
// learner, a writer and, when `server`, one inference server with 12 positions queued.
std::pair<sv::Snapshot, sv::Snapshot> two_snapshots(bool server) {
  sv::Snapshot a = empty_snapshot(10.0, 2), b = empty_snapshot(12.0, 2);
  const int a0 = ipc::kFirstActorSlot, a1 = ipc::kFirstActorSlot + 1;
  for (sv::Snapshot* s : {&a, &b}) {
    const bool late = s == &b;
    s->slots[a0][ipc::kBatches] = late ? 100 : 0;
    s->slots[a0][ipc::kEvals] = late ? 1600 : 0;
    s->slots[a0][ipc::kDeviceBusyNs] = late ? 1'300'000'000 : 1'000'000'000;
    s->slots[a1][ipc::kDeviceBusyNs] = late ? 200'000'000 : 0;
    set_cpu(s, a0, 100, late ? 2.0 : 1.0);
    set_cpu(s, a1, 101, late ? 1.5 : 0.5);
    set_cpu(s, ipc::kLearnerSlot, 102, late ? 1.2 : 0.0);
    set_cpu(s, ipc::kWriterSlot, 103, 0.1);
    set_cpu(s, ipc::kEvaluatorSlot, 104, late ? 0.4 : 0.0);
    if (server) {
      const int sv = ipc::kFirstServerSlot;
      set_cpu(s, sv, 105, late ? 1.6 : 0.0);
      s->slots[sv][ipc::kBatches] = late ? 10 : 0;
      s->slots[sv][ipc::kEvals] = late ? 2000 : 0;
      s->slots[sv][ipc::kServerQueueDepth] = late ? 12 : 3;
    }
  }
  return {a, b};
}

}  // namespace

TEST_CASE("status line: device busy share, CPU per role and server queue", "[unit]") {
  auto [a, b] = two_snapshots(true);
  const sv::Status st = sv::compute_status(a, b, 12.0, 16);
  CHECK(st.device_busy_known);
  CHECK(st.device_busy_share == Approx(0.25));  // (0.3 + 0.2) s over 2 s
  CHECK(st.cpu_actors == Approx(1.0));          // (1.0 + 1.0) CPU-s over 2 s
  CHECK(st.cpu_learner == Approx(0.6));
  CHECK(st.cpu_evaluator == Approx(0.2));
  CHECK(st.cpu_writer == Approx(0.0));
  CHECK(st.cpu_servers == Approx(0.8));
  CHECK(st.servers == 1);
  CHECK(st.server_queue_depth == 12);  // the last sample, not a delta
  CHECK(st.server_mean_batch == Approx(200.0));
  const std::string line = sv::format_status_line(st);
  const std::string cores = std::to_string(std::thread::hardware_concurrency());
  CHECK(line.find(" | lock wait 0% | device busy 25% | server queue 12 batch 200.0 | cpu actors "
                  "1.0 learner 0.6 eval 0.2 server 0.8 writer 0.0 of " + cores + " cores | "
                  "mem n/a | learner step") != std::string::npos);
  const auto j = nlohmann::json::parse(sv::format_status_json(st));
  CHECK(j["device_busy_share"].get<double>() == Approx(0.25));
  CHECK(j["cpu_learner"].get<double>() == Approx(0.6));
  CHECK(j["server_queue_depth"] == 12);
}

TEST_CASE("status line: lock mode shows no server part", "[unit]") {
  auto [a, b] = two_snapshots(false);
  const std::string line = sv::format_status_line(sv::compute_status(a, b, 12.0, 16));
  CHECK(line.find("server") == std::string::npos);
  CHECK(line.find("| device busy 25% | cpu actors 1.0 learner 0.6 eval 0.2 writer 0.0 of ") !=
        std::string::npos);
}

TEST_CASE("status line: device busy is n/a when batches ran but nobody published busy time",
          "[unit]") {
  auto [a, b] = two_snapshots(false);
  for (int i = 0; i < 2; ++i) {
    a.slots[ipc::kFirstActorSlot + i][ipc::kDeviceBusyNs] = 0;
    b.slots[ipc::kFirstActorSlot + i][ipc::kDeviceBusyNs] = 0;
  }
  const sv::Status st = sv::compute_status(a, b, 12.0, 16);
  CHECK_FALSE(st.device_busy_known);
  CHECK(sv::format_status_line(st).find("| device busy n/a |") != std::string::npos);
  CHECK(nlohmann::json::parse(sv::format_status_json(st))["device_busy_share"].is_null());
  // No batches at all (nothing ran yet): an idle device is known to be idle.
  b.slots[ipc::kFirstActorSlot][ipc::kBatches] = 0;
  const sv::Status idle = sv::compute_status(a, b, 12.0, 16);
  CHECK(idle.device_busy_known);
  CHECK(sv::format_status_line(idle).find("| device busy 0% |") != std::string::npos);
}

TEST_CASE("status line: a restarted role's CPU counts from its new process", "[unit]") {
  auto [a, b] = two_snapshots(false);
  set_cpu(&b, ipc::kLearnerSlot, 999, 0.3);  // new pid: 0.3 CPU-s since it started
  set_cpu(&b, ipc::kWriterSlot, 103, -1);    // gone from /proc: no reading, not negative
  const sv::Status st = sv::compute_status(a, b, 12.0, 16);
  CHECK(st.cpu_learner == Approx(0.15));
  CHECK(st.cpu_writer == 0.0);
  // Every role gone (the final line after the stop): n/a, not 0.0.
  for (int slot = 0; slot < ipc::kNumSlots; ++slot) b.cpu_s[slot] = -1;
  const sv::Status gone = sv::compute_status(a, b, 12.0, 16);
  CHECK_FALSE(gone.cpu_known);
  CHECK(sv::format_status_line(gone).find("| cpu n/a | mem n/a | learner step") !=
        std::string::npos);
}

TEST_CASE("process_cpu_seconds reads this process's CPU time from /proc", "[unit]") {
  const double before = sv::process_cpu_seconds(getpid());
  REQUIRE(before >= 0);
  volatile double x = 0;
  const double until = before + 0.05;
  while (sv::process_cpu_seconds(getpid()) < until)
    for (int i = 0; i < 1000000; ++i) x = x + i;
  CHECK(sv::process_cpu_seconds(getpid()) >= until);
  CHECK(sv::process_cpu_seconds(0) == -1);
  CHECK(sv::process_cpu_seconds(0x3fffffff) == -1);  // above any pid_max
}

TEST_CASE("status line and json: resident memory per role, as each process published it",
          "[unit]") {
  auto [a, b] = two_snapshots(true);
  constexpr int64_t kMiB = 1 << 20;
  b.slots[ipc::kFirstActorSlot][ipc::kResidentBytes] = 100 * kMiB;
  b.slots[ipc::kFirstActorSlot + 1][ipc::kResidentBytes] = 150 * kMiB;
  b.slots[ipc::kLearnerSlot][ipc::kResidentBytes] = 400 * kMiB;
  b.slots[ipc::kEvaluatorSlot][ipc::kResidentBytes] = 200 * kMiB + kMiB / 2;  // rounds up
  b.slots[ipc::kFirstServerSlot][ipc::kResidentBytes] = 600 * kMiB;
  b.slots[ipc::kSupervisorSlot][ipc::kResidentBytes] = 12 * kMiB;
  b.slots[ipc::kLearnerSlot][ipc::kAnonBytes] = 40 * kMiB;
  b.slots[ipc::kFirstActorSlot + 1][ipc::kAnonBytes] = 30 * kMiB;
  // The writer has not published yet: "-" and null, not 0.
  const sv::Status st = sv::compute_status(a, b, 12.0, 16);
  CHECK(st.rss_actors == 250 * kMiB);
  REQUIRE(st.actor_rss.size() == 2);
  CHECK(st.actor_rss[1] == 150 * kMiB);
  const std::string line = sv::format_status_line(st);
  CHECK(line.find(" cores | mem actors 250 learner 400 eval 201 server 600 writer - sup 12 MiB | "
                  "learner step") != std::string::npos);
  const auto j = nlohmann::json::parse(sv::format_status_json(st));
  CHECK(j["rss_mb_actors"].get<double>() == Approx(250.0));
  CHECK(j["rss_mb_actor"].size() == 2);
  CHECK(j["rss_mb_actor"][0].get<double>() == Approx(100.0));
  CHECK(j["rss_mb_learner"].get<double>() == Approx(400.0));
  CHECK(j["rss_mb_evaluator"].get<double>() == Approx(200.5));
  CHECK(j["rss_mb_servers"].get<double>() == Approx(600.0));
  CHECK(j["rss_mb_writer"].is_null());
  CHECK(j["rss_mb_supervisor"].get<double>() == Approx(12.0));
  CHECK(j["anon_mb_learner"].get<double>() == Approx(40.0));
  CHECK(j["anon_mb_actors"].get<double>() == Approx(30.0));
  CHECK(j["anon_mb_actor"][0].is_null());
  CHECK(j["anon_mb_actor"][1].get<double>() == Approx(30.0));
  CHECK(j["anon_mb_writer"].is_null());
  // Lock mode and no evaluator: those roles drop out of the line.
  auto [c, d] = two_snapshots(false);
  d.slots[ipc::kLearnerSlot][ipc::kResidentBytes] = 3 * kMiB;
  d.slots[ipc::kEvaluatorSlot][ipc::kPid] = 0;
  const std::string lock_line = sv::format_status_line(sv::compute_status(c, d, 12.0, 16));
  CHECK(lock_line.find("| mem actors - learner 3 writer - sup - MiB |") != std::string::npos);
}

TEST_CASE("status line and json: the learner's staleness, n/a until known", "[unit]") {
  auto [a, b] = two_snapshots(false);
  auto& l = b.slots[ipc::kLearnerSlot];
  l[ipc::kTrainStepsStart] = 100;
  l[ipc::kTrainSteps] = 100;         // resumed, no step made yet
  l[ipc::kStalenessMilli] = 12'400;  // a stale value from before: not shown
  sv::Status st = sv::compute_status(a, b, 12.0, 16);
  CHECK_FALSE(st.staleness_known);
  CHECK(sv::format_status_line(st).find(" window 0 stale n/a | model") != std::string::npos);
  CHECK(nlohmann::json::parse(sv::format_status_json(st))["staleness_steps"].is_null());
  l[ipc::kTrainSteps] = 130;
  st = sv::compute_status(a, b, 12.0, 16);
  CHECK(st.staleness_known);
  CHECK(st.staleness_steps == Approx(12.4));
  CHECK(sv::format_status_line(st).find(" window 0 stale 12 steps | model") != std::string::npos);
  CHECK(nlohmann::json::parse(sv::format_status_json(st))["staleness_steps"].get<double>() ==
        Approx(12.4));
  l[ipc::kStalenessMilli] = -1;  // no position's model step is known
  CHECK_FALSE(sv::compute_status(a, b, 12.0, 16).staleness_known);
}

TEST_CASE("status json: the learning rate and the sample reuse", "[unit]") {
  auto [a, b] = two_snapshots(false);
  auto& l = b.slots[ipc::kLearnerSlot];
  l[ipc::kLearningRateNano] = 1'250'000;  // 1.25e-3
  l[ipc::kSamplesTrained] = 30'000;
  l[ipc::kPositionsIngested] = 12'000;
  const auto j = nlohmann::json::parse(sv::format_status_json(sv::compute_status(a, b, 12.0, 16)));
  CHECK(j["lr"].get<double>() == Approx(1.25e-3));
  CHECK(j["sample_reuse"].get<double>() == Approx(2.5));
  l[ipc::kPositionsIngested] = 0;  // nothing read yet: no reuse, not a division by zero
  CHECK(nlohmann::json::parse(sv::format_status_json(sv::compute_status(a, b, 12.0, 16)))
            ["sample_reuse"].get<double>() == 0.0);
}
