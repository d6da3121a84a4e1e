#include "shared/game/registry.h"

#include <mutex>

#include "shared/core/error.h"
#include "shared/game/games/connect4/connect4.h"
#include "shared/game/games/gomoku/gomoku.h"
#include "shared/game/games/othello/othello.h"
#include "shared/game/games/tictactoe/tictactoe.h"

namespace zp::game {
namespace {

// The registry is a process-wide map guarded by one mutex. Lookups happen at start-up (config
// validation, checkpoint loading), never on a hot path, so a plain mutex is enough.
struct Entry {
  GameFactory factory;
  GameParamSpec spec;
};

struct Registry {
  std::mutex mu;
  std::map<std::string, Entry> games;
  std::vector<std::string> order;  // registration order, for listings
};

// The registered entry for `name`; throws ConfigError listing the known games. Lock held.
const Entry& find_locked(Registry& r, const std::string& name) {
  auto it = r.games.find(name);
  if (it != r.games.end()) return it->second;
  std::string known;
  for (const std::string& n : r.order) known += (known.empty() ? "" : ", ") + n;
  if (known.empty()) known = "none (was register_all_games() called?)";
  throw ConfigError("unknown game '" + name + "'; known games: " + known);
}

// "gomoku" or "gomoku and hex": the games that declare a board size.
std::string games_with_board_size(const Registry& r) {
  std::vector<std::string> names;
  for (const std::string& n : r.order)
    if (r.games.at(n).spec.has_board_size) names.push_back(n);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out.empty() ? "no game" : out;
}

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
    register_game("gomoku", make_gomoku_game, gomoku_param_spec());
    register_game("othello", make_othello_game);
  });
}

// Registering a name twice replaces the earlier factory (tests may install a variant).
void register_game(const std::string& name, GameFactory factory, GameParamSpec spec) {
  ZP_CHECK(!name.empty());
  ZP_CHECK(factory != nullptr);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (!r.games.count(name)) r.order.push_back(name);
  r.games[name] = Entry{std::move(factory), spec};
}

void validate_game_params(const std::string& name, const GameParams& params) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  const GameParamSpec& spec = find_locked(r, name).spec;
  const std::string got = std::to_string(params.board_size);
  if (!spec.has_board_size && params.board_size != 0)
    throw ConfigError("only " + games_with_board_size(r) + " has a board size option; must be 0 for " +
                      name + ", got " + got);
  if (spec.has_board_size && params.board_size != 0 &&
      (params.board_size < spec.min_board_size || params.board_size > spec.max_board_size))
    throw ConfigError("must be 0 (the game's default) or between " +
                      std::to_string(spec.min_board_size) + " and " +
                      std::to_string(spec.max_board_size) + ", got " + got);
}

std::shared_ptr<const Game> make_game(const std::string& name, const GameParams& params) {
  GameFactory factory;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    factory = find_locked(r, name).factory;
  }
  // Built outside the lock: a factory may be slow (tables) and may throw ConfigError.
  return factory(params);
}

std::vector<std::string> registered_games() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.order;
}

}  // namespace zp::game
