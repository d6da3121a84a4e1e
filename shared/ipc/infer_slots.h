// The inference-server request slots (actors.inference: server): one shared-memory segment per
// device, "zp-<run_id>-infer<d>" (Boost.Interprocess shared_memory_object, 0600), created by
// whoever owns the run (the supervisor, or `bench selfplay`) before the server and the actors
// start, so it outlives restarts of either. Only slot ids and states cross processes; the
// tensors stay in this segment (client side) and in the server's backend (server side).
//
// Layout (docs/formats.md has the same, field by field):
//   offset 0     Header, one cache line: magic, version, num_slots, slot_positions, obs_size,
//                num_actions, slot_stride, server_pid, server_model_version
//   offset 64    the doorbell: std::atomic<uint32_t>, bumped by every submit (one cache line)
//   offset 128 + i * slot_stride: slot i
//                SlotHeader (one cache line): word, n, owner_pid, model_version
//                obs    [slot_positions * obs_size] float      (written by the client)
//                legal  [slot_positions * num_actions] uint8   (written by the client)
//                policy [slot_positions * num_actions] float   (written by the server)
//                value  [slot_positions] float                  (written by the server)
//                each array starting on a 64-byte boundary; positions laid out as in
//                nn::BatchBuffers, so a client's BatchBuffers point straight into its slot.
//
// Slot word: (sequence << 2) | state, one 32-bit atomic, also the futex the client sleeps on.
//   idle  (0) -> ready (1)   client, submit: sequence + 1, after writing n, obs and legal
//   ready (1) -> taken (2)   server, compare-and-swap, when it puts the request into a batch
//   taken (2) -> done  (3)   server, compare-and-swap on the same sequence, after writing
//                            policy, value and model_version; then FUTEX_WAKE on the word
//   taken (2) -> ready (1)   a server at start-up: its predecessor died mid-batch
//   any       -> idle        a client attaching to its slot (a restarted actor): sequence + 1,
//                            so a server still finishing the dead owner's request fails its
//                            compare-and-swap and never answers the new request with old data
// The client reads the answer when the word is exactly (its sequence, done). Waits are futex
// waits (FUTEX_WAIT, not private: the word is in shared memory) with timeouts; nobody holds a
// lock across a wait, so kill -9 of either side leaves only a state word behind:
//   - a killed client's slot is abandoned (ready: served and never read; idle: ignored); the
//     server never waits on a client, and clears the owner of a slot whose pid is gone;
//   - a killed server leaves its batch taken; the next server turns it back to ready and
//     serves it, and the waiting clients get their answers without doing anything.
// Memory order: each state change that hands data over is a release (store or CAS), each
// read of the state before touching the data an acquire; see the .cpp for each one.
//
// Not thread-safe per slot: one client thread per slot, one server thread per segment.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace zp::ipc {

enum SlotState : uint32_t { kSlotIdle = 0, kSlotReady = 1, kSlotTaken = 2, kSlotDone = 3 };

// The slot word's parts.
constexpr uint32_t slot_state(uint32_t word) { return word & 3u; }
constexpr uint32_t slot_sequence(uint32_t word) { return word >> 2; }
constexpr uint32_t slot_word(uint32_t sequence, SlotState s) { return (sequence << 2) | s; }

// model_version of an answer the server refused (n out of range); the client throws.
constexpr int64_t kRejectedVersion = -1;

struct InferLayout {
  int num_slots = 0;       // e.g. actors.count x lanes per actor
  int slot_positions = 0;  // capacity of one request, in positions
  int obs_size = 0;        // floats per observation (Game::observation_shape().size())
  int num_actions = 0;
};

// One request slot's header (one cache line), see the layout above.
struct alignas(64) InferSlotHeader {
  std::atomic<uint32_t> word;            // (sequence << 2) | state; the client's futex
  std::atomic<int32_t> n;                // positions in the request
  std::atomic<int64_t> owner_pid;        // attached client, 0 = none
  std::atomic<int64_t> model_version;    // of the answer (kRejectedVersion: refused)
};

class InferSlots {
 public:
  // Creates (or replaces) the segment, every page allocated (reserve_shm), every slot idle.
  // Throws ConfigError for a bad layout, IoError when /dev/shm lacks the room.
  static std::unique_ptr<InferSlots> create(const std::string& name, const InferLayout& layout);
  // Attaches to an existing segment; throws IoError if missing or not initialised.
  static std::unique_ptr<InferSlots> open(const std::string& name);
  static void remove(const std::string& name);
  ~InferSlots();
  InferSlots(const InferSlots&) = delete;
  InferSlots& operator=(const InferSlots&) = delete;

  const std::string& name() const;
  const InferLayout& layout() const;

  InferSlotHeader& header(int slot) const;
  float* obs(int slot) const;
  uint8_t* legal(int slot) const;
  float* policy(int slot) const;
  float* value(int slot) const;

  // The doorbell: clients bump it after each submit and wake the server, which sleeps on it.
  std::atomic<uint32_t>& doorbell() const;
  // The model version the server has loaded (0 = none yet), and its pid; written by the server.
  std::atomic<int64_t>& server_model_version() const;
  std::atomic<int64_t>& server_pid() const;

 private:
  struct Impl;
  explicit InferSlots(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Futex operations on a 32-bit word in shared memory (not FUTEX_PRIVATE: other processes).
// futex_wait returns when the word may differ from `expected`, after `timeout_ns`, or on a
// signal; callers always re-check the word. futex_wake wakes up to `count` waiters.
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected, int64_t timeout_ns);
void futex_wake(std::atomic<uint32_t>& word, int count);

}  // namespace zp::ipc
