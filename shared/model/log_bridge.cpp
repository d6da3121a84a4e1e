#include "shared/model/log_bridge.h"

#include <spdlog/spdlog.h>

namespace zp::model {

void log_info(const std::string& message) { spdlog::info("{}", message); }
void log_warn(const std::string& message) { spdlog::warn("{}", message); }

}  // namespace zp::model
