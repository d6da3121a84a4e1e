#include "shared/core/error.h"

#include <cstring>

namespace zp {

ExitReport exit_report(const std::exception& e) {
  if (dynamic_cast<const Error*>(&e)) return {std::string("error: ") + e.what(), kUserErrorExit};
  return {std::string("internal error: ") + e.what(), kInternalErrorExit};
}

}  // namespace zp

namespace zp::detail {

void check_failed(const char* file, int line, const std::string& what) {
  const char* base = std::strrchr(file, '/');
  std::ostringstream os;
  os << "check failed at " << (base ? base + 1 : file) << ":" << line << ": " << what;
  throw CheckError(os.str());
}

}  // namespace zp::detail
