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

// The parameters a game declares (after OpenSpiel's per-game parameter specs). A game that
// does not declare board_size accepts only 0 there. One function, validate_game_params,
// checks every game's parameters against its spec.
struct GameParamSpec {
  bool has_board_size = false;
  int default_board_size = 0;  // what board_size 0 means
  int min_board_size = 0;
  int max_board_size = 0;
};

// Registers the built-in games (tictactoe, connect4, gomoku, othello). Idempotent and thread-safe.
void register_all_games();
void register_game(const std::string& name, GameFactory factory, GameParamSpec spec = {});
// Throws ConfigError unless `name` is registered and `params` fit its spec; the message is
// the problem alone (callers add the key), e.g. "must be 0 (the game's default) or between
// 5 and 19, got 4".
void validate_game_params(const std::string& name, const GameParams& params);
// Throws ConfigError naming the game and listing the registered ones if unknown.
std::shared_ptr<const Game> make_game(const std::string& name, const GameParams& params = {});
// The registered names, in registration order (tictactoe, connect4, gomoku, othello).
std::vector<std::string> registered_games();

}  // namespace zp::game
