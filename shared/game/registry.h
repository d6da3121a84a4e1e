// Explicit game registry. main() (and each test binary) calls register_all_games() once;
// static self-registration is avoided because it silently breaks in static libraries.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shared/game/game.h"

namespace zp::game {

// Parameters a game may read (e.g. board size for Gomoku). Keys unknown to a game are
// ignored; bad values throw ConfigError.
struct GameParams {
  int board_size = 0;  // 0 = the game's default
};

using GameFactory = std::function<std::shared_ptr<const Game>(const GameParams&)>;

// Registers the built-in games (tictactoe, connect4, gomoku). Idempotent and thread-safe.
void register_all_games();
void register_game(const std::string& name, GameFactory factory);
// Throws ConfigError naming the game and listing the registered ones if unknown.
std::shared_ptr<const Game> make_game(const std::string& name, const GameParams& params = {});
std::vector<std::string> registered_games();

}  // namespace zp::game
