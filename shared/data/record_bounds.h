// Upper bounds on the size of a game record (record.h), derived from the game, so that
// every reader can refuse an input larger than any record it could legitimately get before
// buffering it: the writer's ZeroMQ socket sets its maximum message size from this.
#pragma once

#include <cstddef>

#include "shared/game/game.h"

namespace zp::data {

// The largest encoded record `game` can produce: max_game_length() moves, each with a visit
// distribution over all num_actions() actions, and the game's own name. Exact for that worst
// case (tests/data/record_test.cpp checks it against encode_record). Thread-safe.
size_t max_record_bytes(const game::Game& game);

}  // namespace zp::data
