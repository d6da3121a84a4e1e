// The schema table: every config key, declared once. To add a key, add the member (with its
// default) to config.h and one entry here; parsing, validation, to_yaml and --help-keys follow.
#include "shared/config/schema.h"

#include <cctype>
#include <limits>
#include <set>
#include <utility>

#include "shared/core/error.h"
#include "shared/game/registry.h"

namespace zp::config::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Limits range(double lo, double hi) {
  Limits l;
  l.lo = lo;
  l.hi = hi;
  return l;
}
Limits at_least(double lo) { return range(lo, kInf); }
// lo < v <= hi.
Limits above(double lo, double hi = kInf) {
  Limits l = range(lo, hi);
  l.lo_open = true;
  return l;
}
Limits one_of(std::vector<std::string> choices) {
  Limits l;
  l.choices = std::move(choices);
  return l;
}
Limits any() { return Limits{}; }

// "auto", "cpu", "cuda" or "cuda:N".
std::string check_device(const std::string& v) {
  if (v == "auto" || v == "cpu" || v == "cuda") return "";
  if (v.size() > 5 && v.compare(0, 5, "cuda:") == 0) {
    bool digits = true;
    for (size_t i = 5; i < v.size(); ++i) digits = digits && std::isdigit((unsigned char)v[i]);
    if (digits) return "";
  }
  return "must be auto, cpu, cuda or cuda:N, got '" + v + "'";
}

// "" (every actor on model.device) or a comma-separated list of devices, each cpu, cuda or
// cuda:N ("auto" would let two entries resolve to the same device unseen).
std::string check_device_list(const std::string& v) {
  for (const std::string& item : split_device_list(v)) {
    if (item.empty()) return "has an empty entry in '" + v + "'";
    if (item == "auto" || !check_device(item).empty())
      return "entries must be cpu, cuda or cuda:N, got '" + item + "' in '" + v + "'";
  }
  return "";
}

// "" (the default ipc socket), ipc://PATH or tcp://HOST:PORT.
std::string check_endpoint(const std::string& v) {
  if (v.empty()) return "";
  if (v.compare(0, 6, "ipc://") == 0 && v.size() > 6) return "";
  if (v.compare(0, 6, "tcp://") == 0) {
    const size_t colon = v.rfind(':');
    if (colon > 6 && colon + 1 < v.size()) return "";
  }
  return "must be empty (a socket in the run directory), ipc://PATH or tcp://HOST:PORT, got '" + v +
         "'";
}
Limits checked(std::string (*fn)(const std::string&), const char* desc) {
  Limits l;
  l.check = fn;
  l.check_desc = desc;
  return l;
}
Limits device() { return checked(check_device, "auto | cpu | cuda | cuda:N"); }

KeySpec key(const char* section, const char* name, Ref (*bind)(Config&), Limits limits,
            const char* help) {
  return KeySpec{section, name, bind, std::move(limits), help};
}

// Expands to the section name, the key name and the binding, so each name is written once.
// clang-format off
#define ZP_KEY(sec, member) #sec, #member, [](Config& c) -> Ref { return &c.sec.member; }
// clang-format on

std::vector<KeySpec> build_keys() {
  game::register_all_games();  // the game names come from the registry
  return {
      // --- game ---------------------------------------------------------------------------
      key(ZP_KEY(game, name), one_of(game::registered_games()),
          "The game to learn. It fixes the board, the action space and the network's input and "
          "output shapes."),
      key(ZP_KEY(game, board_size), range(0, 1000),
          "Board side length, for games that declare one (gomoku: 5 to 19): 0 means the "
          "game's default (gomoku: 15). Must be 0 for the other games."),

      // --- search -------------------------------------------------------------------------
      key(ZP_KEY(search, simulations), range(1, 1000000),
          "Search simulations (network evaluations) per move in self-play. More makes stronger "
          "training targets and slower games."),
      key(ZP_KEY(search, algorithm), one_of({"puct", "gumbel"}),
          "Tree search: puct (AlphaZero's PUCT with Dirichlet root noise, visit-count policy "
          "targets) or gumbel (Gumbel AlphaZero: sequential halving at the root, completed-Q "
          "policy targets; strong with few simulations)."),
      key(ZP_KEY(search, c_puct), above(0, 100),
          "PUCT exploration constant: how much the prior and the visit counts outweigh the "
          "mean value when choosing a child."),
      key(ZP_KEY(search, fpu_reduction), range(0, 2),
          "First-play urgency: an unvisited child is valued at its parent's value minus this "
          "(values lie in [-1, 1])."),
      key(ZP_KEY(search, dirichlet_alpha), above(0, 100),
          "Concentration of the Dirichlet noise mixed into the root priors in self-play. "
          "Roughly 10 / (typical number of legal moves)."),
      key(ZP_KEY(search, dirichlet_fraction), range(0, 1),
          "Share of the root prior replaced by Dirichlet noise in self-play; 0 turns noise off."),
      key(ZP_KEY(search, leaves_per_round), range(1, 256),
          "Leaves taken from each tree per batched forward pass, spread by virtual loss. Above "
          "1 the batch grows without more games, at some cost in search quality. At most "
          "search.simulations."),
      key(ZP_KEY(search, virtual_loss), range(0, 10),
          "Value penalty per pending visit while a leaf waits for its evaluation, so the next "
          "leaf in the same round goes elsewhere."),
      key(ZP_KEY(search, temperature), range(0, 10),
          "Temperature of the move choice over root visit counts for the first "
          "search.temperature_moves moves; 0 = always the most visited."),
      key(ZP_KEY(search, temperature_moves), range(0, 1000),
          "Moves played with search.temperature; later moves take the most visited child."),
      key(ZP_KEY(search, reuse_tree), any(),
          "Keep the subtree under the played move for the next search instead of starting "
          "from an empty tree."),
      key(ZP_KEY(search, gumbel_considered), range(1, 1024),
          "Gumbel search: actions sampled (Gumbel-top-k) for sequential halving at the root; "
          "capped by the legal moves."),
      key(ZP_KEY(search, gumbel_c_visit), range(0, 100000),
          "Gumbel search: c_visit of the transform sigma(q) = (c_visit + max visits) * c_scale "
          "* q applied to completed Q-values rescaled to [0, 1]."),
      key(ZP_KEY(search, gumbel_c_scale), above(0, 1000),
          "Gumbel search: c_scale of sigma(q); higher trusts the search's values more against "
          "the prior."),
      key(ZP_KEY(search, gumbel_noise_moves), range(0, 1000),
          "Gumbel search in self-play: the move choice has Gumbel noise (variety) for the "
          "first this many plies only; later moves take sequential halving's best action, so "
          "games end closer to the value of good play. 0 = noise on every move (the paper's "
          "self-play). The policy targets are the same either way."),
      key(ZP_KEY(search, full_search_prob), range(0, 1),
          "Playout-cap randomization (KataGo): share of moves searched with search.simulations "
          "and used as policy targets. The others get search.fast_simulations, no root noise, "
          "and train the value only. 1 = every move gets a full search."),
      key(ZP_KEY(search, fast_simulations), range(0, 1000000),
          "Playout-cap randomization: simulations of a fast search (less than "
          "search.simulations). 0 = off (every move gets a full search)."),

      // --- model --------------------------------------------------------------------------
      key(ZP_KEY(model, blocks), range(1, 64), "Residual blocks in the network's trunk."),
      key(ZP_KEY(model, channels), range(1, 1024), "Convolution channels in the trunk."),
      key(ZP_KEY(model, policy_channels), range(1, 64),
          "Channels of the policy head's 1x1 convolution."),
      key(ZP_KEY(model, value_channels), range(1, 64),
          "Channels of the value head's 1x1 convolution."),
      key(ZP_KEY(model, value_hidden), range(1, 4096),
          "Hidden units of the value head's fully connected layer."),
      key(ZP_KEY(model, device), device(),
          "Where actors and the evaluator run the network: auto (the first CUDA device if "
          "there is one, else the CPU), cpu, cuda or cuda:N."),
      key(ZP_KEY(model, precision), one_of({"auto", "fp32", "fp16", "bf16"}),
          "Inference precision on CUDA. auto = bf16 on CUDA devices of compute capability 8 "
          "or more, fp16 on older ones, fp32 on the CPU; fp16 and bf16 need a CUDA device. "
          "Training is always fp32."),
      key(ZP_KEY(model, threads), range(1, 256),
          "Torch intra-op threads per actor or evaluator process. Keep 1 when several "
          "processes share the CPU."),
      key(ZP_KEY(model, cuda_graphs), one_of({"auto", "on", "off"}),
          "Replay the inference forward pass as a CUDA graph, one per batch-size bucket "
          "(powers of two and the largest batch; a batch is padded to its bucket). auto = on "
          "for CUDA; on the CPU it does not apply (noted once in the log)."),

      // --- actors -------------------------------------------------------------------------
      key(ZP_KEY(actors, count), range(1, 124), "Self-play actor processes."),
      key(ZP_KEY(actors, games_per_actor), range(1, 65536),
          "Games one actor plays at once; their leaves form one batch, so this sets the "
          "forward-pass batch size (times search.leaves_per_round)."),
      key(ZP_KEY(actors, seed), any(),
          "Base random seed; actor i seeds its games with seed * 7919 + i. 0 = seed from the clock (not "
          "reproducible)."),
      key(ZP_KEY(actors, gpu_lock), one_of({"auto", "on", "off"}),
          "Cross-process lock around each forward pass, one per device. auto = on when the "
          "model runs on CUDA (actors take turns on the GPU), off on the CPU (each actor has "
          "its own cores, so a lock would only serialise them)."),
      key(ZP_KEY(actors, pipeline), range(1, 16),
          "Groups an actor splits its games into: while one group's batch is evaluated (on "
          "the GPU, or a worker thread on the CPU), the actor searches the others. 1 = no "
          "overlap. Each group's batch is games_per_actor / pipeline games."),

      key(ZP_KEY(actors, devices), checked(check_device_list, "\"\" | DEVICE[,DEVICE...]"),
          "Devices the actors are spread over, round robin: actor i runs on entry i mod n, "
          "e.g. [cuda:0, cuda:1] (a YAML list or 'cuda:0,cuda:1'). Each device has its own GPU "
          "lock. Empty = every actor on model.device. The evaluator stays on model.device and "
          "the learner on learner.device. Needs actors.inference: lock when it names several "
          "devices."),

      key(ZP_KEY(actors, inference), one_of({"lock", "server"}),
          "How actors reach the network. lock = each actor owns a model copy and runs its own "
          "forward passes (under the GPU lock on CUDA); server = one inference-server process "
          "per device owns the model, and actors send their batches through shared-memory "
          "slots (server.max_batch, server.max_wait_us)."),

      // --- server -------------------------------------------------------------------------
      key(ZP_KEY(server, max_batch), range(1, 65536),
          "actors.inference: server: positions in one forward pass at most. Every actor's "
          "request (actors.games_per_actor x search.leaves_per_round) must fit."),
      key(ZP_KEY(server, max_wait_us), range(0, 1000000),
          "actors.inference: server: microseconds a batch waits for more requests after its "
          "first one; it closes earlier when full or when every actor's request is in it."),

      // --- writer -------------------------------------------------------------------------
      key(ZP_KEY(writer, endpoint), checked(check_endpoint, "\"\" | ipc://PATH | tcp://HOST:PORT"),
          "ZeroMQ endpoint the writer binds and actors connect to. Empty = an ipc socket in the "
          "run directory; tcp://HOST:PORT lets actors on other hosts connect, authenticated "
          "with ZeroMQ CURVE (keys in <run_dir>/keys, made by train)."),
      key(ZP_KEY(writer, insecure), any(),
          "tcp:// without CURVE: anyone who can reach the port can inject records or pose as "
          "the writer. Only for trusted networks; a warning is logged."),
      key(ZP_KEY(writer, shard_positions), range(1, 100000000),
          "Close the current shard after this many positions."),
      key(ZP_KEY(writer, shard_seconds), above(0, 86400),
          "Close the current shard after this many seconds with data pending, so the learner "
          "sees fresh games even when few arrive."),

      // --- learner ------------------------------------------------------------------------
      key(ZP_KEY(learner, batch_size), range(1, 65536), "Positions per training step."),
      key(ZP_KEY(learner, optimizer), one_of({"sgd", "adam"}),
          "Optimiser: sgd (with learner.momentum) or adam."),
      key(ZP_KEY(learner, lr), above(0, 10), "Learning rate (the peak rate under a schedule)."),
      key(ZP_KEY(learner, momentum), range(0, 1), "SGD momentum; ignored by adam."),
      key(ZP_KEY(learner, weight_decay), range(0, 1), "L2 weight decay."),
      key(ZP_KEY(learner, lr_schedule), one_of({"constant", "cosine"}),
          "Learning-rate schedule: constant, or cosine decay to 0 over the run: over "
          "train.max_steps or train.max_seconds, whichever runs out first (one must be set; "
          "a resumed run starts a new time budget, so its schedule restarts)."),
      key(ZP_KEY(learner, value_loss_weight), range(0, 100),
          "Weight of the value loss against the policy loss."),
      key(ZP_KEY(learner, value_target_q), range(0, 1),
          "Share of the search's value in the value target: (1 - q) * game result + q * the "
          "root value the actor's search found for the position (records of version 3 store "
          "it; older records train on the game result alone). 0 = the game result only, as "
          "AlphaZero."),
      key(ZP_KEY(learner, window_positions), range(1, 1000000000),
          "Replay window: training samples from the most recent this many positions."),
      key(ZP_KEY(learner, min_positions), range(1, 1000000000),
          "Positions to wait for before the first training step; at most "
          "learner.window_positions."),
      key(ZP_KEY(learner, sample_reuse), above(0, 1000),
          "Target number of times each generated position is trained on; the learner waits "
          "for self-play when it gets ahead of this ratio."),
      key(ZP_KEY(learner, publish_every_steps), range(1, 1000000000),
          "Publish the weights to the actors (shared memory) and write a checkpoint every this "
          "many steps."),
      key(ZP_KEY(learner, device), device(),
          "Where the learner trains: auto, cpu, cuda or cuda:N."),
      key(ZP_KEY(learner, threads), range(1, 256), "Torch intra-op threads for training."),
      key(ZP_KEY(learner, world_size), range(1, 1024),
          "Data-parallel learner ranks (torch.distributed: Gloo on the CPU, NCCL on CUDA). "
          "Each rank trains on learner.batch_size / world_size positions of the global batch "
          "(batch_size must divide evenly) and the gradients are averaged every step; rank 0 "
          "publishes models and writes checkpoints. Fixed for a run (a resume needs the same "
          "value)."),
      key(ZP_KEY(learner, launch), one_of({"supervisor", "external"}),
          "Who starts the learner ranks. supervisor: zeroplay train spawns all "
          "learner.world_size of them on its own host and restarts them. external: another "
          "launcher (torchrun, srun, a script) runs `zeroplay learner --run-dir RUN` once per "
          "rank, with rank 0 on the head's host and the run directory shared with the others; "
          "train waits for rank 0, shows it, kills it when it hangs (its launcher restarts it) "
          "and stops it with the run."),

      // --- monitor ------------------------------------------------------------------------
      key(ZP_KEY(monitor, interval_s), above(0, 3600), "Seconds between status lines."),
      key(ZP_KEY(monitor, heartbeat_timeout_s), above(0, 86400),
          "A process whose heartbeat is older than this many seconds is killed and restarted. "
          "Must exceed monitor.interval_s."),

      // --- train --------------------------------------------------------------------------
      key(ZP_KEY(train, max_steps), at_least(0),
          "Stop after this many learner steps; 0 = no limit."),
      key(ZP_KEY(train, max_seconds), at_least(0),
          "Stop after this many seconds of wall time; 0 = no limit."),

      // --- evaluator ----------------------------------------------------------------------
      key(ZP_KEY(evaluator, enabled), any(), "Run the evaluator process."),
      key(ZP_KEY(evaluator, every_versions), range(1, 1000000),
          "Evaluate every Nth published model version."),
      key(ZP_KEY(evaluator, games), range(1, 100000),
          "Arena games per match; each side plays first in half of them."),
      key(ZP_KEY(evaluator, simulations), range(1, 1000000),
          "Search simulations per move in evaluation games (no noise, temperature 0)."),
      key(ZP_KEY(evaluator, rollout_simulations), range(1, 10000000),
          "Simulations of the pure Monte Carlo (random rollout) baseline opponent."),
      key(ZP_KEY(evaluator, positions), any(),
          "File of labelled Connect Four positions for the oracle accuracy; empty = the "
          "built-in set."),
      key(ZP_KEY(evaluator, oracle_search_positions), range(0, 1000000),
          "Labelled positions (the first N of the file) on which the oracle accuracy of search "
          "with evaluator.simulations is measured; 0 = all. The raw policy is always measured "
          "on all of them (one network call per position, cheap)."),
      key(ZP_KEY(evaluator, pons_search_positions), range(0, 1000000),
          "Positions of each of Pons' six benchmark sets (the first N of each file, "
          "../shared/data/connect4/pons) on which the error rate of search with "
          "evaluator.simulations is measured; 0 = all 1,000. The raw policy is always measured "
          "on every position. Each searched position costs evaluator.simulations network "
          "evaluations, taken from self-play's CPU."),
      key(ZP_KEY(evaluator, gating), any(),
          "Gate models: actors use the best model that passed the gate instead of the latest. "
          "Needs evaluator.enabled."),
      key(ZP_KEY(evaluator, gating_threshold), range(0.5, 1),
          "Arena win rate (draws count half) a new model needs against the best to pass the "
          "gate."),
      key(ZP_KEY(evaluator, ladder_versions), range(2, 100000),
          "Model versions the Elo ladder is fitted over: the newest N rated ones (and the gated "
          "best), with the random and MCTS baselines. Older versions' games stay in "
          "elo_games.jsonl but leave the fit, whose time grows with the cube of the players and "
          "its memory with their square."),
  };
}

#undef ZP_KEY

}  // namespace

const std::vector<SectionSpec>& sections() {
  static const std::vector<SectionSpec> table = {
      {"game", "Which game is played."},
      {"search",
       "Monte Carlo tree search (PUCT) in self-play. The evaluator uses the same constants with "
       "its own simulation count and no noise."},
      {"model",
       "The policy-value network (a residual tower with a policy head and a value head) and "
       "where inference runs."},
      {"actors",
       "Self-play processes. Each actor plays many games at once and evaluates their leaves in "
       "one batched forward pass."},
      {"server",
       "The inference server (actors.inference: server): gathers the actors' requests into "
       "batched forward passes on its device."},
      {"writer", "Receives finished games from the actors and writes checksummed shards."},
      {"learner",
       "Samples the replay window from the shards, trains the network and publishes weights."},
      {"monitor", "The supervisor's status line and its watchdog over the processes."},
      {"train", "When the run stops. With both limits at 0 it runs until Ctrl-C."},
      {"evaluator",
       "Rates published models: arena matches, a pure-MCTS baseline and, for connect4, "
       "accuracy on labelled positions."},
  };
  return table;
}

const std::vector<KeySpec>& keys() {
  static const std::vector<KeySpec> table = [] {
    std::vector<KeySpec> t = build_keys();
    // The table must be well formed: known sections, each key once.
    std::set<std::string> section_names, seen;
    for (const SectionSpec& s : sections()) section_names.insert(s.name);
    for (const KeySpec& k : t) {
      ZP_CHECK(section_names.count(k.section) == 1);
      ZP_CHECK(seen.insert(k.full()).second);
    }
    return t;
  }();
  return table;
}

}  // namespace zp::config::detail
