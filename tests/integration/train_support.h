// Helpers for tests that drive `zeroplay train` through the real binary (train_test.cpp,
// supervisor_test.cpp) and rate what it trained (learning_test.cpp, server_test.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "shared/ipc/stats.h"
#include "tests/test_support.h"

namespace zp::test {

// Starts `zeroplay train config/tiny.yaml --run-dir RUN` plus `extra`; its stdout and stderr
// go to RUN.out.
std::unique_ptr<ChildProcess> start_train(const std::string& run_dir,
                                          const std::vector<std::string>& extra);

// The run's stats block, once the supervisor has created it (null after 60 s).
std::unique_ptr<ipc::Stats> attach(const std::string& run_dir);

using RecordKey = std::pair<uint32_t, uint64_t>;  // (actor_id, sequence)

// Every record a ZP_ACK_LOG directory (shared/ipc/channel.h) says its actor had acknowledged.
std::set<RecordKey> read_ack_logs(const std::string& dir);

// Every record in RUN/shards/*.zps with its number of copies.
std::map<RecordKey, int> shard_records(const std::string& run_dir);

// `zeroplay eval arena` of a against b (players as --a/--b take them): `games` games with
// `sims` simulations from `opening_plies` random plies drawn with `seed`. Returns a's win rate
// from the command's JSON result line; REQUIREs (Catch) that the command succeeded.
double arena_win_rate(const std::string& config, const std::string& a, const std::string& b,
                      int games, int sims, int seed, int opening_plies = 2);

}  // namespace zp::test
