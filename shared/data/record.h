// A finished self-play game as the actors send it and the shards store it.
//
// Wire format (little-endian), documented field by field in docs/formats.md:
//   u32 magic 0x3152505A ("ZPR1")   u16 version (3; 1 and 2 are still read)   u16 reserved (0)
//   u32 payload_bytes
//   payload:
//     u32 actor_id   u64 sequence   i64 model_version
//     u8  game_name_len, game_name bytes (e.g. "connect4")
//     i8  result (outcome for player 0: +1 win, 0 draw, -1 loss)   u8 reserved
//     u16 num_actions (policy size)  u16 num_moves
//     num_moves x u16 action
//     num_moves x u8 flags: bit 0 = full search, a policy target (playout caps); version 2 only,
//                           version 1 records read as all full searches
//     num_moves x f32 search value: the search's value of the position for the player to move
//                           there, in [-1, 1]; version 3 only (older records have none)
//     num_moves x { u16 k, k x (u16 action, f32 probability) }   visit distribution per position
//   u64 xxh64 of every byte before it (header and payload)
// Decoding checks the magic, version, lengths, checksum and value ranges and throws
// FormatError naming the first problem; nothing is trusted before the checksum passes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/game/game.h"

namespace zp::data {

constexpr uint32_t kRecordMagic = 0x3152505A;  // "ZPR1" read as little-endian bytes
constexpr uint16_t kRecordVersion = 3;
constexpr uint16_t kOldestRecordVersion = 1;  // still decoded
constexpr uint8_t kPositionFullSearch = 1;    // flags bit 0
constexpr size_t kRecordHeaderBytes = 12;     // magic, version, reserved, payload_bytes
constexpr size_t kMaxRecordBytes = 64u << 20;  // sanity bound on one record

struct PolicyEntry {
  uint16_t action;
  float prob;
};

struct GameRecord {
  uint32_t actor_id = 0;
  uint64_t sequence = 0;       // per-actor sequence number (dedup key with actor_id)
  int64_t model_version = 0;   // model that played the game
  std::string game_name;
  int8_t result = 0;           // for player 0
  uint16_t num_actions = 0;
  std::vector<game::Action> moves;
  // policy_offsets[i]..policy_offsets[i+1] index `policy` for position i (before moves[i]).
  std::vector<uint32_t> policy_offsets{0};
  std::vector<PolicyEntry> policy;
  // One byte per position: kPositionFullSearch when its search was a full one (its policy is a
  // training target); fast playout-cap searches have 0.
  std::vector<uint8_t> flags;
  // One per position: the search's value for the player to move there (Tree::search_value), or
  // empty for a record of version 1 or 2, which did not store it.
  std::vector<float> search_values;

  size_t num_positions() const { return moves.size(); }
  bool policy_target(size_t i) const { return flags[i] & kPositionFullSearch; }
  bool has_search_values() const { return !search_values.empty(); }
  // Appends position i's search distribution from a dense vector (zeros are skipped) and its
  // search value (clamped to [-1, 1]); `full_search` false marks a fast playout-cap search (not
  // a policy target).
  void add_position(game::Action move, const float* dense_policy, bool full_search = true,
                    float search_value = 0.0f);
};

// Serialises `r` (appends to `out`): as version 3, or as version 2 when `r` has no search
// values (a record decoded from version 1 or 2), so that re-encoding never invents them.
void encode_record(const GameRecord& r, std::string* out);
// Size of the record starting at `bytes` from its header, or 0 if fewer than
// kRecordHeaderBytes are available. Throws FormatError on a bad magic/version/length.
size_t record_size(std::string_view bytes);
// Parses exactly one record occupying all of `bytes`. Throws FormatError on any problem.
GameRecord decode_record(std::string_view bytes);
// Replays the moves on `game` and checks legality, policy support and the final result.
// Throws FormatError naming the problem.
void validate_record(const GameRecord& r, const game::Game& game);

// 64-bit checksum (xxHash64, seed 0) used by records and shards.
uint64_t checksum64(const void* data, size_t n);

}  // namespace zp::data
