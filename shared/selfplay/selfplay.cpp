#include "shared/selfplay/selfplay.h"

#include <algorithm>

#include "shared/core/error.h"
#include "shared/search/config_params.h"

namespace zp::selfplay {

int SelfPlayLoop::batch_capacity(const config::Config& config) {
  const int groups = lanes(config);
  const int largest = (config.actors.games_per_actor + groups - 1) / groups;
  return largest * config.search.leaves_per_round;
}

SelfPlayLoop::SelfPlayLoop(const game::Game& game, const config::Config& config,
                           nn::Backend& backend, uint32_t actor_id, uint64_t seed,
                           SubmitFn submit)
    : game_(game),
      backend_(backend),
      submit_(submit ? std::move(submit)
                     : [this](int lane, int n) { backend_.submit(lane, n); }),
      leaves_per_round_(config.search.leaves_per_round),
      temperature_(config.search.temperature),
      temperature_moves_(config.search.temperature_moves),
      gumbel_noise_moves_(config.search.gumbel_noise_moves),
      actor_id_(actor_id),
      simulations_(config.search.simulations),
      fast_simulations_(config.search.fast_simulations),
      full_search_prob_(config.search.full_search_prob),
      cap_rng_(seed * 7919 + 17),
      initial_(game.new_initial_state()),
      dense_policy_(game.num_actions()) {
  ZP_CHECK_GE(backend.lanes(), lanes(config));
  ZP_CHECK_GE(backend.buffers().max_batch, batch_capacity(config));
  const auto params = search::params_from_config(config.search, /*add_noise=*/true);
  slots_.resize(config.actors.games_per_actor);
  for (size_t i = 0; i < slots_.size(); ++i)
    slots_[i].tree = std::make_unique<search::Tree>(game, params, seed * 1000003 + i + 1);
  const int groups = lanes(config), games = static_cast<int>(slots_.size());
  ZP_CHECK(groups >= 1 && groups <= games);  // the config check refuses more groups than games
  for (int g = 0; g < groups; ++g) groups_.push_back({g * games / groups, (g + 1) * games / groups});
}

void SelfPlayLoop::draw_search(Slot& s, int move_number) {
  s.full = fast_simulations_ <= 0 || cap_rng_.uniform() < full_search_prob_;
  const bool move_noise = gumbel_noise_moves_ <= 0 || move_number < gumbel_noise_moves_;
  s.tree->set_search_budget(s.full ? simulations_ : fast_simulations_, /*root_noise=*/s.full,
                            move_noise);
}

void SelfPlayLoop::start_game(Slot& s) {
  draw_search(s, initial_->move_number());
  s.tree->reset(*initial_);
  s.record = data::GameRecord{};
  s.record.actor_id = actor_id_;
  s.record.model_version = model_version_;
  s.record.game_name = game_.name();
  s.record.num_actions = static_cast<uint16_t>(game_.num_actions());
  s.live = true;
  ++started_;
}

int SelfPlayLoop::live_games() const {
  int n = 0;
  for (const Slot& s : slots_) n += s.live;
  return n;
}

uint64_t SelfPlayLoop::total_simulations() const {
  uint64_t n = 0;
  for (const Slot& s : slots_) n += s.tree->simulations();
  return n;
}

bool SelfPlayLoop::all_done() const {
  return game_limit_ > 0 && started_ >= game_limit_ && live_games() == 0;
}

void SelfPlayLoop::play_move(Slot& s, std::vector<data::GameRecord>* finished) {
  search::Tree& tree = *s.tree;
  tree.visit_policy(dense_policy_.data());
  const int move_number = tree.root_state().move_number();
  const float t = move_number < temperature_moves_ ? temperature_ : 0.0f;
  const game::Action a = tree.choose_move(t);
  s.record.add_position(a, dense_policy_.data(), s.full, tree.search_value());
  draw_search(s, move_number + 1);
  tree.advance(a);
  ++stats_.positions;
  const game::State& st = tree.root_state();
  if (st.is_terminal()) {
    s.record.result = static_cast<int8_t>(st.returns(0));
    s.record.sequence = next_sequence_++;
    finished->push_back(std::move(s.record));
    ++stats_.games;
    s.live = false;
  }
}

void SelfPlayLoop::complete(int g, std::vector<data::GameRecord>* finished) {
  Group& group = groups_[g];
  if (group.in_flight) {
    backend_.wait(g);
    group.in_flight = false;
  }
  const nn::BatchBuffers& buffers = backend_.lane_buffers(g);
  for (int i = group.begin; i < group.end; ++i) {
    Slot& s = slots_[i];
    if (s.count > 0) s.tree->scatter(buffers, s.first);
    s.count = 0;
    if (s.live && s.tree->done()) play_move(s, finished);
  }
}

void SelfPlayLoop::launch(int g) {
  Group& group = groups_[g];
  nn::BatchBuffers& buffers = backend_.lane_buffers(g);
  int slot = 0;
  for (int i = group.begin; i < group.end; ++i) {
    Slot& s = slots_[i];
    if (!s.live && (game_limit_ == 0 || started_ < game_limit_)) start_game(s);
    s.first = slot;
    s.count = s.live ? s.tree->gather(leaves_per_round_, buffers, slot) : 0;
    slot += s.count;
  }
  if (slot > 0) {
    submit_(g, slot);
    group.in_flight = true;
    ++stats_.batches;
    stats_.evals += slot;
  }
}

void SelfPlayLoop::round(std::vector<data::GameRecord>* finished) {
  if (groups_.size() == 1) {
    launch(0);
    complete(0, finished);
  } else {
    for (int g = 0; g < static_cast<int>(groups_.size()); ++g) {
      complete(g, finished);
      launch(g);
    }
  }
  ++stats_.rounds;
}

}  // namespace zp::selfplay

namespace zp::selfplay {

void run_search(search::Tree& tree, nn::Backend& backend, int leaves_per_round) {
  const int leaves = std::min(leaves_per_round, backend.buffers().max_batch);
  while (!tree.done()) {
    const int n = tree.gather(leaves, backend.buffers(), 0);
    if (n > 0) backend.compute(n);
    tree.scatter(backend.buffers(), 0);
  }
}

}  // namespace zp::selfplay
