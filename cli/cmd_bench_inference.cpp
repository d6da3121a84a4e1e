// `zeroplay bench inference`: forward-pass throughput of the configured network at several
// batch sizes, on the configured device (or --device). Random positions from random playouts
// fill the evaluator's buffers once; each batch size is warmed up, then timed call by call
// (compute() is synchronous: on CUDA it returns after the copy back, so each call's time
// includes the device work). Prints a table, or one JSON object with --json.
// Besides wall-clock rates it reports evals per CPU-second of this process (all threads):
// on a shared, oversubscribed machine wall-clock rates drop, CPU-time rates much less.
// Axes: --precision (auto, fp32, fp16, bf16) and --graphs (auto, on, off; CUDA graphs) give one
// network per combination, each timed at every batch size (default: the config's values).
// A combination the device cannot run (half precision or CUDA graphs on the CPU) gets one
// row saying it is not applicable, never numbers.
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
  std::vector<std::string> precisions;  // empty: model.precision
  std::vector<std::string> graphs;      // empty: model.cuda_graphs
};

// One (precision, graphs) combination and its rows.
struct Variant {
  std::string precision, graphs;  // as asked
  std::string note;               // not empty: not applicable on this device, why
  std::string used_precision;     // what the backend ran (auto resolved)
  bool used_graphs = false;
  std::vector<BatchResult> results;
};

}  // namespace

config::Config load_bench_config(const std::string& path, const std::vector<std::string>& overrides) {
  return path.empty() ? config::load_config_string("", "<defaults>", overrides)
                      : config::load_config(path, overrides);
}

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

const char* graphs_word(bool on) { return on ? "on" : "off"; }

// The --json object: the setup, then one entry per (precision, graphs, batch size); a
// combination that does not apply is one entry with "applicable": false and a note.
arena::Json results_json(const BenchInferenceOptions& o, const config::Config& cfg,
                         const game::Game& game, const std::string& device,
                         const std::vector<Variant>& variants) {
  const config::ModelConfig& m = cfg.model;
  arena::Json j;
  j["bench"] = "inference";
  j["game"] = game.name();
  j["device"] = device;
  j["torch_threads"] = model::torch_threads();
  j["blocks"] = m.blocks;
  j["channels"] = m.channels;
  j["policy_channels"] = m.policy_channels;
  j["value_channels"] = m.value_channels;
  j["value_hidden"] = m.value_hidden;
  j["seconds_per_batch"] = o.seconds;
  j["speedup_base_batch"] = o.batches.front();
  arena::Json rows = arena::Json::array();
  for (const Variant& v : variants) {
    if (!v.note.empty()) {
      arena::Json row;
      row["precision"] = v.precision;
      row["graphs"] = v.graphs;
      row["applicable"] = false;
      row["note"] = v.note;
      rows.push_back(std::move(row));
      continue;
    }
    for (const BatchResult& r : v.results) {
      arena::Json row;
      row["precision"] = v.used_precision;  // what ran; auto resolved
      row["graphs"] = graphs_word(v.used_graphs);
      row["precision_asked"] = v.precision;
      row["graphs_asked"] = v.graphs;
      row["applicable"] = true;
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
  }
  j["results"] = std::move(rows);
  return j;
}

// Checks every value of an axis option against the allowed ones; empty: {fallback}.
std::vector<std::string> axis(const std::vector<std::string>& given, const std::string& fallback,
                              const std::string& option, const std::vector<std::string>& allowed) {
  if (given.empty()) return {fallback};
  std::string list;
  for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
  for (const std::string& v : given) {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
      throw ConfigError(option + ": '" + v + "' is not one of " + list);
  }
  return given;
}

// Why (precision, graphs) cannot run on `device`; empty when it can.
std::string not_applicable(const std::string& device, const std::string& precision,
                           const std::string& graphs) {
  if (device.rfind("cuda", 0) == 0) return "";
  if (precision == "fp16" || precision == "bf16")
    return precision + " inference needs a CUDA device; this one is " + device;
  if (graphs == "on") return "CUDA graphs need a CUDA device; this one is " + device;
  return "";
}

void time_variant(const config::Config& cfg, const game::Game& game,
                  const std::vector<int>& batches, double seconds, Variant& v) {
  config::ModelConfig m = cfg.model;
  m.precision = v.precision;
  m.cuda_graphs = v.graphs;
  const int max_batch = *std::max_element(batches.begin(), batches.end());
  auto evaluator = model::make_torch_backend(game, m, max_batch);
  nn::fill_random_positions(game, evaluator->buffers(), max_batch, 12345);
  v.used_precision = evaluator->precision();
  v.used_graphs = evaluator->cuda_graphs();
  for (int b : batches) v.results.push_back(time_batch(*evaluator, b, seconds));
  for (BatchResult& r : v.results) r.speedup = r.evals_per_s / v.results.front().evals_per_s;
}

void print_table(const BenchInferenceOptions& o, const config::Config& cfg,
                 const game::Game& game, const std::string& device,
                 const std::vector<Variant>& variants) {
  const game::ObsShape obs = game.observation_shape();
  const config::ModelConfig& m = cfg.model;
  std::printf(
      "bench inference: %s, resnet %dx%d (policy %d, value %d/%d), obs %dx%dx%d, "
      "%d actions\n",
      game.name().c_str(), m.blocks, m.channels, m.policy_channels, m.value_channels,
      m.value_hidden, obs.planes, obs.height, obs.width, game.num_actions());
  std::printf("device %s, torch threads %d, %.1f s per batch size\n", device.c_str(),
              model::torch_threads(), o.seconds);
  std::printf("%9s %6s %7s %11s %9s %9s %9s %9s %13s\n", "precision", "graphs", "batch",
              "evals/s", "mean ms", "p50 ms", "p90 ms", "speedup", "evals/cpu-s");
  for (const Variant& v : variants) {
    if (!v.note.empty()) {
      std::printf("%9s %6s   not applicable: %s\n", v.precision.c_str(), v.graphs.c_str(),
                  v.note.c_str());
      continue;
    }
    for (const BatchResult& r : v.results) {
      std::printf("%9s %6s %7d %11.0f %9.3f %9.3f %9.3f %8.2fx %13.0f\n",
                  v.used_precision.c_str(), graphs_word(v.used_graphs), r.batch, r.evals_per_s,
                  r.mean_ms, r.p50_ms, r.p90_ms, r.speedup, r.evals_per_cpu_s);
    }
  }
  std::printf("(speedup: evals/s relative to batch %d of the same precision and graphs)\n",
              o.batches.front());
}

void run_bench_inference(const BenchInferenceOptions& o) {
  config::Config cfg = load_bench_config(o.config_path, o.overrides);
  if (!o.device.empty()) cfg.model.device = o.device;
  for (int b : o.batches) {
    if (b < 1) throw ConfigError("--batches: batch sizes must be >= 1, got " + std::to_string(b));
  }
  const std::vector<std::string> precisions = axis(o.precisions, cfg.model.precision,
                                                   "--precision", {"auto", "fp32", "fp16", "bf16"});
  const std::vector<std::string> graphs =
      axis(o.graphs, cfg.model.cuda_graphs, "--graphs", {"auto", "on", "off"});
  const std::string device = model::resolve_device(cfg.model.device, "model.device");
  auto game = game::make_game(cfg.game.name, {cfg.game.board_size});
  std::vector<Variant> variants;
  for (const std::string& p : precisions) {
    for (const std::string& g : graphs) {
      Variant v;
      v.precision = p;
      v.graphs = g;
      v.note = not_applicable(device, p, g);
      if (v.note.empty()) {
        if (!o.json) std::fprintf(stderr, "[bench] precision %s, graphs %s\n", p.c_str(), g.c_str());
        time_variant(cfg, *game, o.batches, o.seconds, v);
      }
      variants.push_back(std::move(v));
    }
  }
  if (o.json) {
    std::printf("%s\n", arena::json_line(results_json(o, cfg, *game, device, variants)).c_str());
    return;
  }
  print_table(o, cfg, *game, device, variants);
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
  cmd->add_option("--precision", o->precisions,
                  "Precisions to time, comma-separated: auto, fp32, fp16, bf16 (default: "
                  "model.precision)")
      ->delimiter(',');
  cmd->add_option("--graphs", o->graphs,
                  "CUDA graphs, comma-separated: auto, on, off (default: model.cuda_graphs)")
      ->delimiter(',');
  cmd->add_flag("--json", o->json, "Print one JSON object instead of a table");
  cmd->callback([o] { run_bench_inference(*o); });
}

}  // namespace zp::cli
