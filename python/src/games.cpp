// Games and states for Python: the registry, State's methods, observations as numpy arrays,
// symmetries and move text. Checked calls only: an illegal move raises StateError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/game/registry.h"
#include "python/src/bindings.h"

namespace py = pybind11;

namespace zp::python {

namespace {

using game::Action;

PyState wrap(const PyGame& g, std::unique_ptr<game::State> s) { return {g.game, std::move(s)}; }

py::array_t<float> observation(const PyState& s) {
  const game::ObsShape shape = s.game->observation_shape();
  py::array_t<float> out({shape.planes, shape.height, shape.width});
  s.state->write_observation(out.mutable_data());
  return out;
}

py::object legal_mask(const PyState& s) {
  std::string m(s.game->num_actions(), '\0');
  for (Action a : s.state->legal_actions()) m[a] = 1;
  return py::module_::import("numpy")
      .attr("frombuffer")(py::bytes(m), "uint8")
      .attr("astype")("bool");
}

void check_symmetry(const game::Game& g, int sym) {
  if (sym < 0 || sym >= g.num_symmetries())
    throw ConfigError("symmetry " + std::to_string(sym) + " out of range: " + g.name() + " has " +
                      std::to_string(g.num_symmetries()));
}

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// Applies a symmetry to one observation [P, H, W] or a batch [N, P, H, W].
py::array_t<float> transform_observation(const PyGame& pg, int sym, const FloatArray& in) {
  const game::Game& g = *pg.game;
  check_symmetry(g, sym);
  const game::ObsShape s = g.observation_shape();
  const py::ssize_t nd = in.ndim();
  if ((nd != 3 && nd != 4) || in.shape(nd - 3) != s.planes || in.shape(nd - 2) != s.height ||
      in.shape(nd - 1) != s.width) {
    throw ConfigError("observation must have shape [N,] " + std::to_string(s.planes) + "x" +
                      std::to_string(s.height) + "x" + std::to_string(s.width));
  }
  const py::ssize_t n = nd == 4 ? in.shape(0) : 1;
  py::array_t<float> out(std::vector<py::ssize_t>(in.shape(), in.shape() + nd));
  for (py::ssize_t i = 0; i < n; ++i)
    g.transform_observation(sym, in.data() + i * s.size(), out.mutable_data() + i * s.size());
  return out;
}

// Applies a symmetry to one policy [A] or a batch [N, A].
py::array_t<float> transform_policy(const PyGame& pg, int sym, const FloatArray& in) {
  const game::Game& g = *pg.game;
  check_symmetry(g, sym);
  const int a = g.num_actions();
  const py::ssize_t nd = in.ndim();
  if ((nd != 1 && nd != 2) || in.shape(nd - 1) != a)
    throw ConfigError("policy must have shape [N,] " + std::to_string(a));
  const py::ssize_t n = nd == 2 ? in.shape(0) : 1;
  py::array_t<float> out(std::vector<py::ssize_t>(in.shape(), in.shape() + nd));
  for (py::ssize_t i = 0; i < n; ++i)
    g.transform_policy(sym, in.data() + i * a, out.mutable_data() + i * a);
  return out;
}

void bind_game_class(py::module_& m) {
  py::class_<PyGame>(m, "Game", "A game description, shared by its states (immutable).")
      .def_property_readonly("name", [](const PyGame& g) { return g.game->name(); })
      .def_property_readonly("params", [](const PyGame& g) { return g.game->params_string(); })
      .def_property_readonly("num_actions", [](const PyGame& g) { return g.game->num_actions(); })
      .def_property_readonly("observation_shape",
                             [](const PyGame& g) {
                               const game::ObsShape s = g.game->observation_shape();
                               return py::make_tuple(s.planes, s.height, s.width);
                             })
      .def_property_readonly("max_game_length",
                             [](const PyGame& g) { return g.game->max_game_length(); })
      .def_property_readonly("num_symmetries",
                             [](const PyGame& g) { return g.game->num_symmetries(); })
      .def("new_initial_state",
           [](const PyGame& g) { return wrap(g, g.game->new_initial_state()); })
      .def(
          "state_from_moves",
          [](const PyGame& g, const std::string& moves) {
            return wrap(g, g.game->state_from_moves(moves));
          },
          py::arg("moves"), "Plays a move list (e.g. '4453' in connect4) from the start.")
      .def("action_to_string", [](const PyGame& g, Action a) { return g.game->action_to_string(a); })
      .def("parse_action",
           [](const PyGame& g, const std::string& text) { return g.game->parse_action(text); })
      .def("moves_to_string", [](const PyGame& g, const std::vector<Action>& moves) {
        return g.game->moves_to_string(moves);
      })
      .def(
          "transform_action",
          [](const PyGame& g, int sym, Action a) {
            check_symmetry(*g.game, sym);
            return g.game->transform_action(sym, a);
          },
          py::arg("sym"), py::arg("action"))
      .def("transform_observation", &transform_observation, py::arg("sym"), py::arg("obs"))
      .def("transform_policy", &transform_policy, py::arg("sym"), py::arg("policy"))
      .def("__repr__", [](const PyGame& g) {
        const std::string p = g.game->params_string();
        return "<zeroplay.Game " + g.game->name() + (p.empty() ? "" : "(" + p + ")") + ">";
      });
}

void bind_state_class(py::module_& m) {
  py::class_<PyState>(m, "State", "A position with its move history.")
      .def_property_readonly("game", [](const PyState& s) { return PyGame{s.game}; })
      .def("legal_actions", [](const PyState& s) { return s.state->legal_actions(); })
      .def("legal_mask", &legal_mask, "numpy bool [num_actions]: True on legal moves.")
      .def("is_legal", [](const PyState& s, Action a) {
        return a >= 0 && a < s.game->num_actions() && s.state->is_legal(a);
      })
      .def(
          "apply", [](PyState& s, Action a) { s.state->apply_checked(a); }, py::arg("action"),
          "Plays a move; raises StateError if it is illegal or the game is over.")
      .def("is_terminal", [](const PyState& s) { return s.state->is_terminal(); })
      .def_property_readonly("current_player",
                             [](const PyState& s) { return s.state->current_player(); })
      .def(
          "returns",
          [](const PyState& s, int player) {
            if (player != 0 && player != 1) throw ConfigError("player must be 0 or 1");
            if (!s.state->is_terminal()) throw StateError("returns() of a state that is not over");
            return s.state->returns(player);
          },
          py::arg("player"), "+1 win, -1 loss, 0 draw for `player`, once terminal.")
      .def("observation", &observation, "numpy float32 [planes, height, width].")
      .def_property_readonly("history", [](const PyState& s) { return s.state->history(); })
      .def_property_readonly("move_number", [](const PyState& s) { return s.state->move_number(); })
      .def_property_readonly("moves", [](const PyState& s) {
        return s.game->moves_to_string(s.state->history());
      })
      .def("clone", [](const PyState& s) { return PyState{s.game, s.state->clone()}; })
      .def("__copy__", [](const PyState& s) { return PyState{s.game, s.state->clone()}; })
      .def("__eq__", [](const PyState& a, const PyState& b) { return a.state->equals(*b.state); })
      .def("__str__", [](const PyState& s) { return s.state->to_string(); })
      .def("__repr__", [](const PyState& s) {
        return "<zeroplay.State " + s.game->name() + " moves='" +
               s.game->moves_to_string(s.state->history()) + "'>";
      });
}

}  // namespace

void bind_games(py::module_& m) {
  m.def("games", &game::registered_games, "Names of the registered games.");
  m.def(
      "make_game",
      [](const std::string& name, int board_size) {
        return PyGame{game::make_game(name, game::GameParams{board_size})};
      },
      py::arg("name"), py::arg("board_size") = 0,
      "A game by registry name; board_size 0 = the game's default. Raises ConfigError.");
  bind_game_class(m);
  bind_state_class(m);
}

}  // namespace zp::python
