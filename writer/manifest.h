// The writer's durable state: shards/manifest.json (format in docs/formats.md).
//
// The manifest lists every shard the writer has made durable and, per actor, the sequence
// numbers of its durable records as ranges of consecutive numbers. Those ranges are exact:
// the writer uses them to drop duplicates and to acknowledge records (ipc/channel.h), and
// they survive writer restarts. The manifest is rewritten atomically after each shard; a
// shard renamed into place just before a crash (so missing from the manifest) is adopted at
// the next start.
//
// Plain values; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace zp::writer {

// A set of sequence numbers stored as disjoint, non-adjacent closed ranges [lo, hi].
class SeqRanges {
 public:
  // Adds `seq`, merging with neighbouring ranges.
  void insert(uint64_t seq);
  // Adds every number in [lo, hi]. Precondition: lo <= hi.
  void insert_range(uint64_t lo, uint64_t hi);
  bool contains(uint64_t seq) const;
  // The range holding `seq`. Precondition: contains(seq).
  std::pair<uint64_t, uint64_t> range_of(uint64_t seq) const;
  bool empty() const { return ranges_.empty(); }
  uint64_t max() const { return ranges_.empty() ? 0 : ranges_.rbegin()->second; }
  // lo -> hi, in increasing order.
  const std::map<uint64_t, uint64_t>& ranges() const { return ranges_; }

 private:
  std::map<uint64_t, uint64_t> ranges_;
};

struct ShardEntry {
  std::string file;  // name inside the shards directory, e.g. "shard-000012.zps"
  uint64_t records = 0;
  uint64_t positions = 0;
};

struct Manifest {
  std::string game;         // game of every shard ("" until the first shard)
  uint64_t next_shard = 0;  // index of the next shard file to write
  std::vector<ShardEntry> shards;
  std::map<uint32_t, SeqRanges> actors;  // actor id -> durable sequences

  uint64_t total_records() const;
  uint64_t total_positions() const;
};

// JSON text of `m`, and back. parse throws FormatError naming `what` and the problem.
std::string manifest_to_json(const Manifest& m);
Manifest parse_manifest(const std::string& text, const std::string& what);

// Reads <dir>/manifest.json; a missing file gives an empty manifest. Throws FormatError if
// it is corrupt, IoError if it cannot be read.
Manifest load_manifest(const std::string& dir);
// Writes <dir>/manifest.json atomically (tmp, fsync, rename). Throws IoError.
void save_manifest(const std::string& dir, const Manifest& m);

}  // namespace zp::writer
