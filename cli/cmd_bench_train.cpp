// `zeroplay bench train`: the learner's speed, in optimizer steps per second, of the configured
// network, optimizer and learner.threads at several batch sizes, on learner.device (or
// --device). Each batch size gets a fresh Trainer and random inputs (0/1 planes, normalised
// random policy targets, values in [-1, 1]): the step's cost does not depend on the values.
// Warm-up steps first (oneDNN primitive creation, allocator caches), then steps for
// --seconds. Prints a table, or one JSON object with --json. Like `bench inference`, it also
// reports samples per CPU-second of this process: on a busy machine the wall-clock rate drops,
// the CPU-time rate much less.
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
#include "shared/model/trainer.h"
#include "cli/bench_inference.h"
#include "cli/commands.h"

namespace zp::cli {

namespace {

struct BenchTrainOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  std::vector<int> batches;  // empty: learner.batch_size
  double seconds = 5.0;
  std::string device;
  bool json = false;
};

struct TrainResult {
  int batch = 0;
  int64_t steps = 0;
  double steps_per_s = 0, samples_per_s = 0, samples_per_cpu_s = 0, mean_ms = 0;
};

// Random training inputs for `batch` positions of `game`.
struct Batch {
  std::vector<float> obs, policy, value;
};
Batch random_batch(const game::Game& game, int batch, uint64_t seed) {
  const game::ObsShape s = game.observation_shape();
  const int a = game.num_actions();
  Rng rng(seed);
  Batch b;
  b.obs.resize(static_cast<size_t>(batch) * s.planes * s.height * s.width);
  for (float& x : b.obs) x = rng.uniform() < 0.3 ? 1.0f : 0.0f;
  b.policy.resize(static_cast<size_t>(batch) * a);
  for (int i = 0; i < batch; ++i) {
    double sum = 0;
    for (int j = 0; j < a; ++j) sum += b.policy[i * a + j] = static_cast<float>(rng.uniform());
    for (int j = 0; j < a; ++j) b.policy[i * a + j] = static_cast<float>(b.policy[i * a + j] / sum);
  }
  b.value.resize(batch);
  for (float& v : b.value) v = static_cast<float>(rng.uniform() * 2.0 - 1.0);
  return b;
}

TrainResult time_train(const config::Config& cfg, const game::Game& game, int batch,
                       double seconds) {
  model::Trainer trainer(game, cfg.model, cfg.learner, 0, 1);
  const Batch b = random_batch(game, batch, 12345);
  auto step = [&] { trainer.train_step(b.obs.data(), b.policy.data(), b.value.data(), batch); };
  Stopwatch warm;
  for (int i = 0; i < 3 || warm.seconds() < std::min(1.0, seconds / 4); ++i) step();
  const double cpu0 = process_cpu_seconds();
  Stopwatch total;
  TrainResult r;
  r.batch = batch;
  while (r.steps < 3 || total.seconds() < seconds) {
    step();
    ++r.steps;
  }
  const double elapsed = total.seconds(), cpu = process_cpu_seconds() - cpu0;
  r.steps_per_s = r.steps / elapsed;
  r.samples_per_s = r.steps_per_s * batch;
  r.samples_per_cpu_s = cpu > 0 ? static_cast<double>(r.steps) * batch / cpu : 0.0;
  r.mean_ms = elapsed * 1e3 / r.steps;
  return r;
}

void run_bench_train(const BenchTrainOptions& o) {
  config::Config cfg = load_bench_config(o.config_path, o.overrides);
  if (!o.device.empty()) cfg.learner.device = o.device;
  std::vector<int> batches = o.batches;
  if (batches.empty()) batches = {cfg.learner.batch_size};
  for (int b : batches) {
    if (b < 1) throw ConfigError("--batches: batch sizes must be >= 1, got " + std::to_string(b));
  }
  const std::string device = model::resolve_device(cfg.learner.device, "learner.device");
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  std::vector<TrainResult> results;
  for (int b : batches) {
    if (!o.json) std::fprintf(stderr, "[bench] batch %d\n", b);
    results.push_back(time_train(cfg, *game, b, o.seconds));
  }
  const config::ModelConfig& m = cfg.model;
  if (o.json) {
    arena::Json j;
    j["bench"] = "train";
    j["game"] = game->name();
    j["device"] = device;
    j["learner_threads"] = cfg.learner.threads;
    j["optimizer"] = cfg.learner.optimizer;
    j["blocks"] = m.blocks;
    j["channels"] = m.channels;
    j["seconds_per_batch"] = o.seconds;
    arena::Json rows = arena::Json::array();
    for (const TrainResult& r : results) {
      arena::Json row;
      row["batch"] = r.batch;
      row["steps"] = r.steps;
      row["steps_per_s"] = r.steps_per_s;
      row["samples_per_s"] = r.samples_per_s;
      row["samples_per_cpu_s"] = r.samples_per_cpu_s;
      row["step_ms_mean"] = r.mean_ms;
      rows.push_back(std::move(row));
    }
    j["results"] = std::move(rows);
    std::printf("%s\n", arena::json_line(j).c_str());
    return;
  }
  std::printf("bench train: %s, resnet %dx%d, %s, device %s, learner threads %d, %.1f s per "
              "batch size\n",
              game->name().c_str(), m.blocks, m.channels, cfg.learner.optimizer.c_str(),
              device.c_str(), cfg.learner.threads, o.seconds);
  std::printf("%7s %8s %9s %10s %12s %16s\n", "batch", "steps", "steps/s", "ms/step",
              "samples/s", "samples/cpu-s");
  for (const TrainResult& r : results) {
    std::printf("%7d %8lld %9.2f %10.2f %12.0f %16.0f\n", r.batch,
                static_cast<long long>(r.steps), r.steps_per_s, r.mean_ms, r.samples_per_s,
                r.samples_per_cpu_s);
  }
}

}  // namespace

void add_bench_train(CLI::App& bench) {
  auto o = std::make_shared<BenchTrainOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "train", "Learner speed: optimizer steps/s and samples/s of the configured network per batch size");
  cmd->add_option("config", o->config_path, "Config file (default: built-in defaults)");
  cmd->add_option("--set", o->overrides, "Override a key: section.key=value");
  cmd->add_option("--batches", o->batches,
                  "Batch sizes, comma-separated (default: learner.batch_size)")
      ->delimiter(',');
  cmd->add_option("--seconds", o->seconds, "Measurement time per batch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--device", o->device, "Device (overrides learner.device): auto, cpu, cuda:N");
  cmd->add_flag("--json", o->json, "Print one JSON object instead of a table");
  cmd->callback([o] { run_bench_train(*o); });
}

}  // namespace zp::cli
