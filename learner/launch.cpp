#include "learner/launch.h"

#include <cstdlib>

#include "shared/core/error.h"
#include "shared/core/parse.h"

namespace zp::learner {

namespace {

// A whole decimal int in [lo, hi], or ConfigError naming `what`.
int parse_int_in(const std::string& text, int lo, int hi, const std::string& what) {
  const std::optional<int64_t> v = parse_int(text);
  if (!v || *v < lo || *v > hi)
    throw ConfigError(what + " is '" + text + "'; expected an integer in [" +
                      std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(*v);
}

// Rank, world size and master address from a launcher's variables (`rank_var`,
// `size_var`); nullopt when `rank_var` is unset.
std::optional<LearnerRank> from_env(const EnvLookup& env, const char* rank_var,
                                    const char* size_var, const std::string& source,
                                    int world_size) {
  const char* rank = env(rank_var);
  if (!rank) return std::nullopt;
  const char* size = env(size_var);
  if (!size) throw ConfigError(std::string(rank_var) + " is set but " + size_var + " is not");
  LearnerRank r;
  r.source = source;
  r.world_size = parse_int_in(size, 1, 1 << 20, size_var);
  if (r.world_size != world_size)
    throw ConfigError(std::string(size_var) + " is " + std::to_string(r.world_size) +
                      " but learner.world_size is " + std::to_string(world_size) +
                      "; launch as many learner ranks as the config says");
  r.rank = parse_int_in(rank, 0, world_size - 1, rank_var);
  const char* addr = env("MASTER_ADDR");
  const char* port = env("MASTER_PORT");
  if (!addr || !*addr || !port)
    throw ConfigError(source + " launch (" + rank_var + " is set): MASTER_ADDR and MASTER_PORT "
                      "must name the host and port of rank 0's TCPStore");
  r.master_addr = addr;
  r.master_port = parse_int_in(port, 1, 65535, "MASTER_PORT");
  const char* local_var = source == "torchrun" ? "LOCAL_RANK" : "SLURM_LOCALID";
  const char* local = env(local_var);
  r.local_rank = local ? parse_int_in(local, 0, world_size - 1, local_var) : r.rank;
  const char* agent = env("TORCHELASTIC_USE_AGENT_STORE");
  if (source == "torchrun" && agent && std::string(agent) == "True") {
    r.agent_store = true;
    const char* restarts = env("TORCHELASTIC_RESTART_COUNT");
    r.store_prefix = std::string("zeroplay/") + (restarts ? restarts : "0") + "/";
  }
  return r;
}

}  // namespace

LearnerRank resolve_learner_rank(const config::Config& cfg, const RankFlags& flags,
                                 const EnvLookup& env_in) {
  const EnvLookup env = env_in ? env_in : [](const char* k) { return std::getenv(k); };
  const int world = cfg.learner.world_size;
  if (flags.rank) {
    LearnerRank r;
    r.source = "command line";
    r.world_size = world;
    if (*flags.rank < 0 || *flags.rank >= world)
      throw ConfigError("--rank " + std::to_string(*flags.rank) + " is outside [0, " +
                        std::to_string(world) + ") (learner.world_size " +
                        std::to_string(world) + ")");
    if (flags.master_port < 1 || flags.master_port > 65535)
      throw ConfigError("--rank needs --master-port (1..65535), the port of rank 0's TCPStore");
    r.rank = *flags.rank;
    r.local_rank = r.rank;  // the supervisor starts every rank on its own host
    r.master_addr = flags.master_addr;
    r.master_port = flags.master_port;
    return r;
  }
  if (world == 1) return LearnerRank{};
  if (auto r = from_env(env, "RANK", "WORLD_SIZE", "torchrun", world)) return *r;
  if (auto r = from_env(env, "SLURM_PROCID", "SLURM_NTASKS", "slurm", world)) return *r;
  throw ConfigError("learner.world_size is " + std::to_string(world) +
                    " but this learner was given no rank: `zeroplay train` starts the ranks "
                    "itself; otherwise launch them with torchrun (RANK, WORLD_SIZE) or srun "
                    "(SLURM_PROCID, SLURM_NTASKS), with MASTER_ADDR and MASTER_PORT set");
}

}  // namespace zp::learner
