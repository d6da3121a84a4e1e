#include "shared/core/fault.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "shared/core/parse.h"

namespace zp {

namespace {

// Whether ZP_FAULT names `point` and this pass through it is the n-th.
bool hit(const char* point) {
  // Read each time (not cached), so a test may set ZP_FAULT in a forked child.
  const char* spec = std::getenv("ZP_FAULT");
  if (spec == nullptr) return false;
  const size_t len = std::strlen(point);
  if (std::strncmp(spec, point, len) != 0 || (spec[len] != '\0' && spec[len] != ':'))
    return false;
  uint64_t nth = 1;
  if (spec[len] == ':') nth = parse_uint(spec + len + 1).value_or(1);
  // Relaxed: only the count matters; one ZP_FAULT names one point per process.
  static std::atomic<uint64_t> passes{0};
  return passes.fetch_add(1, std::memory_order_relaxed) + 1 == nth;
}

}  // namespace

void fault_point(const char* point) {
  if (hit(point)) ::_exit(kFaultExit);
}

bool fault_error(const char* point) { return hit(point); }

}  // namespace zp
