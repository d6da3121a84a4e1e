#include "shared/ipc/infer_client.h"

#include <unistd.h>

#include "shared/core/clock.h"
#include "shared/core/error.h"

namespace zp::ipc {

InferClient::InferClient(InferSlots& slots, int slot, std::function<void()> on_wait,
                         int wait_ms)
    : slots_(slots),
      slot_(slot),
      on_wait_(std::move(on_wait)),
      wait_step_ns_(static_cast<int64_t>(wait_ms) * 1'000'000) {
  const InferLayout& l = slots.layout();
  if (slot < 0 || slot >= l.num_slots)
    throw ConfigError("inference slot " + std::to_string(slot) + " is out of range 0.." +
                      std::to_string(l.num_slots - 1) + " of " + slots.name());
  buffers_.max_batch = l.slot_positions;
  buffers_.obs_size = l.obs_size;
  buffers_.num_actions = l.num_actions;
  buffers_.obs = slots.obs(slot);
  buffers_.legal = slots.legal(slot);
  buffers_.policy = slots.policy(slot);
  buffers_.value = slots.value(slot);
  InferSlotHeader& h = slots.header(slot);
  h.owner_pid.store(::getpid(), std::memory_order_relaxed);
  // A new sequence in state idle: a server still finishing a dead predecessor's request
  // fails its compare-and-swap on the old sequence. Relaxed load: only owners write the
  // sequence part, and the previous owner is gone. Release store: nothing to publish yet, but
  // it keeps the owner_pid above ordered before the slot looks attached.
  const uint32_t w = h.word.load(std::memory_order_relaxed);
  sequence_ = slot_sequence(w) + 1;
  h.word.store(slot_word(sequence_, kSlotIdle), std::memory_order_release);
}

InferClient::~InferClient() {
  // Relaxed: the server reads the owner only as a hint about which slots are in use.
  slots_.header(slot_).owner_pid.store(0, std::memory_order_relaxed);
}

std::string InferClient::describe() const {
  return "inference server (slot " + std::to_string(slot_) + " of " + slots_.name() + ")";
}

void InferClient::compute(int n) {
  post(n);
  collect();
}

void InferClient::post(int n) {
  ZP_CHECK(!in_flight_);
  ZP_CHECK(n >= 1 && n <= buffers_.max_batch);
  InferSlotHeader& h = slots_.header(slot_);
  // Relaxed: published by the release store of the word below.
  h.n.store(n, std::memory_order_relaxed);
  ++sequence_;
  // Release: the server that acquires `ready` sees n, obs and legal.
  h.word.store(slot_word(sequence_, kSlotReady), std::memory_order_release);
  in_flight_ = true;
  // Release: orders the ready word before the bell for a server that checks the bell first.
  slots_.doorbell().fetch_add(1, std::memory_order_release);
  futex_wake(slots_.doorbell(), 1);
}

bool InferClient::answered() const {
  // Acquire: pairs with the server's release CAS to done (policy, value, model_version).
  return slots_.header(slot_).word.load(std::memory_order_acquire) ==
         slot_word(sequence_, kSlotDone);
}

void InferClient::collect() {
  ZP_CHECK(in_flight_);
  InferSlotHeader& h = slots_.header(slot_);
  const uint32_t done = slot_word(sequence_, kSlotDone);
  const int64_t start = now_ns();
  for (;;) {
    // Acquire: pairs with the server's release CAS to done.
    const uint32_t w = h.word.load(std::memory_order_acquire);
    if (w == done) break;
    // Only this client changes the sequence; another one means a second owner of the slot.
    if (slot_sequence(w) != sequence_)
      throw StateError("inference slot " + std::to_string(slot_) + " of " + slots_.name() +
                       " was taken over by another process (pid " +
                       std::to_string(h.owner_pid.load(std::memory_order_relaxed)) + ")");
    futex_wait(h.word, w, wait_step_ns_);
    if (on_wait_ && h.word.load(std::memory_order_relaxed) != done) on_wait_();
  }
  in_flight_ = false;
  wait_ns_ += now_ns() - start;
  // Relaxed: ordered after the acquire load of done above.
  model_version_ = h.model_version.load(std::memory_order_relaxed);
  if (model_version_ == kRejectedVersion)
    throw StateError("the inference server refused a request of " +
                     std::to_string(h.n.load(std::memory_order_relaxed)) + " positions (slot " +
                     std::to_string(slot_) + " of " + slots_.name() + ")");
}

}  // namespace zp::ipc
