#include "shared/arena/arena.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "shared/core/error.h"
#include "shared/core/rng.h"

namespace zp::arena {

namespace {

// Plays up to `plies` uniformly random legal moves from the initial position.
std::unique_ptr<game::State> random_opening(const game::Game& game, int plies, Rng& rng) {
  auto state = game.new_initial_state();
  std::vector<game::Action> legal;
  for (int i = 0; i < plies && !state->is_terminal(); ++i) {
    state->legal_actions(&legal);
    state->apply(legal[rng.uniform_int(static_cast<uint32_t>(legal.size()))]);
  }
  return state;
}

}  // namespace

MatchResult play_match(const game::Game& game, Player& a, Player& b, const ArenaOptions& options) {
  ZP_CHECK_GE(options.games, 0);
  MatchResult result;
  result.a = a.name();
  result.b = b.name();
  const int n = options.games;

  // Openings, one per pair, and who moves first in each game.
  Rng rng(options.seed);
  std::vector<std::unique_ptr<game::State>> states;
  std::vector<char> a_first(n);
  for (int g = 0; g < n; ++g) {
    if (g % 2 == 0) {
      states.push_back(random_opening(game, options.opening_plies, rng));
    } else {
      states.push_back(states.back()->clone());
    }
    a_first[g] = g % 2 == 0;
  }
  // Player A is player 0 of the game when it moves first.
  auto a_to_move = [&](int g) { return (states[g]->current_player() == 0) == (a_first[g] != 0); };

  std::vector<char> finished(n, 0);
  std::vector<int> ids;
  std::vector<const game::State*> batch;
  std::vector<game::Action> moves;
  int done = 0;
  auto finish = [&](int g) {
    const game::State& s = *states[g];
    const int a_player = a_first[g] ? 0 : 1;
    const float r = s.returns(a_player);
    GameOutcome o;
    o.a_first = a_first[g] != 0;
    o.score_a = 0.5f * (r + 1.0f);
    o.moves = game.moves_to_string(s.history());
    if (r > 0)
      ++result.wins;
    else if (r < 0)
      ++result.losses;
    else
      ++result.draws;
    result.games.push_back(std::move(o));
    finished[g] = 1;
    ++done;
    if (options.progress) options.progress(done, n);
  };
  for (int g = 0; g < n; ++g)
    if (states[g]->is_terminal()) finish(g);  // an opening that ended the game

  while (done < n) {
    if (options.should_stop && options.should_stop()) {
      result.stopped = true;
      break;
    }
    // One move in every live game: first where A is to move, then where B is.
    for (int side = 0; side < 2; ++side) {
      Player& p = side == 0 ? a : b;
      ids.clear();
      batch.clear();
      for (int g = 0; g < n; ++g) {
        if (finished[g] || a_to_move(g) != (side == 0)) continue;
        ids.push_back(g);
        batch.push_back(states[g].get());
      }
      if (ids.empty()) continue;
      p.choose_moves(batch, &moves);
      for (size_t k = 0; k < ids.size(); ++k) {
        game::State& s = *states[ids[k]];
        s.apply_checked(moves[k]);  // a player that returns an illegal move is a bug: throw
        if (s.is_terminal()) finish(ids[k]);
      }
      if (options.tick) options.tick();
    }
  }
  return result;
}

double elo_from_win_rate(double win_rate) {
  const double w = std::clamp(win_rate, 1e-3, 1.0 - 1e-3);
  return std::clamp(400.0 * std::log10(w / (1.0 - w)), -1200.0, 1200.0);
}

}  // namespace zp::arena
