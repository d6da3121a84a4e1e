// Logging for the torch translation units of zp_model. Torch ships its own copy of {fmt},
// which clashes with the system {fmt} that spdlog uses, so files that include torch headers
// must not include spdlog: they log through these functions (log_bridge.cpp has spdlog).
// Thread-safe (spdlog's default logger is).
#pragma once

#include <string>

namespace zp::model {

void log_info(const std::string& message);
void log_warn(const std::string& message);

}  // namespace zp::model
