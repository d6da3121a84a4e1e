// A stats block for a test that stands in for a supervisor. It records this test process as
// the run's supervisor (kSupervisorSlot, kPid), as a real supervisor does: a block without
// that pid counts as abandoned once it is 30 s old, and any other run's start-up cleanup
// (run::remove_stale_objects) would delete it in the middle of the test.
#pragma once

#include <unistd.h>

#include <memory>
#include <string>

#include "shared/ipc/stats.h"

namespace zp::test {

inline std::unique_ptr<ipc::Stats> create_run_stats(const std::string& name, int num_actors) {
  std::unique_ptr<ipc::Stats> stats = ipc::Stats::create(name, num_actors);
  stats->set(ipc::kSupervisorSlot, ipc::kPid, ::getpid());
  return stats;
}

}  // namespace zp::test
