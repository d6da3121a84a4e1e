// The server side of the inference-slot protocol (infer_slots.h), torch-free: gathers ready
// slots into one batch for any nn::Backend, runs one forward pass, writes each slot's answer
// back and wakes its owner. The inference-server role (server/) wraps it with the model
// store and the stats block; the unit tests drive it with a scripted backend.
//
// Gathering (serve_once): take every ready slot whose request still fits into max_batch
// positions; the batch closes when it is full, when every slot that has an owner is in it
// (nobody else can submit), or max_wait_ns after its first request was taken. The scan starts
// one slot further each batch, so no slot is always last.
//
// Not thread-safe: one batcher per segment, and one serving process at a time (the supervisor
// starts a new server only after the old one has exited).
#pragma once

#include <cstdint>
#include <vector>

#include "shared/ipc/infer_slots.h"
#include "shared/nn/backend.h"

namespace zp::ipc {

struct BatcherStats {
  int64_t evals = 0;        // positions evaluated
  int64_t batches = 0;      // forward passes
  int64_t requests = 0;     // requests answered
  int64_t busy_ns = 0;      // wall time inside backend.compute()
  int64_t queue_depth = 0;  // positions left in ready slots when the last forward started
  int64_t recovered = 0;    // taken slots turned back to ready at start-up
};

class InferBatcher {
 public:
  // `backend` must hold max_batch positions; every slot's requests must fit it
  // (slots.layout().slot_positions <= max_batch, else ConfigError). Recovers the slots a
  // previous server left taken and records this process as the server.
  InferBatcher(InferSlots& slots, nn::Backend& backend, int max_batch, int64_t max_wait_ns);

  // Waits up to `idle_ns` for a first request, gathers a batch, evaluates it with the backend
  // and answers every request in it with `model_version`. Returns the positions evaluated
  // (0 when nothing came).
  int serve_once(int64_t model_version, int64_t idle_ns);

  // Publishes the model the server now uses (clients may read it before their first answer).
  void set_model_version(int64_t v);
  const BatcherStats& stats() const { return stats_; }

 private:
  struct Request {
    int slot;
    uint32_t word;  // (sequence, taken)
    int n;
    int first;      // row in the backend's buffers
  };
  bool take_ready(int* positions);
  bool all_owned_taken() const;
  void clear_dead_owners();
  void evaluate(int positions, int64_t model_version);
  void answer(const Request& r, int64_t model_version);

  InferSlots& slots_;
  nn::Backend& backend_;
  const int max_batch_;
  const int64_t max_wait_ns_;
  std::vector<Request> batch_;
  int scan_start_ = 0;
  int64_t next_owner_check_ns_ = 0;
  BatcherStats stats_;
};

}  // namespace zp::ipc
