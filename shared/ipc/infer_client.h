// The actor side of actors.inference: server, as an nn::Backend: each of its lanes (one per
// pipeline group, nn::Backend's lane interface) is one request slot of the inference-slot
// segment (infer_slots.h), and the lane's BatchBuffers point straight into that slot, so the
// search writes its leaves into shared memory and nothing is copied on this side.
// submit(lane, n) marks the slot ready and rings the server's doorbell; wait(lane) sleeps on
// the slot word until the server's answer is there; compute(n) is submit(0, n) + wait(0).
//
// Waiting never holds a lock: the client sleeps on its slot word with a timeout and calls
// `on_wait` at least every `wait_ms` while it waits (the actor beats its heartbeat there). A
// server killed mid-batch is replaced by the supervisor; the new server serves the request
// still in the slot, so the client needs to do nothing but keep waiting.
//
// Not thread-safe: one client per actor, used from one thread (like every Backend). The done
// hook runs from wait(), on that thread, when the lane's answer has arrived.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/ipc/infer_slots.h"
#include "shared/nn/backend.h"

namespace zp::ipc {

class InferClient final : public nn::Backend {
 public:
  // Attaches lanes 0 .. lanes - 1 to slots first_slot .. first_slot + lanes - 1 of `slots`
  // (which must outlive the client): records this process as each slot's owner and resets it
  // to idle with a new sequence number, abandoning whatever a previous owner left there.
  // Throws ConfigError when the slots are out of range.
  InferClient(InferSlots& slots, int first_slot, int lanes = 1,
              std::function<void()> on_wait = nullptr, int wait_ms = 100);
  // Detaches (owner 0) so the server no longer counts the slots as in use.
  ~InferClient() override;
  InferClient(const InferClient&) = delete;
  InferClient& operator=(const InferClient&) = delete;

  nn::BatchBuffers& buffers() override { return lanes_[0].buffers; }
  void compute(int n) override;
  std::string describe() const override;

  int lanes() const override { return static_cast<int>(lanes_.size()); }
  nn::BatchBuffers& lane_buffers(int lane) override;
  // Hands positions [0, n) of the lane over to the server and returns at once. Until wait()
  // returns, the lane's buffers belong to the server: do not touch them.
  void submit(int lane, int n) override;
  // Blocks until the answer to the lane's last submit() is in its buffers (at once when none
  // is outstanding). Throws StateError when the server refused the request or another
  // process took the slot over.
  void wait(int lane) override;
  // Whether the lane's answer is there, without blocking.
  bool answered(int lane) const;

  // The model version of the last answer on any lane (0 before the first one).
  int64_t model_version() const { return model_version_; }
  // Time spent in wait(), nanoseconds.
  int64_t wait_ns() const { return wait_ns_; }

 private:
  struct Lane {
    int slot = 0;
    nn::BatchBuffers buffers;
    uint32_t sequence = 0;  // of the request in flight or last answered
    bool in_flight = false;
  };
  Lane& lane(int l);

  InferSlots& slots_;
  std::vector<Lane> lanes_;
  std::function<void()> on_wait_;
  const int64_t wait_step_ns_;
  int64_t model_version_ = 0;
  int64_t wait_ns_ = 0;
};

}  // namespace zp::ipc
