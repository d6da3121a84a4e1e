#include "shared/ipc/infer_client.h"

#include <unistd.h>

#include "shared/core/clock.h"
#include "shared/core/error.h"

namespace zp::ipc {

InferClient::InferClient(InferSlots& slots, int first_slot, int lanes,
                         std::function<void()> on_wait, int wait_ms)
    : slots_(slots),
      on_wait_(std::move(on_wait)),
      wait_step_ns_(static_cast<int64_t>(wait_ms) * 1'000'000) {
  const InferLayout& l = slots.layout();
  if (lanes < 1 || first_slot < 0 || first_slot + lanes > l.num_slots)
    throw ConfigError("inference slots " + std::to_string(first_slot) + ".." +
                      std::to_string(first_slot + lanes - 1) + " are out of range 0.." +
                      std::to_string(l.num_slots - 1) + " of " + slots.name());
  lanes_.resize(lanes);
  for (int i = 0; i < lanes; ++i) {
    Lane& ln = lanes_[i];
    ln.slot = first_slot + i;
    ln.buffers.max_batch = l.slot_positions;
    ln.buffers.obs_size = l.obs_size;
    ln.buffers.num_actions = l.num_actions;
    ln.buffers.obs = slots.obs(ln.slot);
    ln.buffers.legal = slots.legal(ln.slot);
    ln.buffers.policy = slots.policy(ln.slot);
    ln.buffers.value = slots.value(ln.slot);
    InferSlotHeader& h = slots.header(ln.slot);
    h.owner_pid.store(::getpid(), std::memory_order_relaxed);
    // A new sequence in state idle: a server still finishing a dead predecessor's request
    // fails its compare-and-swap on the old sequence. Relaxed load: only owners write the
    // sequence part, and the previous owner is gone. Release store: keeps owner_pid ordered
    // before the slot looks attached.
    const uint32_t w = h.word.load(std::memory_order_relaxed);
    ln.sequence = slot_sequence(w) + 1;
    h.word.store(slot_word(ln.sequence, kSlotIdle), std::memory_order_release);
  }
}

InferClient::~InferClient() {
  // Relaxed: the server reads the owner only as a hint about which slots are in use.
  for (const Lane& ln : lanes_) slots_.header(ln.slot).owner_pid.store(0, std::memory_order_relaxed);
}

InferClient::Lane& InferClient::lane(int l) {
  ZP_CHECK(l >= 0 && l < lanes());
  return lanes_[l];
}

nn::BatchBuffers& InferClient::lane_buffers(int l) { return lane(l).buffers; }

std::string InferClient::describe() const {
  return "inference server (slots " + std::to_string(lanes_.front().slot) + ".." +
         std::to_string(lanes_.back().slot) + " of " + slots_.name() + ")";
}

void InferClient::compute(int n) {
  submit(0, n);
  wait(0);
}

void InferClient::submit(int l, int n) {
  Lane& ln = lane(l);
  ZP_CHECK(!ln.in_flight);
  ZP_CHECK(n >= 1 && n <= ln.buffers.max_batch);
  InferSlotHeader& h = slots_.header(ln.slot);
  // Relaxed: published by the release store of the word below.
  h.n.store(n, std::memory_order_relaxed);
  ++ln.sequence;
  // Release: the server that acquires `ready` sees n, obs and legal.
  h.word.store(slot_word(ln.sequence, kSlotReady), std::memory_order_release);
  ln.in_flight = true;
  // Release: orders the ready word before the bell for a server that checks the bell first.
  slots_.doorbell().fetch_add(1, std::memory_order_release);
  futex_wake(slots_.doorbell(), 1);
}

bool InferClient::answered(int l) const {
  ZP_CHECK(l >= 0 && l < static_cast<int>(lanes_.size()));
  const Lane& ln = lanes_[l];
  // Acquire: pairs with the server's release CAS to done (policy, value, model_version).
  return slots_.header(ln.slot).word.load(std::memory_order_acquire) ==
         slot_word(ln.sequence, kSlotDone);
}

void InferClient::wait(int l) {
  Lane& ln = lane(l);
  if (!ln.in_flight) return;
  InferSlotHeader& h = slots_.header(ln.slot);
  const uint32_t done = slot_word(ln.sequence, kSlotDone);
  const int64_t start = now_ns();
  for (;;) {
    // Acquire: pairs with the server's release CAS to done.
    const uint32_t w = h.word.load(std::memory_order_acquire);
    if (w == done) break;
    // Only this client changes the sequence; another one means a second owner of the slot.
    if (slot_sequence(w) != ln.sequence)
      throw StateError("inference slot " + std::to_string(ln.slot) + " of " + slots_.name() +
                       " was taken over by another process (pid " +
                       std::to_string(h.owner_pid.load(std::memory_order_relaxed)) + ")");
    futex_wait(h.word, w, wait_step_ns_);
    if (on_wait_ && h.word.load(std::memory_order_relaxed) != done) on_wait_();
  }
  ln.in_flight = false;
  wait_ns_ += now_ns() - start;
  // Relaxed: ordered after the acquire load of done above.
  const int64_t version = h.model_version.load(std::memory_order_relaxed);
  if (version == kRejectedVersion)
    throw StateError("the inference server refused a request of " +
                     std::to_string(h.n.load(std::memory_order_relaxed)) + " positions (slot " +
                     std::to_string(ln.slot) + " of " + slots_.name() + ")");
  model_version_ = version;
  notify_done(l);
}

}  // namespace zp::ipc
