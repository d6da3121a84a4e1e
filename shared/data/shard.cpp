#include "shared/data/shard.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "shared/core/fs.h"
#include "shared/core/bytes.h"

namespace zp::data {

void ShardBuilder::add(const GameRecord& r) {
  encode_record(r, &records_);
  ++num_records_;
  num_positions_ += r.num_positions();
}

void ShardBuilder::add_encoded(std::string_view record_bytes, size_t positions) {
  records_.append(record_bytes);
  ++num_records_;
  num_positions_ += positions;
}

void ShardBuilder::write(const std::string& path) {
  std::string out;
  out.reserve(records_.size() + 64);
  put<uint32_t>(&out, kShardMagic);
  put<uint16_t>(&out, kShardVersion);
  put<uint16_t>(&out, 0);
  put<uint32_t>(&out, static_cast<uint32_t>(num_records_));
  put<uint64_t>(&out, num_positions_);
  put<uint8_t>(&out, static_cast<uint8_t>(game_name_.size()));
  out.append(game_name_);
  out.append(records_);
  put<uint64_t>(&out, checksum64(out.data(), out.size()));
  write_file_atomic(path, out);
  records_.clear();
  num_records_ = 0;
  num_positions_ = 0;
}

std::vector<GameRecord> read_shard(const std::string& path, ShardInfo* info) {
  return parse_shard(read_file(path), path, info);
}

std::vector<GameRecord> parse_shard(std::string_view bytes, const std::string& path,
                                    ShardInfo* info) {
  auto fail = [&](const std::string& why) { throw FormatError("shard " + path + ": " + why); };
  if (bytes.size() < 8 + 4) fail("truncated (" + std::to_string(bytes.size()) + " bytes)");
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  std::string_view body(bytes.data(), bytes.size() - 8);
  ByteReader rd(body, "shard header");
  if (rd.get<uint32_t>() != kShardMagic) fail("bad magic number (not a shard file)");
  if (checksum64(body.data(), body.size()) != stored) fail("checksum mismatch (corrupt)");
  const uint16_t version = rd.get<uint16_t>();
  if (version != kShardVersion) fail("unsupported version " + std::to_string(version));
  rd.get<uint16_t>();
  ShardInfo si;
  si.num_records = rd.get<uint32_t>();
  si.num_positions = rd.get<uint64_t>();
  si.game_name = std::string(rd.take(rd.get<uint8_t>()));
  // Every record takes at least a header and a checksum: check the claimed count against the
  // bytes present before allocating for it (a crafted header must not ask for terabytes).
  const size_t min_record = kRecordHeaderBytes + 8;
  if (si.num_records > rd.remaining() / min_record)
    fail("header claims " + std::to_string(si.num_records) + " records, but only " +
         std::to_string(rd.remaining()) + " bytes follow");
  std::vector<GameRecord> records;
  records.reserve(si.num_records);
  uint64_t positions = 0;
  try {
    for (uint32_t i = 0; i < si.num_records; ++i) {
      const std::string_view rest = body.substr(rd.pos());
      const size_t n = record_size(rest);
      if (n == 0 || n > rest.size()) fail("record " + std::to_string(i) + " is truncated");
      records.push_back(decode_record(rd.take(n)));
      positions += records.back().num_positions();
    }
  } catch (const FormatError& e) {
    if (std::string(e.what()).rfind("shard ", 0) == 0) throw;
    fail(std::string("record ") + std::to_string(records.size()) + ": " + e.what());
  }
  if (rd.remaining() != 0) fail("has trailing bytes after the last record");
  if (positions != si.num_positions) fail("position count disagrees with its records");
  if (info) *info = si;
  return records;
}

}  // namespace zp::data
