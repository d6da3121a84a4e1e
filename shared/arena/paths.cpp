#include "shared/arena/paths.h"

#include <cstdlib>

#ifndef ZP_PROJECT_DIR
#define ZP_PROJECT_DIR "."
#endif

namespace zp::arena {

std::string project_dir() {
  const char* home = std::getenv("ZEROPLAY_HOME");
  return home != nullptr && *home != '\0' ? std::string(home) : std::string(ZP_PROJECT_DIR);
}

std::string default_positions_path() {
  return project_dir() + "/data/connect4/selfplay_positions.txt";
}

std::string pons_dir() { return project_dir() + "/../shared/data/connect4/pons"; }

}  // namespace zp::arena
