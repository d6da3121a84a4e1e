// Monotonic clocks and a rate meter for progress lines.
#pragma once

#include <chrono>
#include <cstdint>

namespace zp {

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline double now_s() { return now_ns() * 1e-9; }

// Wall-clock time since the Unix epoch in seconds (for metrics and file names).
inline double unix_time_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Stopwatch {
 public:
  Stopwatch() : start_(now_ns()) {}
  void reset() { start_ = now_ns(); }
  double seconds() const { return (now_ns() - start_) * 1e-9; }

 private:
  int64_t start_;
};

}  // namespace zp
