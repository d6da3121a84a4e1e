// The writer role (`zeroplay writer --run-dir DIR`, spawned by the supervisor).
//
// Receives game records from the actors (ipc/channel.h), validates each against the run's
// game, drops invalid ones (counted, logged at a limited rate) and duplicates (by actor and
// sequence), and writes the rest as checksummed shards (data/shard.h) into <run>/shards,
// atomically, followed by the manifest (writer/manifest.h). Only then are the records
// acknowledged to their actors, so a writer killed at any moment loses and duplicates
// nothing: unacknowledged records are resent to the next incarnation, and the manifest (plus
// any shard renamed just before the crash) tells it which records are already durable.
//
// A shard is closed when it reaches writer.shard_positions positions or has been open
// writer.shard_seconds. SIGTERM/SIGINT: the pending shard is flushed (however small) and the
// process exits 0. Heartbeat and counters go to the writer slot of the stats block.
#pragma once

#include <string>

namespace zp::writer {

// Runs until stopped; returns the exit code. Throws zp::Error (after logging it) on a fault
// it cannot survive, such as a full disk: the supervisor restarts it.
int run_writer(const std::string& run_dir);

}  // namespace zp::writer
