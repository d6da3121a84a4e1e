// data::max_record_bytes against the encoder: a game of max_game_length() moves with a full
// policy at every move encodes to at most the bound, and to within one byte per move of it
// (the version 2 per-position flag byte), so a format change that forgets the bound fails here.
#include <catch2/catch.hpp>

#include "shared/data/record.h"
#include "shared/data/record_bounds.h"
#include "shared/game/registry.h"

namespace {

// The worst case the encoder can be given for `g`: every move with weight on every action.
size_t worst_case_encoded_size(const zp::game::Game& g) {
  zp::data::GameRecord r;
  r.game_name = g.name();
  r.num_actions = static_cast<uint16_t>(g.num_actions());
  std::vector<float> dense(g.num_actions(), 1.0f / g.num_actions());
  for (int i = 0; i < g.max_game_length(); ++i) r.add_position(i % g.num_actions(), dense.data());
  std::string out;
  zp::data::encode_record(r, &out);
  return out.size();
}

}  // namespace

TEST_CASE("max_record_bytes is the encoded size of the largest possible record",
          "[unit][data]") {
  zp::game::register_all_games();
  for (const auto& [name, params] : std::vector<std::pair<std::string, int>>{
           {"connect4", 0}, {"tictactoe", 0}, {"gomoku", 15}, {"othello", 0}}) {
    INFO(name);
    const auto g = zp::game::make_game(name, {params});
    const size_t bound = zp::data::max_record_bytes(*g), worst = worst_case_encoded_size(*g);
    CHECK(worst <= bound);
    CHECK(bound <= worst + static_cast<size_t>(g->max_game_length()));
  }
  const auto c4 = zp::game::make_game("connect4");
  CHECK(zp::data::max_record_bytes(*c4) < 4096);  // 42 moves x 7 actions
}
