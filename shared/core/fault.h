// Named fault points: a process whose environment holds ZP_FAULT=<point>[:<n>] exits at once
// with _exit(kFaultExit) at the n-th pass (default 1) through fault_point("<point>"), leaving
// whatever it was writing half-done, as a SIGKILL at that moment would; or, at an error point
// (fault_error), fails the guarded operation. Tests use them to kill a process or fail a
// system call at an exact place; docs/faults.md lists the points.
//
// Without ZP_FAULT a pass costs one getenv. Thread-safe (the pass count is atomic).
#pragma once

namespace zp {

constexpr int kFaultExit = 86;

// Exits with kFaultExit if ZP_FAULT names `point` and this is its n-th pass.
void fault_point(const char* point);

// An injected error instead of an exit: true if ZP_FAULT names `point` and this is its n-th
// pass; the caller then fails as if the operation it guards had failed with EIO.
bool fault_error(const char* point);

}  // namespace zp
