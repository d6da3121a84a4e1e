// _zeroplay: the torch-free C++ libraries for Python (the `zeroplay` package wraps it; see
// python/zeroplay/__init__.py). Binds the game registry, games and states (observations as
// numpy arrays), symmetries, the checkpoint framing (checkpoint.h, torch-free) and the MCTS
// (search/tree.h) with a Python callable as the evaluator. No torch here: the package's
// network code uses the torch wheel from Python.
//
// Errors: zp::ConfigError, FormatError, IoError and StateError become the Python exceptions
// of the same names (subclasses of _zeroplay.Error), with the C++ one-line message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/game/game.h"
#include "shared/game/registry.h"
#include "shared/model/checkpoint.h"
#include "python/src/bindings.h"

namespace py = pybind11;

namespace zp::python {

namespace {

void register_errors(py::module_& m) {
  static py::exception<Error> base(m, "Error");
  static py::exception<ConfigError> config(m, "ConfigError", base.ptr());
  static py::exception<FormatError> format(m, "FormatError", base.ptr());
  static py::exception<IoError> io(m, "IoError", base.ptr());
  static py::exception<StateError> state(m, "StateError", base.ptr());
  // Translators run newest first, so the subclasses are tried before the base.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ConfigError& e) {
      config(e.what());
    } catch (const FormatError& e) {
      format(e.what());
    } catch (const IoError& e) {
      io(e.what());
    } catch (const StateError& e) {
      state(e.what());
    } catch (const Error& e) {
      base(e.what());
    }
  });
}

py::dict meta_to_dict(const model::CheckpointMeta& m) {
  py::dict d;
  d["game"] = m.game;
  d["game_params"] = m.game_params;
  d["obs_shape"] = py::make_tuple(m.obs.planes, m.obs.height, m.obs.width);
  d["num_actions"] = m.num_actions;
  d["blocks"] = m.blocks;
  d["channels"] = m.channels;
  d["policy_channels"] = m.policy_channels;
  d["value_channels"] = m.value_channels;
  d["value_hidden"] = m.value_hidden;
  d["training_step"] = m.training_step;
  d["model_version"] = m.model_version;
  return d;
}

model::CheckpointMeta meta_from_dict(const py::dict& d) {
  model::CheckpointMeta m;
  m.game = d["game"].cast<std::string>();
  m.game_params = d["game_params"].cast<std::string>();
  const auto obs = d["obs_shape"].cast<std::vector<int>>();
  if (obs.size() != 3) throw ConfigError("checkpoint meta: obs_shape must have 3 entries");
  m.obs = {obs[0], obs[1], obs[2]};
  m.num_actions = d["num_actions"].cast<int>();
  m.blocks = d["blocks"].cast<int>();
  m.channels = d["channels"].cast<int>();
  m.policy_channels = d["policy_channels"].cast<int>();
  m.value_channels = d["value_channels"].cast<int>();
  m.value_hidden = d["value_hidden"].cast<int>();
  m.training_step = d.contains("training_step") ? d["training_step"].cast<int64_t>() : 0;
  m.model_version = d.contains("model_version") ? d["model_version"].cast<int64_t>() : 0;
  return m;
}

py::tuple decoded(std::string_view bytes) {
  const model::DecodedCheckpoint c = model::decode_checkpoint(bytes);
  return py::make_tuple(meta_to_dict(c.meta), py::bytes(c.weights.data(), c.weights.size()));
}

void bind_checkpoints(py::module_& m) {
  m.def(
      "read_checkpoint",
      [](const std::string& path) {
        const std::string bytes = model::read_checkpoint_file(path);
        return decoded(bytes);
      },
      py::arg("path"),
      "Reads and validates a checkpoint file (docs/formats.md); returns (meta dict, weights "
      "bytes). Raises IoError or FormatError.");
  m.def(
      "decode_checkpoint", [](const py::bytes& b) { return decoded(std::string_view(b)); },
      py::arg("data"), "Validates checkpoint bytes; returns (meta dict, weights bytes).");
  m.def(
      "encode_checkpoint",
      [](const py::dict& meta, const py::bytes& weights) {
        return py::bytes(model::encode_checkpoint(meta_from_dict(meta), std::string_view(weights)));
      },
      py::arg("meta"), py::arg("weights"),
      "Frames a weights blob with its metadata into checkpoint bytes (checksum included).");
  m.def(
      "describe_checkpoint", [](const py::dict& meta) {
        return model::describe_checkpoint(meta_from_dict(meta));
      },
      py::arg("meta"));
}

}  // namespace

}  // namespace zp::python

PYBIND11_MODULE(_zeroplay, m) {
  m.doc() = "Zeroplay's torch-free C++ core: games, states, MCTS, checkpoint framing";
  zp::game::register_all_games();
  zp::python::register_errors(m);
  zp::python::bind_games(m);
  zp::python::bind_search(m);
  zp::python::bind_checkpoints(m);
}
