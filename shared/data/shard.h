// Shard files: the writer's durable output and the learner's input.
//
// Layout (little-endian), documented field by field in docs/formats.md:
//   u32 magic 0x3153505A ("ZPS1")  u16 version (1)  u16 reserved
//   u32 num_records  u64 num_positions
//   u8 game_name_len, game_name bytes
//   num_records encoded records (record.h), back to back
//   u64 xxh64 of every byte before it
// Shards appear atomically (write_file_atomic): written to a unique "<path>.tmp.<pid>.<n>",
// fsync'ed, renamed, directory fsync'ed.
// A reader checks the footer checksum first and every record after, so a truncated or
// corrupted shard is rejected as a whole with a FormatError, never half-read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/data/record.h"

namespace zp::data {

constexpr uint32_t kShardMagic = 0x3153505A;  // "ZPS1"
constexpr uint16_t kShardVersion = 1;

// Accumulates encoded records and writes them as one shard.
class ShardBuilder {
 public:
  explicit ShardBuilder(std::string game_name) : game_name_(std::move(game_name)) {}
  void add(const GameRecord& r);
  // Adds an already encoded and validated record.
  void add_encoded(std::string_view record_bytes, size_t positions);
  size_t num_records() const { return num_records_; }
  uint64_t num_positions() const { return num_positions_; }
  bool empty() const { return num_records_ == 0; }
  // Writes the shard atomically to `path` and clears the builder. Throws IoError.
  void write(const std::string& path);

 private:
  std::string game_name_;
  std::string records_;
  size_t num_records_ = 0;
  uint64_t num_positions_ = 0;
};

struct ShardInfo {
  std::string game_name;
  uint32_t num_records = 0;
  uint64_t num_positions = 0;
};

// Reads and fully validates a shard. Throws IoError (unreadable) or FormatError (corrupt).
std::vector<GameRecord> read_shard(const std::string& path, ShardInfo* info = nullptr);
// The same for a shard's bytes in memory; `path` names it in errors. Throws FormatError.
std::vector<GameRecord> parse_shard(std::string_view bytes, const std::string& path,
                                    ShardInfo* info = nullptr);


}  // namespace zp::data
