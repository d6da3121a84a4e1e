#include "shared/game/registry.h"

#include <mutex>

#include "shared/core/error.h"
#include "shared/game/games/connect4/connect4.h"
#include "shared/game/games/gomoku/gomoku.h"
#include "shared/game/games/tictactoe/tictactoe.h"

namespace zp::game {
namespace {

// The registry is a process-wide map guarded by one mutex. Lookups happen at start-up (config
// validation, checkpoint loading), never on a hot path, so a plain mutex is enough.
struct Registry {
  std::mutex mu;
  std::map<std::string, GameFactory> factories;
};

Registry& registry() {
  static Registry r;  // constructed on first use; thread-safe since C++11
  return r;
}

}  // namespace

void register_all_games() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_game("tictactoe", make_tictactoe_game);
    register_game("connect4", make_connect4_game);
    register_game("gomoku", make_gomoku_game);
  });
}

// Registering a name twice replaces the earlier factory (tests may install a variant).
void register_game(const std::string& name, GameFactory factory) {
  ZP_CHECK(!name.empty());
  ZP_CHECK(factory != nullptr);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.factories[name] = std::move(factory);
}

std::shared_ptr<const Game> make_game(const std::string& name, const GameParams& params) {
  GameFactory factory;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.factories.find(name);
    if (it == r.factories.end()) {
      std::string known;
      for (const auto& [n, f] : r.factories) known += (known.empty() ? "" : ", ") + n;
      if (known.empty()) known = "none (was register_all_games() called?)";
      throw ConfigError("unknown game '" + name + "'; known games: " + known);
    }
    factory = it->second;
  }
  // Built outside the lock: a factory may be slow (tables) and may throw ConfigError.
  return factory(params);
}

std::vector<std::string> registered_games() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [n, f] : r.factories) names.push_back(n);
  return names;  // sorted, since std::map is
}

}  // namespace zp::game
