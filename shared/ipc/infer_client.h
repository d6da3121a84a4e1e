// The actor side of actors.inference: server, as an nn::Backend: its BatchBuffers point
// straight into one request slot of the inference-slot segment (infer_slots.h), so the search
// writes its leaves into shared memory and compute(n) copies nothing. compute(n) = post(n),
// then collect() the server's answer.
//
// Waiting never holds a lock: the client sleeps on its slot word with a timeout and calls
// `on_wait` at least every `wait_ms` while it waits (the actor beats its heartbeat there). A
// server killed mid-batch is replaced by the supervisor; the new server serves the request
// still in the slot, so the client needs to do nothing but keep waiting.
//
// Not thread-safe: one client per slot, used from one thread (like every Backend).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "shared/ipc/infer_slots.h"
#include "shared/nn/backend.h"

namespace zp::ipc {

class InferClient final : public nn::Backend {
 public:
  // Attaches to `slot` of `slots` (which must outlive the client): records this process as the
  // owner and resets the slot to idle with a new sequence number, abandoning whatever a
  // previous owner left there.
  InferClient(InferSlots& slots, int slot, std::function<void()> on_wait = nullptr,
              int wait_ms = 100);
  // Detaches (owner 0) so the server no longer counts the slot as in use.
  ~InferClient() override;
  InferClient(const InferClient&) = delete;
  InferClient& operator=(const InferClient&) = delete;

  nn::BatchBuffers& buffers() override { return buffers_; }
  void compute(int n) override;
  std::string describe() const override;

  // The two halves of compute(), for a caller that overlaps search with the server's work
  // (one client per pipeline lane, each on its own slot): post(n) hands positions [0, n) over
  // and returns at once; collect() blocks until the answer is in buffers(); answered() says
  // without blocking whether it is. Between post and the end of collect the buffers belong to
  // the server: do not touch them.
  void post(int n);
  bool answered() const;
  void collect();

  // The model version of the last answer (0 before the first one).
  int64_t model_version() const { return model_version_; }
  // Time spent in collect(), nanoseconds.
  int64_t wait_ns() const { return wait_ns_; }
  int slot() const { return slot_; }

 private:
  InferSlots& slots_;
  const int slot_;
  std::function<void()> on_wait_;
  const int64_t wait_step_ns_;
  nn::BatchBuffers buffers_;
  uint32_t sequence_ = 0;  // of the request in flight or last answered
  bool in_flight_ = false;
  int64_t model_version_ = 0;
  int64_t wait_ns_ = 0;
};

}  // namespace zp::ipc
