// The timing core of `zeroplay bench inference` (cmd_bench_inference.cpp), shared with
// `bench selfplay`, which measures the standalone ceiling at each row's mean batch in-process
// with this same code; and the helpers every bench uses (config loading, CPU time).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/config/config.h"
#include "shared/nn/backend.h"

namespace zp::cli {

struct BatchResult {
  int batch = 0;
  int64_t calls = 0;
  double evals_per_s = 0, evals_per_cpu_s = 0, mean_ms = 0, p50_ms = 0, p90_ms = 0;
  double speedup = 0;
};

// Warms `evaluator` up at `batch` positions, then calls compute(batch) for `seconds` (at
// least 3 calls) and reports the rates and latencies. The buffers must already hold
// positions (nn::fill_random_positions). Blocks; not thread-safe (the evaluator's rules).
BatchResult time_batch(nn::Backend& evaluator, int batch, double seconds);

// CPU time consumed by this process so far (all threads), in seconds: the benches' rates per
// CPU-second (also `bench train`'s).
double process_cpu_seconds();

// The benches' config: the file at `path` with `overrides`, or the built-in defaults with them
// when `path` is empty (every bench's CONFIG argument is optional).
config::Config load_bench_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace zp::cli
