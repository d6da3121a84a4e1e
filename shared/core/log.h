// Logging setup. Everything logs through spdlog's default logger; each process calls
// init_logging() once at start-up with its role name and, inside a run, a log file in the
// run directory ("<run>/logs/<role>.log"). Lines go to stderr and to the file.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace zp {

// Not thread-safe: call once from main before other threads start.
// `level` is one of trace, debug, info, warn, error; throws ConfigError otherwise.
void init_logging(const std::string& role, const std::string& file_path = "",
                  const std::string& level = "info");

}  // namespace zp
