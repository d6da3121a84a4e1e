#include "shared/eval/players.h"

#include <filesystem>

#include "shared/core/error.h"
#include "shared/eval/rollout.h"
#include "shared/model/checkpoint.h"

namespace zp::eval {

namespace {

// The N of "prefix:N"; throws ConfigError unless it is a positive integer.
int parse_count(const std::string& spec, size_t colon) {
  const std::string digits = spec.substr(colon + 1);
  size_t used = 0;
  int n = 0;
  try {
    n = std::stoi(digits, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (digits.empty() || used != digits.size() || n < 1)
    throw ConfigError("player '" + spec + "': expected a positive simulation count after ':'");
  return n;
}

std::string checkpoint_name(const std::string& path, const std::string& bytes) {
  const int64_t version = model::decode_checkpoint(bytes).meta.model_version;
  return std::filesystem::path(path).filename().string() + " (v" + std::to_string(version) + ")";
}

}  // namespace

search::SearchParams eval_search_params(const config::Config& config, int simulations) {
  search::SearchParams p = search::SearchParams::from_config(config.search, /*add_noise=*/false);
  p.simulations = simulations;
  p.reuse_tree = false;
  return p;
}

std::unique_ptr<model::NetworkEvaluator> make_network_evaluator(const game::Game& game,
                                                                const config::Config& config,
                                                                std::string_view checkpoint_bytes,
                                                                int max_batch, uint64_t seed) {
  const model::CheckpointMeta meta = model::decode_checkpoint(checkpoint_bytes).meta;
  config::ModelConfig shape = config.model;
  shape.blocks = meta.blocks;
  shape.channels = meta.channels;
  shape.policy_channels = meta.policy_channels;
  shape.value_channels = meta.value_channels;
  shape.value_hidden = meta.value_hidden;
  auto evaluator = model::make_torch_evaluator(game, shape, max_batch, "", seed);
  evaluator->load_weights(checkpoint_bytes);
  return evaluator;
}

std::unique_ptr<SearchPlayer> make_network_player(const std::string& name, const game::Game& game,
                                                  const config::Config& config,
                                                  std::string_view checkpoint_bytes,
                                                  const PlayerOptions& options) {
  return std::make_unique<SearchPlayer>(
      name, game,
      make_network_evaluator(game, config, checkpoint_bytes, options.max_batch, options.seed),
      eval_search_params(config, options.simulations), options.seed);
}

std::unique_ptr<SearchPlayer> make_rollout_player(const game::Game& game,
                                                  const config::Config& config, int simulations,
                                                  const PlayerOptions& options) {
  auto evaluator =
      std::make_unique<RolloutEvaluator>(game, options.max_batch, /*playouts=*/1, options.seed);
  RolloutEvaluator* observer = evaluator.get();
  return std::make_unique<SearchPlayer>(
      "mcts:" + std::to_string(simulations), game, std::move(evaluator),
      eval_search_params(config, simulations), options.seed, observer);
}

std::unique_ptr<Player> make_player(const std::string& spec, const game::Game& game,
                                    const config::Config& config, const PlayerOptions& options) {
  if (spec == "random") return std::make_unique<RandomPlayer>(options.seed);
  if (spec.rfind("mcts:", 0) == 0)
    return make_rollout_player(game, config, parse_count(spec, 4), options);
  if (spec.rfind("uniform:", 0) == 0) {
    const int sims = parse_count(spec, 7);
    return std::make_unique<SearchPlayer>(spec, game,
                                          model::make_uniform_evaluator(game, options.max_batch),
                                          eval_search_params(config, sims), options.seed);
  }
  const bool raw_policy = spec.rfind("policy:", 0) == 0;
  const std::string path = raw_policy ? spec.substr(7) : spec;
  if (path.empty() || !std::filesystem::exists(path))
    throw ConfigError("player '" + spec +
                      "': expected random, mcts:N, uniform:N, policy:CHECKPOINT or a checkpoint "
                      "file (no such file)");
  const std::string bytes = model::read_checkpoint_file(path);
  try {
    if (raw_policy)
      return std::make_unique<PolicyPlayer>(
          "policy:" + checkpoint_name(path, bytes),
          make_network_evaluator(game, config, bytes, options.max_batch, options.seed));
    return make_network_player(checkpoint_name(path, bytes), game, config, bytes, options);
  } catch (const FormatError& e) {
    throw FormatError(path + ": " + e.what());
  }
}

}  // namespace zp::eval
