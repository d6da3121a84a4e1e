// `zeroplay bench inference`: forward-pass throughput of the configured network at several
// batch sizes, on the configured device (or --device). Random positions from random playouts
// fill the evaluator's buffers once; each batch size is warmed up, then timed call by call
// (compute() is synchronous: on CUDA it returns after the copy back, so each call's time
// includes the device work). Prints a table, or one JSON object with --json.
// Besides wall-clock rates it reports evals per CPU-second of this process (all threads):
// on a shared, oversubscribed machine wall-clock rates drop, CPU-time rates much less.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "shared/arena/json_line.h"
#include "shared/config/config.h"
#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "shared/core/rng.h"
#include "shared/game/registry.h"
#include "shared/model/device.h"
#include "shared/model/network_backend.h"
#include "cli/bench_inference.h"
#include "cli/commands.h"

namespace zp::cli {

namespace {

struct BenchInferenceOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  std::vector<int> batches{1, 8, 32, 128, 512};
  double seconds = 2.0;
  std::string device;
  bool json = false;
};


// CPU time consumed by this process so far (all threads), in seconds.
double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

}  // namespace

BatchResult time_batch(nn::Backend& evaluator, int batch, double seconds) {
  // Warm-up: allocator caches, kernel selection (cuDNN / oneDNN primitives), thread pools.
  Stopwatch warm;
  for (int i = 0; i < 3 || warm.seconds() < std::min(0.3, seconds / 4); ++i) {
    evaluator.compute(batch);
  }
  std::vector<double> ms;
  const double cpu0 = process_cpu_seconds();
  Stopwatch total;
  while (ms.size() < 3 || total.seconds() < seconds) {
    Stopwatch call;
    evaluator.compute(batch);
    ms.push_back(call.seconds() * 1e3);
  }
  const double elapsed = total.seconds();
  const double cpu = process_cpu_seconds() - cpu0;
  BatchResult r;
  r.batch = batch;
  r.calls = static_cast<int64_t>(ms.size());
  r.evals_per_s = static_cast<double>(batch) * r.calls / elapsed;
  r.evals_per_cpu_s = cpu > 0 ? static_cast<double>(batch) * r.calls / cpu : 0.0;
  double sum = 0;
  for (double v : ms) sum += v;
  r.mean_ms = sum / r.calls;
  std::sort(ms.begin(), ms.end());
  r.p50_ms = ms[ms.size() / 2];
  r.p90_ms = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  return r;
}

namespace {

// The --json object: the setup, then one entry per batch size.
arena::Json results_json(const BenchInferenceOptions& o, const config::Config& cfg,
                         const game::Game& game, const model::NetworkBackend& evaluator,
                         const std::vector<BatchResult>& results) {
  const config::ModelConfig& m = cfg.model;
  arena::Json j;
  j["bench"] = "inference";
  j["game"] = game.name();
  j["device"] = evaluator.device();
  j["precision"] = evaluator.precision();
  j["torch_threads"] = model::torch_threads();
  j["blocks"] = m.blocks;
  j["channels"] = m.channels;
  j["policy_channels"] = m.policy_channels;
  j["value_channels"] = m.value_channels;
  j["value_hidden"] = m.value_hidden;
  j["seconds_per_batch"] = o.seconds;
  j["speedup_base_batch"] = results.front().batch;
  arena::Json rows = arena::Json::array();
  for (const BatchResult& r : results) {
    arena::Json row;
    row["batch"] = r.batch;
    row["calls"] = r.calls;
    row["evals_per_s"] = r.evals_per_s;
    row["evals_per_cpu_s"] = r.evals_per_cpu_s;
    row["latency_ms_mean"] = r.mean_ms;
    row["latency_ms_p50"] = r.p50_ms;
    row["latency_ms_p90"] = r.p90_ms;
    row["speedup"] = r.speedup;
    rows.push_back(std::move(row));
  }
  j["results"] = std::move(rows);
  return j;
}

void run_bench_inference(const BenchInferenceOptions& o) {
  config::Config cfg = o.config_path.empty()
                           ? config::load_config_string("", "<defaults>", o.overrides)
                           : config::load_config(o.config_path, o.overrides);
  if (!o.device.empty()) cfg.model.device = o.device;
  std::vector<int> batches = o.batches;
  for (int b : batches) {
    if (b < 1) throw ConfigError("--batches: batch sizes must be >= 1, got " + std::to_string(b));
  }
  const int max_batch = *std::max_element(batches.begin(), batches.end());
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  auto evaluator = model::make_torch_backend(*game, cfg.model, max_batch);
  nn::fill_random_positions(*game, evaluator->buffers(), max_batch, 12345);

  std::vector<BatchResult> results;
  for (int b : batches) results.push_back(time_batch(*evaluator, b, o.seconds));
  for (BatchResult& r : results) r.speedup = r.evals_per_s / results.front().evals_per_s;

  const game::ObsShape obs = game->observation_shape();
  const config::ModelConfig& m = cfg.model;
  if (o.json) {
    std::printf("%s\n", arena::json_line(results_json(o, cfg, *game, *evaluator, results)).c_str());
    return;
  }
  std::printf(
      "bench inference: %s, resnet %dx%d (policy %d, value %d/%d), obs %dx%dx%d, "
      "%d actions\n",
      game->name().c_str(), m.blocks, m.channels, m.policy_channels, m.value_channels,
      m.value_hidden, obs.planes, obs.height, obs.width, game->num_actions());
  std::printf("device %s, precision %s, torch threads %d, %.1f s per batch size\n",
              evaluator->device().c_str(), evaluator->precision().c_str(), model::torch_threads(),
              o.seconds);
  std::printf("%7s %11s %9s %9s %9s %9s %13s\n", "batch", "evals/s", "mean ms", "p50 ms", "p90 ms",
              "speedup", "evals/cpu-s");
  for (const BatchResult& r : results) {
    std::printf("%7d %11.0f %9.3f %9.3f %9.3f %8.2fx %13.0f\n", r.batch, r.evals_per_s, r.mean_ms,
                r.p50_ms, r.p90_ms, r.speedup, r.evals_per_cpu_s);
  }
  std::printf("(speedup: evals/s relative to batch %d)\n", results.front().batch);
}

}  // namespace

void add_bench_inference(CLI::App& bench) {
  auto o = std::make_shared<BenchInferenceOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "inference", "Network forward throughput (evals/s) and latency per batch size");
  cmd->add_option("config", o->config_path, "Config file (default: built-in defaults)");
  cmd->add_option("--set", o->overrides, "Override a key: section.key=value");
  cmd->add_option("--batches", o->batches, "Batch sizes, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--seconds", o->seconds, "Measurement time per batch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--device", o->device, "Device (overrides model.device): auto, cpu, cuda:N");
  cmd->add_flag("--json", o->json, "Print one JSON object instead of a table");
  cmd->callback([o] { run_bench_inference(*o); });
}

}  // namespace zp::cli
