// Where evaluation finds the project's own files at run time: the committed labelled
// positions, the plotting script, and the team's shared data beside the checkout. The
// project directory is the source tree the binary was built from (a compile definition);
// ZEROPLAY_HOME in the environment overrides it (an installed or moved tree).
#pragma once

#include <string>

namespace zp::arena {

// The project root (ZEROPLAY_HOME, else the source tree at build time).
std::string project_dir();
// <project>/data/connect4/selfplay_positions.txt: the default oracle set.
std::string default_positions_path();
// <project>/../shared/data/connect4/pons: Pons' labelled benchmark sets, when present.
std::string pons_dir();

}  // namespace zp::arena
