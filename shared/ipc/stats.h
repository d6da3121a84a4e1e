// The shared-memory stats block: per-process counters and heartbeats, written by every
// process with relaxed atomics and read by the supervisor (and `zeroplay status`).
//
// Layout: one StatsBlock in the shm object "zp-<run_id>-stats" (Boost.Interprocess
// shared_memory_object, permissions 0600). Slot 0 is the writer, 1 the learner, 2 the
// evaluator, 3 the supervisor, kFirstActorSlot + i actor i, kFirstServerSlot + d the
// inference server of device d (actors.inference: server), kHubSlot the hub (runs with
// joined hosts: writer.endpoint tcp://). Each slot is a fixed array of
// int64 counters indexed by `Counter`, padded to whole cache lines so processes never
// false-share. Version 3 added kResidentBytes, kStalenessMilli and kAnonBytes; 4 kLearningRateNano; 5 kHubSlot.
//
// Memory order: every counter is an independent statistic that is only ever read
// approximately (rates over seconds), so relaxed loads and stores suffice; nothing else is
// synchronised through this block.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace zp::ipc {

enum Counter : int {
  kHeartbeatNs = 0,      // steady clock (CLOCK_MONOTONIC, shared by all processes) of the last beat
  kPid,
  kStarts,               // incarnations of this slot's process (set by the supervisor)
  kPositions,            // actor: positions generated; writer: positions made durable
  kGames,                // actor: games finished; writer: records made durable
  kEvals,                // actor: positions evaluated by the network
  kBatches,              // actor: network batches
  kLockWaitNs,           // actor: time spent waiting for the GPU lock
  kLockHoldNs,           // actor: time spent holding the GPU lock
  kRecordsSent,          // actor: records sent (first sends)
  kRecordsResent,        // actor: records sent again after no acknowledgement
  kRecordsAcked,         // actor: records acknowledged as durable
  kRecordsPending,       // actor: records kept until acknowledged
  kRecordsRejected,      // writer: invalid records dropped
  kRecordsDuplicate,     // writer: duplicates dropped
  kShards,               // writer: shards written
  kModelVersion,         // actor: version in use; learner: last published version
  kModelVersionStart,    // actor: version it started with
  kTrainSteps,           // learner
  kSamplesTrained,       // learner: positions sampled into minibatches
  kPositionsIngested,    // learner: positions read from shards
  kWindowPositions,      // learner: positions in the replay window
  kLossPolicyMicro,      // learner: last policy loss x 1e6
  kLossValueMicro,       // learner: last value loss x 1e6
  kLearnerWaitingNs,     // learner: time spent waiting for data (sample_reuse)
  kShardsSkipped,        // learner: corrupt shards skipped
  kEvalVersion,          // evaluator: last evaluated version
  kEvalEloMilli,         // evaluator: Elo x 1000 of kEvalVersion
  kEvalOracleMilli,      // evaluator: oracle accuracy x 1000 (search)
  kBestVersion,          // evaluator: best (gated) version
  kTrainStepsStart,      // learner: the step it started from (resumed from a checkpoint), set
                         //   before kTrainSteps; rates count kTrainSteps - kTrainStepsStart
  kStartedNs,            // supervisor: steady clock when it started (elapsed time of the run)
  kEvalPonsPolicy,       // evaluator: raw policy's Pons error rates, packed (shared/arena/pons.h)
  kEvalPonsSearch,       // evaluator: search's Pons error rates, packed (shared/arena/pons.h)
  kDeviceBusyNs,         // actor (lock mode), inference server: time the device spent on this
                         //   process's forward passes (CUDA events on a GPU; wall time of the
                         //   forward on the CPU)
  kServerQueueDepth,     // inference server: positions waiting in ready slots, last sample
  kPeersRefused,         // writer: tcp peers refused (no CURVE, or a key not authorized)
  kResidentBytes,        // every process: its resident memory (RSS, /proc/self/statm), published
                         //   by heartbeat() at most once a second; 0 = not published yet
  kStalenessMilli,       // learner: mean staleness x 1000 of the last minibatch (its step minus
                         //   the step each sampled position's model was published at); -1 when
                         //   unknown (no position's model step is known)
  kAnonBytes,            // every process: the anonymous part of kResidentBytes (resident minus
                         //   file-backed and shared pages: heap, stacks), published with it; the
                         //   part that grows when memory leaks (libtorch's mapped code does not)
  kLearningRateNano,     // learner: the learning rate of its last step x 1e9
  kNumCounters = 41
};

enum Slot : int { kWriterSlot = 0, kLearnerSlot = 1, kEvaluatorSlot = 2, kSupervisorSlot = 3,
                  kFirstActorSlot = 4 };
constexpr int kMaxActors = 124;
constexpr int kFirstServerSlot = kFirstActorSlot + kMaxActors;
constexpr int kMaxServers = 8;
constexpr int kHubSlot = kFirstServerSlot + kMaxServers;
constexpr int kNumSlots = kHubSlot + 1;

struct alignas(64) SlotStats {
  std::atomic<int64_t> c[kNumCounters];
};

struct StatsBlock {
  uint64_t magic;      // kStatsMagic once initialised
  uint32_t version;
  uint32_t num_actors;
  SlotStats slots[kNumSlots];
};
constexpr uint64_t kStatsMagic = 0x5a50535441545331ULL;  // "ZPSTATS1"

// A mapping of the stats block. create() makes (or replaces) the object, open() attaches to
// an existing one and throws IoError if it is missing or not initialised. Thread-safe for
// concurrent counter access; the handle itself is not copyable.
class Stats {
 public:
  static std::unique_ptr<Stats> create(const std::string& name, int num_actors);
  static std::unique_ptr<Stats> open(const std::string& name);
  ~Stats();
  Stats(const Stats&) = delete;
  Stats& operator=(const Stats&) = delete;

  int num_actors() const { return static_cast<int>(block_->num_actors); }

  // Relaxed helpers (see the header comment for why relaxed is enough).
  void add(int slot, Counter c, int64_t v) {
    block_->slots[slot].c[c].fetch_add(v, std::memory_order_relaxed);
  }
  void set(int slot, Counter c, int64_t v) {
    block_->slots[slot].c[c].store(v, std::memory_order_relaxed);
  }
  int64_t get(int slot, Counter c) const {
    return block_->slots[slot].c[c].load(std::memory_order_relaxed);
  }
  // Stamps kHeartbeatNs; at most once a second (per handle) also publishes this process's
  // resident memory into kResidentBytes and kAnonBytes, so every role that beats reports its
  // RSS for free (one read of /proc/self/statm, a few microseconds). Callable from any thread.
  void heartbeat(int slot);

  // Removes the shm object (the supervisor does this at shutdown).
  static void remove(const std::string& name);

 private:
  struct Impl;
  Stats(std::unique_ptr<Impl> impl, StatsBlock* block);
  std::unique_ptr<Impl> impl_;
  StatsBlock* block_;
  // Steady clock after which heartbeat() reads the RSS again. Relaxed: two threads that race
  // past it read /proc twice, which is harmless.
  std::atomic<int64_t> next_rss_ns_{0};
};

// Resident memory of this process in bytes (/proc/self/statm: resident pages, and resident
// minus shared pages for `anon`, times the page size); -1 when /proc cannot be read.
struct ResidentBytes {
  int64_t resident = -1, anon = -1;
};
ResidentBytes self_resident_bytes();

}  // namespace zp::ipc
