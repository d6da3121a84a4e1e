// Shared by the libFuzzer targets in this folder (scripts/fuzz.sh runs them).
//
// Records, shards and checkpoints end with the XXH64 of every byte before it, so random bytes
// almost never get past the checksum. A target therefore treats its input as everything but
// the checksum and appends the right one, so that the fuzzer explores the decoders behind it.
// Every documented error is a zp::Error (FormatError, ConfigError, IoError): a target catches
// those and nothing else, so any other exception, a crash or a sanitizer report is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "shared/data/record.h"
#include "shared/game/registry.h"

namespace zp::fuzz {

inline std::string bytes_of(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Connect Four, the game the targets check records against (registering the games once).
inline const game::Game& connect4() {
  static const auto game = [] {
    game::register_all_games();
    return game::make_game("connect4");
  }();
  return *game;
}

// `data` followed by its XXH64 (seed 0), little-endian.
inline std::string with_checksum(const uint8_t* data, size_t size) {
  std::string b = bytes_of(data, size);
  const uint64_t sum = data::checksum64(b.data(), b.size());
  char tail[8];
  std::memcpy(tail, &sum, 8);
  b.append(tail, 8);
  return b;
}

}  // namespace zp::fuzz
