#include "shared/arena/players.h"

#include <optional>
#include <filesystem>

#include "shared/core/error.h"
#include "shared/core/parse.h"
#include "shared/search/config_params.h"
#include "shared/arena/rollout.h"

namespace zp::arena {

namespace {

// The N of "prefix:N"; throws ConfigError unless it is a positive integer.
int parse_count(const std::string& spec, size_t colon) {
  const std::optional<uint64_t> n = parse_uint(spec.substr(colon + 1));
  if (n && *n >= 1 && *n <= 1'000'000'000) return static_cast<int>(*n);
  throw ConfigError("player '" + spec + "': expected a positive simulation count after ':'");
}

std::string checkpoint_name(const std::string& path, int64_t version) {
  return std::filesystem::path(path).filename().string() + " (v" + std::to_string(version) + ")";
}

}  // namespace

search::SearchParams eval_search_params(const config::Config& config, int simulations) {
  search::SearchParams p = search::params_from_config(config.search, /*add_noise=*/false);
  p.simulations = simulations;
  p.reuse_tree = false;
  return p;
}

std::unique_ptr<SearchPlayer> make_network_player(const std::string& name, const game::Game& game,
                                                  const config::Config& config,
                                                  std::unique_ptr<nn::Backend> backend,
                                                  const PlayerOptions& options) {
  return std::make_unique<SearchPlayer>(name, game, std::move(backend),
                                        eval_search_params(config, options.simulations),
                                        options.seed);
}

std::unique_ptr<SearchPlayer> make_rollout_player(const game::Game& game,
                                                  const config::Config& config, int simulations,
                                                  const PlayerOptions& options) {
  auto backend =
      std::make_unique<RolloutBackend>(game, options.max_batch, /*playouts=*/1, options.seed);
  RolloutBackend* observer = backend.get();
  return std::make_unique<SearchPlayer>(
      "mcts:" + std::to_string(simulations), game, std::move(backend),
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
                                          nn::make_uniform_backend(game, options.max_batch),
                                          eval_search_params(config, sims), options.seed);
  }
  const bool raw_policy = spec.rfind("policy:", 0) == 0;
  const std::string path = raw_policy ? spec.substr(7) : spec;
  if (path.empty() || !std::filesystem::exists(path))
    throw ConfigError("player '" + spec +
                      "': expected random, mcts:N, uniform:N, policy:CHECKPOINT or a checkpoint "
                      "file (no such file)");
  if (options.networks == nullptr)
    throw ConfigError("player '" + spec + "': checkpoint players need a network backend, and "
                      "this program was built without one");
  const NetworkLoader& nets = *options.networks;
  const std::string bytes = nets.read(path);
  try {
    const std::string name = checkpoint_name(path, nets.version(bytes));
    auto backend = nets.make_backend(game, config, bytes, options.max_batch, options.seed);
    if (raw_policy) return std::make_unique<PolicyPlayer>("policy:" + name, std::move(backend));
    return make_network_player(name, game, config, std::move(backend), options);
  } catch (const FormatError& e) {
    throw FormatError(path + ": " + e.what());
  }
}

}  // namespace zp::arena
