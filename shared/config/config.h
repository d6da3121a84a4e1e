// Typed, validated configuration. Every key is declared exactly once in schema.cpp
// (type, range, default, help text); loading a YAML file produces one const Config.
//
// Errors are one line naming the file, line and key, e.g.
//   config/connect4.yaml:12: search.simulatons: unknown key (did you mean 'search.simulations'?)
// and are thrown as zp::ConfigError.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace zp::config {

struct GameConfig {
  std::string name = "connect4";  // tictactoe | connect4 | gomoku
  int board_size = 0;             // gomoku only; 0 = the game's default (15)
};

struct SearchConfig {
  std::string algorithm = "puct";  // puct | gumbel
  int simulations = 200;         // per move (per full search with playout caps)
  float c_puct = 1.5f;           // PUCT exploration constant
  float fpu_reduction = 0.25f;   // unvisited child value = parent value - this
  float dirichlet_alpha = 1.0f;  // root noise (self-play only)
  float dirichlet_fraction = 0.25f;
  int leaves_per_round = 1;    // leaves taken per tree per batch, using virtual loss
  float virtual_loss = 1.0f;   // value penalty per pending visit
  float temperature = 1.0f;    // move choice temperature for the first temperature_moves
  int temperature_moves = 10;  // after this many moves: argmax (temperature 0)
  bool reuse_tree = true;      // keep the subtree of the played move
  int gumbel_considered = 16;  // gumbel: actions sequential halving starts with
  float gumbel_c_visit = 50.0f;  // gumbel: sigma(q) = (c_visit + max N) * c_scale * q
  float gumbel_c_scale = 0.1f;
  int gumbel_noise_moves = 0;  // gumbel self-play: Gumbel noise on the first N plies; 0 = all
  double full_search_prob = 1.0;  // playout caps: share of moves with a full search
  int fast_simulations = 0;       // playout caps: simulations of the other moves (0 = off)
};

struct ModelConfig {
  int blocks = 5;                  // residual blocks
  int channels = 64;               // trunk channels
  int policy_channels = 2;         // policy head conv channels
  int value_channels = 1;          // value head conv channels
  int value_hidden = 64;           // value head hidden units
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string precision = "auto";  // auto | fp32 | fp16 | bf16 (inference on CUDA)
  int threads = 1;                 // torch intra-op threads per process
  std::string cuda_graphs = "auto";  // auto (on for CUDA) | on | off
};

struct ActorsConfig {
  int count = 2;                  // actor processes
  int games_per_actor = 64;       // games played at once by one actor (the batch)
  uint64_t seed = 0;              // 0 = seed from the clock
  std::string gpu_lock = "auto";  // auto (on for CUDA) | on | off
  std::string inference = "lock";  // lock (each actor owns a model) | server (one per device)
  int pipeline = 1;               // game groups whose evaluations overlap the others' search
  // Devices the actors are spread over, round robin: actor i runs on entry i % n. A comma-
  // separated list ("cuda:0,cuda:1"; YAML may give a list [cuda:0, cuda:1]); "" = model.device
  // for every actor. run::actor_device() resolves it (shared/run/placement.h).
  std::string devices = "";
};

// The inference server of actors.inference: server (one process per device).
struct ServerConfig {
  int max_batch = 1024;    // positions per forward pass at most
  int max_wait_us = 2000;  // a batch closes this long after its first request at the latest
};

struct WriterConfig {
  std::string endpoint = "";    // "" = ipc://<run_dir>/writer.sock; tcp://host:port allowed
  int shard_positions = 20000;  // close a shard after this many positions...
  double shard_seconds = 30.0;  // ...or after this many seconds with data pending
  bool insecure = false;        // tcp:// without CURVE (a warning is logged)
};

struct LearnerConfig {
  int batch_size = 256;
  std::string optimizer = "sgd";  // sgd | adam
  double lr = 0.02;
  double momentum = 0.9;  // sgd only
  double weight_decay = 1e-4;
  std::string lr_schedule = "constant";  // constant | cosine (over train.max_steps)
  double value_loss_weight = 1.0;
  double value_target_q = 0.0;
  int window_positions = 200000;  // replay window: the most recent positions
  int min_positions = 5000;       // wait for this many before the first step
  double sample_reuse = 4.0;      // target samples trained per position generated
  int publish_every_steps = 100;  // publish weights to the shm store and checkpoints/
  std::string device = "auto";    // auto | cpu | cuda | cuda:N
  int threads = 2;                // torch intra-op threads for training
  int world_size = 1;             // data-parallel learner ranks (torch.distributed)
  std::string launch = "supervisor";  // supervisor | external: who starts the learner ranks
};

struct MonitorConfig {
  double interval_s = 5.0;             // status line period
  double heartbeat_timeout_s = 120.0;  // a process silent this long is restarted
};

struct TrainConfig {
  int64_t max_steps = 0;     // 0 = no limit
  double max_seconds = 0.0;  // 0 = no limit
};

struct EvaluatorConfig {
  bool enabled = true;
  int every_versions = 1;          // evaluate every Nth published version
  int games = 40;                  // arena games per match
  int simulations = 100;           // search simulations in evaluation games
  int rollout_simulations = 200;   // pure-MCTS baseline simulations
  std::string positions = "";      // labelled Connect Four set for oracle accuracy ("" = built-in)
  int oracle_search_positions = 300;  // positions searched for the oracle figure (0 = all)
  int pons_search_positions = 200;    // positions per Pons set searched (0 = all)
  bool gating = false;             // actors use the best gated model, not the latest
  double gating_threshold = 0.55;  // win rate (draws count half) needed to pass the gate
  int ladder_versions = 100;       // newest rated versions in the Elo fit (memory and time bound)
};

struct Config {
  GameConfig game;
  SearchConfig search;
  ModelConfig model;
  ActorsConfig actors;
  WriterConfig writer;
  LearnerConfig learner;
  MonitorConfig monitor;
  TrainConfig train;
  EvaluatorConfig evaluator;
  ServerConfig server;
  std::string source;  // file the config came from ("" for defaults)
};

// Loads `path`, then applies overrides of the form "section.key=value" (from --set).
// Throws ConfigError (one line: file:line: key: problem) on any problem, IoError if the file
// cannot be read.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from YAML text; `name` stands in for the file name in errors.
Config load_config_string(const std::string& yaml, const std::string& name,
                          const std::vector<std::string>& overrides = {});
// The resolved config as YAML that load_config_string accepts again.
std::string to_yaml(const Config& config);

// The entries of a device list such as actors.devices ("cuda:0, cuda:1"), trimmed, empty ones
// included ("cuda:0," has two: the check names it); {} for "".
std::vector<std::string> split_device_list(const std::string& text);
// The device actor `index` runs on: entry index mod n of actors.devices, or model.device when
// that list is empty. The actor builds its network there and takes that device's GPU lock.
std::string actor_device(const Config& config, int index);
// Every key with its type, default, range and help text (zeroplay config --help-keys).
void print_help_keys(std::ostream& os);

}  // namespace zp::config
