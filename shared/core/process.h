// Whether another process still runs, for code that knows a process only by the pid it
// published (stats slots): the supervisor and run cleanup (run/names.h), and an externally
// launched learner rank 0 and its head (learner/learner.cpp, supervisor/external_learner.h).
#pragma once

#include <cstdint>

namespace zp {

// True when `pid` names a running process: kill(pid, 0) succeeds, or fails with EPERM (it
// exists but belongs to another user). A zombie (exited, not yet reaped by its parent, e.g. a
// rank that torchrun has not collected yet) counts as gone. Pids <= 0 or beyond pid_t: false.
// Thread-safe.
bool process_alive(int64_t pid);

}  // namespace zp
