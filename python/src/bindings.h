// The parts of the _zeroplay module (python/src/*.cpp) and the wrappers they share.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

#include "shared/game/game.h"

namespace zp::python {

// A game as Python holds it: the shared Game object.
struct PyGame {
  std::shared_ptr<const game::Game> game;
};

// A state keeps its game alive (a State only points at its Game).
struct PyState {
  std::shared_ptr<const game::Game> game;
  std::unique_ptr<game::State> state;
};

void bind_games(pybind11::module_& m);   // games.cpp
void bind_search(pybind11::module_& m);  // search.cpp

}  // namespace zp::python
