#include "shared/ipc/infer_batcher.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "shared/core/clock.h"
#include "shared/core/error.h"

namespace zp::ipc {

namespace {

// How often the server looks for slots whose owner died (kill(pid, 0)).
constexpr int64_t kOwnerCheckNs = 1'000'000'000;

}  // namespace

InferBatcher::InferBatcher(InferSlots& slots, nn::Backend& backend, int max_batch,
                           int64_t max_wait_ns)
    : slots_(slots), backend_(backend), max_batch_(max_batch), max_wait_ns_(max_wait_ns) {
  const InferLayout& l = slots.layout();
  if (l.slot_positions > max_batch)
    throw ConfigError("inference slots of " + std::to_string(l.slot_positions) +
                      " positions do not fit server.max_batch " + std::to_string(max_batch));
  const nn::BatchBuffers& b = backend.buffers();
  ZP_CHECK_GE(b.max_batch, max_batch);
  ZP_CHECK_EQ(b.obs_size, l.obs_size);
  ZP_CHECK_EQ(b.num_actions, l.num_actions);
  batch_.reserve(l.num_slots);
  // A predecessor killed mid-batch left its requests taken: hand them back to the queue.
  for (int i = 0; i < l.num_slots; ++i) {
    std::atomic<uint32_t>& word = slots.header(i).word;
    uint32_t w = word.load(std::memory_order_relaxed);
    // Relaxed: nothing is handed over here; the client's data stays as it published it (the
    // acquire happens when this server takes the slot again).
    if (slot_state(w) == kSlotTaken &&
        word.compare_exchange_strong(w, slot_word(slot_sequence(w), kSlotReady),
                                     std::memory_order_relaxed))
      ++stats_.recovered;
  }
  // Relaxed: informational (logs, tests).
  slots.server_pid().store(::getpid(), std::memory_order_relaxed);
}

void InferBatcher::set_model_version(int64_t v) {
  // Release: a client that reads the version before its first answer may log it; nothing
  // else depends on it.
  slots_.server_model_version().store(v, std::memory_order_release);
}

// Takes every ready request that still fits. True when a ready request did not fit (the batch
// cannot usefully wait for more).
bool InferBatcher::take_ready(int* positions) {
  const InferLayout& l = slots_.layout();
  bool skipped = false;
  for (int k = 0; k < l.num_slots; ++k) {
    const int i = (scan_start_ + k) % l.num_slots;
    InferSlotHeader& h = slots_.header(i);
    // Acquire: pairs with the client's release store of ready (n, obs and legal).
    uint32_t w = h.word.load(std::memory_order_acquire);
    if (slot_state(w) != kSlotReady) continue;
    const int n = h.n.load(std::memory_order_relaxed);
    const bool valid = n >= 1 && n <= l.slot_positions && n <= max_batch_;
    if (valid && *positions + n > max_batch_) {
      skipped = true;
      continue;
    }
    // Acquire on success: as the load above. A failure means the owner reset the slot.
    const uint32_t taken = slot_word(slot_sequence(w), kSlotTaken);
    if (!h.word.compare_exchange_strong(w, taken, std::memory_order_acquire,
                                        std::memory_order_relaxed))
      continue;
    Request r{i, taken, n, *positions};
    if (!valid) {
      answer(r, kRejectedVersion);
      continue;
    }
    batch_.push_back(r);
    *positions += n;
  }
  return skipped;
}

// Whether every slot that has an owner is in the batch: then nobody can add to it.
bool InferBatcher::all_owned_taken() const {
  for (int i = 0; i < slots_.layout().num_slots; ++i) {
    const InferSlotHeader& h = slots_.header(i);
    // Relaxed: a hint for when to close the batch; a stale value costs at most max_wait.
    if (h.owner_pid.load(std::memory_order_relaxed) != 0 &&
        slot_state(h.word.load(std::memory_order_relaxed)) != kSlotTaken)
      return false;
  }
  return true;
}

// Slots of owners that died (kill -9) stop counting as in use, so batches do not wait for them.
void InferBatcher::clear_dead_owners() {
  for (int i = 0; i < slots_.layout().num_slots; ++i) {
    std::atomic<int64_t>& owner = slots_.header(i).owner_pid;
    int64_t pid = owner.load(std::memory_order_relaxed);
    if (pid > 0 && pid <= INT32_MAX && ::kill(static_cast<pid_t>(pid), 0) != 0 &&
        errno == ESRCH)
      owner.compare_exchange_strong(pid, 0, std::memory_order_relaxed);  // a hint, as above
  }
}

int InferBatcher::serve_once(int64_t model_version, int64_t idle_ns) {
  batch_.clear();
  int positions = 0;
  int64_t first_ns = 0;
  const int64_t start = now_ns();
  for (;;) {
    if (start >= next_owner_check_ns_) {
      clear_dead_owners();
      next_owner_check_ns_ = start + kOwnerCheckNs;
    }
    // Acquire: a submit that bumped the bell after this load wakes the wait below; one that
    // bumped it before is seen by the scan.
    const uint32_t bell = slots_.doorbell().load(std::memory_order_acquire);
    const bool skipped = take_ready(&positions);
    const int64_t now = now_ns();
    if (!batch_.empty() && first_ns == 0) first_ns = now;
    if (positions >= max_batch_ || skipped || (!batch_.empty() && all_owned_taken())) break;
    const int64_t timeout =
        batch_.empty() ? start + idle_ns - now : first_ns + max_wait_ns_ - now;
    if (timeout <= 0) {
      if (batch_.empty()) return 0;
      break;
    }
    futex_wait(slots_.doorbell(), bell, timeout);
  }
  int64_t waiting = 0;
  for (int i = 0; i < slots_.layout().num_slots; ++i) {
    const InferSlotHeader& h = slots_.header(i);
    if (slot_state(h.word.load(std::memory_order_relaxed)) == kSlotReady)
      waiting += h.n.load(std::memory_order_relaxed);
  }
  stats_.queue_depth = waiting;
  scan_start_ = (scan_start_ + 1) % slots_.layout().num_slots;
  evaluate(positions, model_version);
  return positions;
}

void InferBatcher::evaluate(int positions, int64_t model_version) {
  nn::BatchBuffers& b = backend_.buffers();
  const size_t obs = static_cast<size_t>(b.obs_size), acts = static_cast<size_t>(b.num_actions);
  for (const Request& r : batch_) {
    std::memcpy(b.obs + r.first * obs, slots_.obs(r.slot), r.n * obs * sizeof(float));
    std::memcpy(b.legal + r.first * acts, slots_.legal(r.slot), r.n * acts);
  }
  const int64_t t0 = now_ns();
  backend_.compute(positions);
  stats_.busy_ns += now_ns() - t0;
  for (const Request& r : batch_) {
    std::memcpy(slots_.policy(r.slot), b.policy + r.first * acts, r.n * acts * sizeof(float));
    std::memcpy(slots_.value(r.slot), b.value + r.first, r.n * sizeof(float));
    answer(r, model_version);
  }
  stats_.evals += positions;
  stats_.batches += 1;
  stats_.requests += static_cast<int64_t>(batch_.size());
}

void InferBatcher::answer(const Request& r, int64_t model_version) {
  InferSlotHeader& h = slots_.header(r.slot);
  // Relaxed: published by the release CAS below.
  h.model_version.store(model_version, std::memory_order_relaxed);
  uint32_t expected = r.word;
  // Release: the client that acquires done sees policy, value and model_version. A failure
  // means a new owner reset the slot meanwhile; the answer is then for nobody.
  if (h.word.compare_exchange_strong(expected, slot_word(slot_sequence(r.word), kSlotDone),
                                     std::memory_order_release, std::memory_order_relaxed))
    futex_wake(h.word, INT_MAX);
}

}  // namespace zp::ipc
