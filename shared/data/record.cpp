#include "shared/data/record.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>

#include "shared/core/bytes.h"

namespace zp::data {

uint64_t checksum64(const void* data, size_t n) { return XXH64(data, n, 0); }

void GameRecord::add_position(game::Action move, const float* dense_policy, bool full_search,
                              float search_value) {
  moves.push_back(move);
  flags.push_back(full_search ? kPositionFullSearch : 0);
  search_values.push_back(std::isfinite(search_value) ? std::clamp(search_value, -1.0f, 1.0f)
                                                      : 0.0f);
  for (int a = 0; a < num_actions; ++a)
    if (dense_policy[a] > 0.0f) policy.push_back({static_cast<uint16_t>(a), dense_policy[a]});
  policy_offsets.push_back(static_cast<uint32_t>(policy.size()));
}

void encode_record(const GameRecord& r, std::string* out) {
  ZP_CHECK_EQ(r.policy_offsets.size(), r.moves.size() + 1);
  ZP_CHECK_EQ(r.flags.size(), r.moves.size());
  ZP_CHECK(r.search_values.empty() || r.search_values.size() == r.moves.size());
  ZP_CHECK_LE(r.game_name.size(), 255u);
  const size_t start = out->size();
  put<uint32_t>(out, kRecordMagic);
  // A record without search values (one decoded from version 1 or 2, which had none) is
  // written as version 2, never as version 3 with made-up values the learner would mix into
  // its value targets.
  const bool values = !r.search_values.empty();
  put<uint16_t>(out, values ? kRecordVersion : uint16_t{2});
  put<uint16_t>(out, 0);
  put<uint32_t>(out, 0);  // payload_bytes, patched below
  const size_t payload_start = out->size();
  put<uint32_t>(out, r.actor_id);
  put<uint64_t>(out, r.sequence);
  put<int64_t>(out, r.model_version);
  put<uint8_t>(out, static_cast<uint8_t>(r.game_name.size()));
  out->append(r.game_name);
  put<int8_t>(out, r.result);
  put<uint8_t>(out, 0);
  put<uint16_t>(out, r.num_actions);
  put<uint16_t>(out, static_cast<uint16_t>(r.moves.size()));
  for (game::Action a : r.moves) put<uint16_t>(out, static_cast<uint16_t>(a));
  for (uint8_t f : r.flags) put<uint8_t>(out, f);
  if (values)
    for (float v : r.search_values) put<float>(out, v);
  for (size_t i = 0; i < r.moves.size(); ++i) {
    const uint32_t b = r.policy_offsets[i], e = r.policy_offsets[i + 1];
    put<uint16_t>(out, static_cast<uint16_t>(e - b));
    for (uint32_t k = b; k < e; ++k) {
      put<uint16_t>(out, r.policy[k].action);
      put<float>(out, r.policy[k].prob);
    }
  }
  const uint32_t payload = static_cast<uint32_t>(out->size() - payload_start);
  std::memcpy(&(*out)[start + 8], &payload, 4);
  put<uint64_t>(out, checksum64(out->data() + start, out->size() - start));
}

size_t record_size(std::string_view bytes) {
  if (bytes.size() < kRecordHeaderBytes) return 0;
  ByteReader rd(bytes, "record header");
  const uint32_t magic = rd.get<uint32_t>();
  if (magic != kRecordMagic) throw FormatError("record has a bad magic number");
  const uint16_t version = rd.get<uint16_t>();
  if (version < kOldestRecordVersion || version > kRecordVersion)
    throw FormatError("record has unsupported version " + std::to_string(version) + " (this build reads " +
                      std::to_string(kOldestRecordVersion) + " to " +
                      std::to_string(kRecordVersion) + ")");
  rd.get<uint16_t>();
  const uint32_t payload = rd.get<uint32_t>();
  const size_t total = kRecordHeaderBytes + payload + 8;
  if (total > kMaxRecordBytes)
    throw FormatError("record claims " + std::to_string(total) + " bytes, over the limit");
  return total;
}

GameRecord decode_record(std::string_view bytes) {
  const size_t total = record_size(bytes);
  if (total == 0 || bytes.size() < total)
    throw FormatError("record is truncated (" + std::to_string(bytes.size()) + " of " +
                      std::to_string(total ? total : kRecordHeaderBytes) + " bytes)");
  if (bytes.size() > total)
    throw FormatError("record has " + std::to_string(bytes.size() - total) + " trailing bytes");
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + total - 8, 8);
  if (checksum64(bytes.data(), total - 8) != stored)
    throw FormatError("record checksum mismatch");

  uint16_t version;
  std::memcpy(&version, bytes.data() + 4, 2);
  ByteReader rd(bytes.substr(kRecordHeaderBytes, total - kRecordHeaderBytes - 8), "record payload");
  GameRecord r;
  r.actor_id = rd.get<uint32_t>();
  r.sequence = rd.get<uint64_t>();
  r.model_version = rd.get<int64_t>();
  const uint8_t name_len = rd.get<uint8_t>();
  r.game_name = std::string(rd.take(name_len));
  r.result = rd.get<int8_t>();
  if (r.result < -1 || r.result > 1)
    throw FormatError("record result " + std::to_string(r.result) + " is not -1, 0 or 1");
  rd.get<uint8_t>();
  r.num_actions = rd.get<uint16_t>();
  const uint16_t n = rd.get<uint16_t>();
  if (r.num_actions == 0) throw FormatError("record has num_actions 0");
  r.moves.resize(n);
  for (auto& a : r.moves) {
    a = rd.get<uint16_t>();
    if (a >= r.num_actions)
      throw FormatError("record move " + std::to_string(a) + " >= num_actions " +
                        std::to_string(r.num_actions));
  }
  r.flags.assign(n, kPositionFullSearch);
  if (version >= 2) {
    for (auto& f : r.flags) {
      f = rd.get<uint8_t>();
      if (f & ~kPositionFullSearch)
        throw FormatError("record position flags " + std::to_string(f) + " has unknown bits");
    }
  }
  if (version >= 3) {
    r.search_values.resize(n);
    for (uint16_t i = 0; i < n; ++i) {
      const float v = rd.get<float>();
      if (!(v >= -1.0f && v <= 1.0f))
        throw FormatError("record search value at position " + std::to_string(i) +
                          " is not in [-1, 1]");
      r.search_values[i] = v;
    }
  }
  r.policy_offsets.assign(1, 0);
  for (uint16_t i = 0; i < n; ++i) {
    const uint16_t k = rd.get<uint16_t>();
    if (k > r.num_actions) throw FormatError("record policy has too many entries");
    double sum = 0;
    for (uint16_t j = 0; j < k; ++j) {
      PolicyEntry e{rd.get<uint16_t>(), rd.get<float>()};
      if (e.action >= r.num_actions)
        throw FormatError("record policy action " + std::to_string(e.action) + " out of range");
      if (!(e.prob >= 0.0f && e.prob <= 1.0f))
        throw FormatError("record policy probability out of [0, 1] at position " +
                          std::to_string(i));
      sum += e.prob;
      r.policy.push_back(e);
    }
    if (k > 0 && std::fabs(sum - 1.0) > 1e-3)
      throw FormatError("record policy at position " + std::to_string(i) + " sums to " +
                        std::to_string(sum));
    r.policy_offsets.push_back(static_cast<uint32_t>(r.policy.size()));
  }
  if (rd.remaining() != 0) throw FormatError("record payload has unparsed bytes");
  return r;
}

void validate_record(const GameRecord& r, const game::Game& game) {
  if (r.game_name != game.name())
    throw FormatError("record is for game '" + r.game_name + "', expected '" + game.name() + "'");
  if (r.num_actions != game.num_actions())
    throw FormatError("record has num_actions " + std::to_string(r.num_actions) + ", game has " +
                      std::to_string(game.num_actions()));
  if (r.moves.empty()) throw FormatError("record has no moves");
  auto state = game.new_initial_state();
  for (size_t i = 0; i < r.moves.size(); ++i) {
    if (state->is_terminal() || !state->is_legal(r.moves[i]))
      throw FormatError("record move " + std::to_string(i + 1) + " is illegal");
    for (uint32_t k = r.policy_offsets[i]; k < r.policy_offsets[i + 1]; ++k)
      if (r.policy[k].prob > 0 && !state->is_legal(r.policy[k].action))
        throw FormatError("record policy at position " + std::to_string(i) +
                          " puts weight on an illegal move");
    state->apply(r.moves[i]);
  }
  if (!state->is_terminal()) throw FormatError("record ends before the game is over");
  if (state->returns(0) != r.result)
    throw FormatError("record result " + std::to_string(r.result) + " disagrees with the game");
}

}  // namespace zp::data
