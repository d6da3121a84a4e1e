// Finds and reads the writer's shard files for the learner.
//
// The writer renames each finished shard into <run_dir>/shards/ atomically, with numbered
// names ("shard-000001.zps", ...). The watcher lists the directory, keeps the set of names it
// has already handled, and hands back the new ones in the order they were written
// (run::shard_name_less: by number, so "shard-1000000.zps" comes after "shard-999999.zps"). Only names ending in ".zps" count; temporaries ("*.tmp", "*.tmp.<pid>.<n>") and
// other files (manifest.json) are ignored.
//
// A shard that cannot be read (IoError), fails its checksums (FormatError), or holds a
// record that does not replay legally for the learner's game (data::validate_record) is
// skipped as a whole: a warning naming the file is logged, skipped() grows by one, and the
// name is never looked at again. Nothing from it reaches the caller.
//
// Not thread-safe: owned by the learner's main thread. Calls block on file reads.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "shared/data/record.h"
#include "shared/game/game.h"

namespace zp::learner {

// One shard that was read and fully checked.
struct IngestedShard {
  std::string name;  // file name inside the directory, e.g. "shard-000012.zps"
  std::vector<data::GameRecord> records;
  uint64_t positions = 0;
};

class ShardWatcher {
 public:
  // `dir` need not exist yet (it then lists as empty). `game` must outlive the watcher.
  ShardWatcher(std::string dir, const game::Game& game);

  // Shard file names currently in the directory, in shard_name_less order, handled or not.
  std::vector<std::string> list() const;

  // Reads up to `max_shards` shards not handled before, oldest first, and marks them
  // handled (skipped ones too). Returns the good ones in that order.
  std::vector<IngestedShard> poll(size_t max_shards = SIZE_MAX);

  // Reads one shard by file name and marks it handled; std::nullopt if it was skipped.
  std::optional<IngestedShard> read(const std::string& name);

  // Marks a name handled without reading it (shards already trained on before a resume).
  void mark_handled(const std::string& name) { handled_.insert(name); }
  bool handled(const std::string& name) const { return handled_.count(name) != 0; }

  // Shards skipped as unreadable or corrupt so far.
  int64_t skipped() const { return skipped_; }
  const std::string& dir() const { return dir_; }

 private:
  const std::string dir_;
  const game::Game& game_;
  std::set<std::string> handled_;
  int64_t skipped_ = 0;
};

}  // namespace zp::learner
