// Named fault points: a process whose environment holds ZP_FAULT=<point>[:<n>] exits at once
// with _exit(kFaultExit) at the n-th pass (default 1) through fault_point("<point>"), leaving
// whatever it was writing half-done, as a SIGKILL at that moment would. Tests use them to
// kill a process at an exact place; docs/faults.md lists the points.
//
// Without ZP_FAULT a pass costs one getenv. Thread-safe (the pass count is atomic).
#pragma once

namespace zp {

constexpr int kFaultExit = 86;

// Exits with kFaultExit if ZP_FAULT names `point` and this is its n-th pass.
void fault_point(const char* point);

}  // namespace zp
