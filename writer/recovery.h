// Start-up recovery of the writer's durable state from the shards directory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "shared/game/game.h"
#include "writer/manifest.h"

namespace zp::writer {

struct RecoveryReport {
  int adopted = 0;  // valid shards found on disk but missing from the manifest
  uint64_t adopted_records = 0;
  uint64_t adopted_positions = 0;
  int corrupt = 0;                // shards renamed to *.corrupt
  int missing = 0;                // manifest entries whose file is gone (dropped from the list)
  int temporaries = 0;            // leftover *.tmp files removed
  bool manifest_rebuilt = false;  // the manifest was unreadable and rebuilt from the shards
};

// How a long recovery stays alive and keeps its work (thousands of unlisted shards after a lost
// manifest take minutes to validate, longer than monitor.heartbeat_timeout_s):
//  - `progress` runs after every shard checked (the writer beats its heartbeat there);
//  - a progress line is logged every 5 s;
//  - the manifest is saved with the shards adopted so far whenever `save_every_s` have passed
//    since the last save (0: after every adopted shard), so a restart after a kill continues
//    where this one stopped instead of validating everything again.
struct RecoveryOptions {
  std::function<void()> progress;
  double save_every_s = 10.0;
};

// Loads <dir>/manifest.json (creating <dir> if needed) and reconciles it with the files:
//  - leftover temporaries (a crash mid-write: "*.tmp.<pid>.<n>", or "*.tmp" from earlier
//    versions) are removed;
//  - a shard file not in the manifest (a crash between its rename and the manifest write)
//    is read, validated record by record against `game`, and adopted; one that fails is
//    renamed to "<name>.corrupt" with a warning;
//  - an unreadable manifest is renamed to manifest.json.corrupt and rebuilt from the shards;
//  - next_shard is moved past every shard-like file name present.
// Saves the manifest if anything changed. Throws ConfigError if the shards belong to another
// game, IoError on file system errors.
Manifest recover_manifest(const std::string& dir, const game::Game& game, RecoveryReport* report,
                          const RecoveryOptions& options = {});

}  // namespace zp::writer
