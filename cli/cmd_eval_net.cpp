// Hidden `zeroplay eval net`: the network's outputs on given positions, one JSON line each, so
// that other implementations (the Python package, its ONNX and TorchScript exports) can be
// checked against the C++ network (python/tests/test_parity.py).
//
//   zeroplay eval net (--checkpoint CKPT | --torchscript FILE) --positions FILE [--batch 64]
//       [--rewrite-to FILE]
//
// Positions: one per line, the game's move list from the initial position ("4453" in Connect
// Four); an empty line is the initial position. The game is the checkpoint's (its metadata), or
// for --torchscript the one named in the file's "zeroplay.json" (zeroplay export writes it).
// Output: per position, in input order, {"moves": "...", "policy": [A floats], "value": v}:
// what search sees (nn::Backend): probabilities, illegal moves exactly 0, fp32 on the CPU.
// --rewrite-to: also writes the checkpoint as the C++ network serializes it (interop.h), so a
// checkpoint made in Python comes back in LibTorch's own weights format.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/arena/network_players.h"
#include "shared/config/config.h"
#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "shared/game/registry.h"
#include "shared/model/checkpoint.h"
#include "shared/model/interop.h"
#include "cli/commands.h"

namespace zp::cli {

void add_eval_net_command(CLI::App& eval);

namespace {

struct NetCli {
  std::string checkpoint, torchscript, positions, rewrite_to;
  int batch = 64;
};

// "" -> defaults, "size=N" -> board_size N: the only game parameter (registry.h).
std::shared_ptr<const game::Game> game_from(const std::string& name, const std::string& params,
                                            const std::string& source) {
  game::GameParams p;
  if (!params.empty()) {
    const std::string key = "size=";
    if (params.compare(0, key.size(), key) != 0)
      throw FormatError(source + ": game params '" + params + "' are not understood");
    try {
      p.board_size = std::stoi(params.substr(key.size()));
    } catch (const std::exception&) {
      throw FormatError(source + ": game params '" + params + "' are not understood");
    }
  }
  return game::make_game(name, p);
}

std::shared_ptr<const game::Game> torchscript_game(const std::string& path) {
  const std::string text = model::read_torchscript_metadata(path);
  const nlohmann::json meta = nlohmann::json::parse(text, nullptr, false);
  if (meta.is_discarded() || !meta.is_object() || !meta.contains("game") ||
      !meta["game"].is_string()) {
    throw FormatError(path + ": no zeroplay.json naming the game (write it with zeroplay export)");
  }
  return game_from(meta["game"], meta.value("game_params", ""), path);
}

std::vector<std::unique_ptr<game::State>> read_positions(const game::Game& game,
                                                         const std::string& path) {
  const std::string text = read_file(path, "positions file");
  std::vector<std::unique_ptr<game::State>> out;
  size_t begin = 0;
  for (int line = 1; begin < text.size(); ++line) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string moves = text.substr(begin, end - begin);
    begin = end + 1;
    try {
      out.push_back(game.state_from_moves(moves));
    } catch (const Error& e) {
      throw FormatError(path + ":" + std::to_string(line) + ": " + e.what());
    }
    if (out.back()->is_terminal())
      throw FormatError(path + ":" + std::to_string(line) + ": the game is over there");
  }
  if (out.empty()) throw FormatError(path + ": no positions");
  return out;
}

void print_batch(const game::Game& game, const nn::BatchBuffers& b,
                 const std::vector<std::unique_ptr<game::State>>& states, size_t first, int n) {
  for (int i = 0; i < n; ++i) {
    const game::State& s = *states[first + i];
    const float* p = b.policy + static_cast<size_t>(i) * b.num_actions;
    nlohmann::json line = {{"moves", game.moves_to_string(s.history())},
                           {"policy", std::vector<float>(p, p + b.num_actions)},
                           {"value", b.value[i]}};
    std::printf("%s\n", line.dump().c_str());
  }
}

void run_net(const NetCli& o) {
  if (o.checkpoint.empty() == o.torchscript.empty())
    throw ConfigError("eval net needs exactly one of --checkpoint and --torchscript");
  std::shared_ptr<const game::Game> game;
  std::unique_ptr<nn::Backend> backend;
  if (!o.checkpoint.empty()) {
    const std::string bytes = model::read_checkpoint_file(o.checkpoint);
    const model::CheckpointMeta meta = model::decode_checkpoint(bytes).meta;
    game = game_from(meta.game, meta.game_params, o.checkpoint);
    config::Config cfg;
    cfg.model.device = "cpu";
    cfg.model.precision = "fp32";
    cfg.model.threads = 1;
    backend = arena::make_network_backend(*game, cfg, bytes, o.batch, 1);
    if (!o.rewrite_to.empty()) write_file_atomic(o.rewrite_to, model::rewrite_checkpoint(bytes));
  } else {
    if (!o.rewrite_to.empty()) throw ConfigError("--rewrite-to needs --checkpoint");
    game = torchscript_game(o.torchscript);
    backend = model::make_torchscript_backend(*game, o.torchscript, o.batch);
  }
  const auto states = read_positions(*game, o.positions);
  nn::BatchBuffers& b = backend->buffers();
  for (size_t first = 0; first < states.size(); first += o.batch) {
    const int n = static_cast<int>(std::min<size_t>(o.batch, states.size() - first));
    for (int i = 0; i < n; ++i) {
      const game::State& s = *states[first + i];
      s.write_observation(b.obs + static_cast<size_t>(i) * b.obs_size);
      uint8_t* legal = b.legal + static_cast<size_t>(i) * b.num_actions;
      std::fill(legal, legal + b.num_actions, 0);
      for (game::Action a : s.legal_actions()) legal[a] = 1;
    }
    backend->compute(n);
    print_batch(*game, b, states, first, n);
  }
  std::fflush(stdout);
}

}  // namespace

void add_eval_net_command(CLI::App& eval) {
  auto o = std::make_shared<NetCli>();
  CLI::App* cmd = eval.add_subcommand("net", "The network's policy and value on positions (JSON)");
  cmd->group("");  // hidden: the C++ side of the Python, ONNX and TorchScript parity tests
  cmd->add_option("--checkpoint", o->checkpoint, "Checkpoint (.zpck)");
  cmd->add_option("--torchscript", o->torchscript, "TorchScript file from zeroplay export");
  cmd->add_option("--positions", o->positions, "One move list per line")->required();
  cmd->add_option("--batch", o->batch, "Positions per forward")->check(CLI::Range(1, 4096));
  cmd->add_option("--rewrite-to", o->rewrite_to, "Also write the checkpoint as C++ saves it");
  cmd->add_flag("--json", "Output JSON lines (the only output; accepted for clarity)");
  cmd->callback([o] { run_net(*o); });
}

}  // namespace zp::cli
