// The batch-of-games loop: the core of an actor, as a library.
//
// Plays G games at once. Each round it gathers leaves from every live game's tree
// (search.leaves_per_round per tree, with virtual loss), evaluates all of them in ONE call to
// the backend, scatters the results back, and plays a move in every game whose search is
// done. A finished game becomes a GameRecord: its moves, the search's policy at each position
// and the final result.
//
// Playout-cap randomization (KataGo; search.fast_simulations > 0): before each search the
// move draws a full search (probability search.full_search_prob: search.simulations, root
// noise, a policy target) or a fast one (search.fast_simulations, no Dirichlet noise, marked
// in the record as no policy target).
//
// Pipelining (actors.pipeline = N > 1): the games are split into N groups of consecutive
// slots, group g using backend lane g. A round visits the groups in order; for each it waits
// for the group's evaluation submitted in the previous round, scatters it, plays the moves of
// finished searches, gathers the group's next leaves and submits them without waiting. So
// while one group's batch is evaluated (on the GPU, or a CPU worker thread) the loop searches
// the next group, and round() returns with every group's batch in flight. With N = 1 a round
// is gather, evaluate, scatter, as it always was. Every tree does the same gathers and
// scatters either way; only the interleaving across trees changes.
//
// Not thread-safe; the backend is used only from the thread calling round().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "shared/config/config.h"
#include "shared/core/rng.h"
#include "shared/data/record.h"
#include "shared/game/game.h"
#include "shared/nn/backend.h"
#include "shared/search/tree.h"

namespace zp::selfplay {

struct LoopStats {
  uint64_t positions = 0;   // moves played (= training positions)
  uint64_t games = 0;       // games finished
  uint64_t evals = 0;       // positions evaluated by the network
  uint64_t batches = 0;     // backend submits
  uint64_t rounds = 0;
};

class SelfPlayLoop {
 public:
  // `submit` runs backend.submit(lane, n); the actor wraps it with the GPU lock. Defaults to
  // a plain call. The backend needs lanes(config) lanes of batch_capacity(config) positions.
  using SubmitFn = std::function<void(int lane, int n)>;
  SelfPlayLoop(const game::Game& game, const config::Config& config, nn::Backend& backend,
               uint32_t actor_id, uint64_t seed, SubmitFn submit = nullptr);

  // Stop starting new games once `n` have been started (0 = never stop).
  void set_game_limit(uint64_t n) { game_limit_ = n; }
  // Model version recorded in the games that start from now on.
  void set_model_version(int64_t v) { model_version_ = v; }
  // First sequence number for records (an actor resumes its numbering after a restart).
  void set_next_sequence(uint64_t s) { next_sequence_ = s; }

  // One round over all games; finished games are appended to `finished`.
  void round(std::vector<data::GameRecord>* finished);
  // True when the game limit is reached and every started game has finished.
  bool all_done() const;
  const LoopStats& stats() const { return stats_; }
  // Completed search simulations summed over all trees.
  uint64_t total_simulations() const;
  // Number of games currently being played.
  int live_games() const;

  // Backend batch size per lane needed for `config`: the largest group's games times
  // search.leaves_per_round.
  static int batch_capacity(const config::Config& config);
  // Backend lanes needed for `config` (actors.pipeline).
  static int lanes(const config::Config& config) { return config.actors.pipeline; }

 private:
  struct Slot {
    std::unique_ptr<search::Tree> tree;
    data::GameRecord record;
    bool live = false;
    bool full = true;  // the current search is a full one
    int first = 0;   // first backend slot of this round
    int count = 0;   // slots used this round
  };
  // The slots [begin, end) of group g; it uses backend lane g.
  struct Group {
    int begin = 0, end = 0;
    bool in_flight = false;  // submitted, not yet waited for
  };
  // Waits for the group's evaluation, scatters it and plays the moves of finished searches.
  void complete(int g, std::vector<data::GameRecord>* finished);
  // Starts games in the group's free slots, gathers its leaves and submits them.
  void launch(int g);
  void start_game(Slot& s);
  void play_move(Slot& s, std::vector<data::GameRecord>* finished);
  // Draws full or fast for the slot's next search and sets the tree's budget.
  // The next search of `s`, whose root is ply `move_number`: full or fast (playout caps), and
  // with or without Gumbel move noise (search.gumbel_noise_moves).
  void draw_search(Slot& s, int move_number);

  const game::Game& game_;
  nn::Backend& backend_;
  SubmitFn submit_;
  const int leaves_per_round_;
  const float temperature_;
  const int temperature_moves_;
  const int gumbel_noise_moves_;  // 0 = every move
  const uint32_t actor_id_;
  const int simulations_, fast_simulations_;
  const double full_search_prob_;
  Rng cap_rng_;
  std::vector<Slot> slots_;
  std::vector<Group> groups_;
  std::unique_ptr<game::State> initial_;
  std::vector<float> dense_policy_;
  uint64_t game_limit_ = 0;
  uint64_t started_ = 0;
  uint64_t next_sequence_ = 0;
  int64_t model_version_ = 0;
  LoopStats stats_;
};

}  // namespace zp::selfplay

namespace zp::selfplay {

// Searches one tree to completion with `backend`, `leaves_per_round` leaves per batch (for
// play, evaluation and tests; self-play batches many trees through SelfPlayLoop instead).
void run_search(search::Tree& tree, nn::Backend& backend, int leaves_per_round);

}  // namespace zp::selfplay
