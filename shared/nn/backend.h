// nn::Backend: the narrow interface between search and the network (after lc0's backends).
// Callers fill the backend's own host buffers with up to max_batch() positions, call
// compute(n) once for the whole batch, then read policies and values back from the same
// buffers. No allocation per call; the LibTorch backend's observation buffer is pinned
// memory on CUDA so the host-to-device copy is one non-blocking transfer.
//
// Not thread-safe: one backend per thread (each actor process owns one).
#pragma once

#include <cstdint>
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
  virtual BatchBuffers& buffers() = 0;
  // Evaluates positions [0, n) of buffers(); 1 <= n <= max_batch. Blocks until the outputs
  // are in the host buffers. Illegal moves are masked before the softmax.
  virtual void compute(int n) = 0;
  // Short description for logs, e.g. "torch resnet 5x64 cuda:0 fp16".
  virtual std::string describe() const = 0;
};

// Writes `n` random reachable, non-terminal positions (random playouts from the start, seeded
// with `seed`) into positions [0, n) of `b`: observations and legal masks. For benchmarks and
// tests.
void fill_random_positions(const game::Game& game, BatchBuffers& b, int n, uint64_t seed);

// Equal priors over the legal moves and value 0: the CPU-ceiling backend for benchmarks
// and pure search.
std::unique_ptr<Backend> make_uniform_backend(const game::Game& game, int max_batch);

}  // namespace zp::nn
