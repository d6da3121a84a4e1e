// The arena: a match of N games between two players, reproducible from one seed.
//
// Games come in pairs that share an opening: the first `opening_plies` moves are drawn
// uniformly among the legal moves from an Rng seeded with `seed`, and player A moves first
// (from the initial position) in the first game of the pair, B in the second, so colour and
// opening luck cancel out. An odd game count leaves the last pair with one game (A first).
// All games are played side by side: each step asks A for a move in every game where A is to
// move (one choose_moves call), then B likewise, so search players batch their evaluations
// across games. With deterministic players the whole match is reproducible.
//
// Not thread-safe; blocks until the match is over or `should_stop` says stop.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shared/arena/player.h"
#include "shared/game/game.h"

namespace zp::arena {

struct ArenaOptions {
  int games = 40;
  uint64_t seed = 1;
  int opening_plies = 2;
  // Polled between steps; returning true abandons the match (MatchResult::stopped).
  std::function<bool()> should_stop;
  // Called after every step (heartbeats), and `progress` after every finished game.
  std::function<void()> tick;
  std::function<void(int finished, int total)> progress;
};

struct GameOutcome {
  bool a_first = true;
  float score_a = 0;  // 1 win, 0.5 draw, 0 loss, for A
  std::string moves;  // the whole game, Game::moves_to_string
};

struct MatchResult {
  std::string a, b;                     // player names
  int wins = 0, draws = 0, losses = 0;  // for A
  bool stopped = false;                 // abandoned by should_stop: the counts are incomplete
  std::vector<GameOutcome> games;

  int played() const { return wins + draws + losses; }
  // A's score per game, draws counting half; 0.5 when nothing was played.
  double win_rate() const { return played() ? (wins + 0.5 * draws) / played() : 0.5; }
};

MatchResult play_match(const game::Game& game, Player& a, Player& b, const ArenaOptions& options);

// The Elo difference a win rate implies, 400 * log10(w / (1 - w)), clamped to +-1200.
double elo_from_win_rate(double win_rate);

}  // namespace zp::arena
