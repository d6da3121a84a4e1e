// Which rank of a data-parallel learner group this process is (learner.world_size > 1), and
// where the group meets (model/distributed.h: the TCPStore that rank 0 hosts).
//
// Who says so, first match wins:
//   1. the command line: `zeroplay learner --run-dir D --rank R --master-addr A
//      --master-port P` (how `zeroplay train` starts the ranks; --master-addr defaults to
//      127.0.0.1, --master-port is required with --rank);
//   2. torchrun's variables: RANK and WORLD_SIZE, with MASTER_ADDR and MASTER_PORT;
//   3. Slurm's (srun): SLURM_PROCID and SLURM_NTASKS, with MASTER_ADDR and MASTER_PORT (srun
//      does not set those two: export them, e.g. MASTER_ADDR=$(hostname of task 0));
//   4. none of them: a single learner, rank 0 of 1 (learner.world_size must then be 1).
// Under torchrun the agent already hosts the TCPStore at MASTER_ADDR:MASTER_PORT
// (TORCHELASTIC_USE_AGENT_STORE=True): then every rank, rank 0 too, joins it as a client, under
// a key prefix per restart of the group (TORCHELASTIC_RESTART_COUNT), as torch's own env://
// rendezvous does. The local rank (torchrun's LOCAL_RANK, Slurm's SLURM_LOCALID; else the rank)
// picks a CUDA rank's GPU on its node.
// The world size is always learner.world_size: a launcher's WORLD_SIZE or SLURM_NTASKS that
// differs from it is a ConfigError naming both values. With learner.world_size 1 the
// variables are ignored (a one-rank learner started inside a torchrun or srun job).
//
// Thread-safe (pure functions of their arguments).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "shared/config/config.h"

namespace zp::learner {

struct LearnerRank {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
  std::string source = "single";  // "command line", "torchrun", "slurm", "single"
  int local_rank = 0;              // this rank's index on its node (its GPU: cuda:local_rank)
  bool agent_store = false;        // torchrun's agent hosts the TCPStore: rank 0 only joins it
  std::string store_prefix;        // keys of this group in a shared store ("" = none)
};

// The command-line flags of `zeroplay learner`.
struct RankFlags {
  std::optional<int> rank;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
};

// Looks up an environment variable; nullptr when unset (::getenv by default).
using EnvLookup = std::function<const char*(const char*)>;

// Resolves the rank as described above. Throws ConfigError for a rank outside
// [0, world_size), a mismatched world size, a missing or malformed MASTER_ADDR /
// MASTER_PORT / --master-port, or learner.world_size > 1 without any of the sources.
LearnerRank resolve_learner_rank(const config::Config& cfg, const RankFlags& flags,
                                 const EnvLookup& env = nullptr);

// The log and role name of a rank: "learner" for rank 0 (it owns the learner's stats slot,
// status line and run files), "learner-<r>" for the others.
// Inline, so that the supervisor names the processes without linking the learner.
inline std::string learner_role_name(int rank) {
  return rank == 0 ? "learner" : "learner-" + std::to_string(rank);
}

}  // namespace zp::learner
