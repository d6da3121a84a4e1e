// nn::Backend: the narrow interface between search and the network (after lc0's backends).
// Callers fill the backend's own host buffers with up to max_batch() positions, call
// compute(n) once for the whole batch, then read policies and values back from the same
// buffers. No allocation per call; the LibTorch backend's observation buffer is pinned
// memory on CUDA so the host-to-device copy is one non-blocking transfer.
//
// Lanes: a backend may hold several independent buffer sets ("lanes", lanes() of them, each
// with max_batch positions) so that a caller can overlap its own work with an evaluation:
//   fill lane_buffers(0); submit(0, n0);      // starts evaluating lane 0, returns at once
//   fill lane_buffers(1) meanwhile; submit(1, n1);
//   wait(0); read lane 0's outputs; ...
// A submitted lane's buffers belong to the backend until wait(lane) returns: the caller must
// not touch them in between. Lane 0's buffers are buffers(); compute(n) is submit(0, n)
// followed by wait(0), so single-lane callers never see lanes. The defaults below make any
// backend a one-lane backend whose submit() runs synchronously.
//
// Not thread-safe: one backend per thread (each actor process owns one). Only the done hook
// (set_done_hook) may run on another thread, and it must not call back into the backend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/game/game.h"

namespace zp::nn {

// Host-side batch buffers, sized for max_batch positions. Layout, for position i:
//   obs    [i * obs_size, (i + 1) * obs_size)       observation planes (Game::write_observation)
//   legal  [i * num_actions, ...)                    1 = legal move, 0 = illegal
//   policy [i * num_actions, ...)                    output: probabilities, 0 on illegal moves
//   value  [i]                                       output: in [-1, 1], for the player to move
struct BatchBuffers {
  int max_batch = 0;
  int obs_size = 0;
  int num_actions = 0;
  float* obs = nullptr;
  uint8_t* legal = nullptr;
  float* policy = nullptr;
  float* value = nullptr;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Lane 0's buffers.
  virtual BatchBuffers& buffers() = 0;
  // Evaluates positions [0, n) of buffers(); 1 <= n <= max_batch. Blocks until the outputs
  // are in the host buffers. Illegal moves are masked before the softmax. Lane 0 must not
  // have a submit() outstanding.
  virtual void compute(int n) = 0;
  // Short description for logs, e.g. "torch resnet 5x64 cuda:0 fp16".
  virtual std::string describe() const = 0;

  // Number of lanes (>= 1).
  virtual int lanes() const { return 1; }
  // The buffers of `lane` (0 <= lane < lanes()); lane_buffers(0) is buffers().
  virtual BatchBuffers& lane_buffers(int lane);
  // Starts evaluating positions [0, n) of lane_buffers(lane), 1 <= n <= max_batch; returns
  // without waiting when the backend can evaluate asynchronously (the default evaluates at
  // once: compute(n) on lane 0). The lane must not already be submitted.
  virtual void submit(int lane, int n);
  // Blocks until the outputs of the lane's last submit() are in its host buffers. Returns at
  // once when nothing is outstanding on the lane.
  virtual void wait(int lane) { (void)lane; }
  // Time the device spent on this backend's evaluations so far, in nanoseconds: CUDA event
  // time on a GPU, the forward's wall time on the CPU; 0 when the backend does not measure it
  // (the uniform and scripted backends).
  virtual int64_t device_busy_ns() const { return 0; }

  // Called once per submit(), when that lane's work (copies and forward) has finished on the
  // device; the caller reads the outputs only after wait(lane) all the same. It may run on
  // another thread (a CUDA host callback, a worker thread) and must be quick and not call
  // the backend. compute() does not call it. The actor releases the GPU lock from it.
  using DoneHook = std::function<void(int lane)>;
  void set_done_hook(DoneHook hook) { done_hook_ = std::move(hook); }

 protected:
  void notify_done(int lane) const {
    if (done_hook_) done_hook_(lane);
  }
  DoneHook done_hook_;
};

// Writes `n` random reachable, non-terminal positions (random playouts from the start, seeded
// with `seed`) into positions [0, n) of `b`: observations and legal masks. For benchmarks and
// tests.
void fill_random_positions(const game::Game& game, BatchBuffers& b, int n, uint64_t seed);

// Equal priors over the legal moves and value 0: the CPU-ceiling backend for benchmarks
// and pure search. `lanes` buffer sets; submit() evaluates synchronously.
std::unique_ptr<Backend> make_uniform_backend(const game::Game& game, int max_batch,
                                              int lanes = 1);

}  // namespace zp::nn
