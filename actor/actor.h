// The actor role: one process that plays `actors.games_per_actor` games at once with its own
// copy of the model, streams finished games to the writer, and swaps in new weights from the
// shared-memory model store between search rounds without stopping its games.
//
// Memory bound: the actor keeps every record until the writer acknowledges it (ipc/channel.h).
// With more than max_pending_records(config) unacknowledged (2 x writer.shard_positions: a
// shard holds at most shard_positions records, so that is the open shard and one more in
// flight), it plays no new round and only polls for acknowledgements (resending, beating its
// heartbeat) until the count is below the bound again: a writer that is down, stopped or slow
// cannot grow an actor's memory without limit. One round can add games_per_actor records, so
// pending stays at most the bound plus games_per_actor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace zp::config {
struct Config;
}

namespace zp::actor {

constexpr int kPendingShards = 2;  // unacknowledged records kept: this many shards' worth
size_t max_pending_records(const config::Config& cfg);

// Runs actor `index` (its stats slot) of the run in `run_dir` until SIGTERM/SIGINT, sending
// its records as `actor_id` (the writer's dedup key with the sequence; -1: the index). A
// joined host (host/host.h) gives its actors ids from the range the head assigned it.
// Returns the exit code.
int run_actor(const std::string& run_dir, int index, int64_t actor_id = -1);

}  // namespace zp::actor
